"""Registry parsing and validation: clear errors naming the file and the entry."""

import pytest
import yaml

from value_pipeline.config import DEMO_REGISTRY
from value_pipeline.registry import TABLES, RegistryError, parse_registry, registry_tables


def demo() -> dict:
    return yaml.safe_load(DEMO_REGISTRY.read_text())


def parse(doc: dict):
    return parse_registry(yaml.safe_dump(doc), "registry.yml")


def test_demo_registry_flattens_into_every_table_with_the_declared_columns():
    registry = parse(demo())
    tables = registry_tables(registry)
    assert set(tables) == set(TABLES)
    for name, rows in tables.items():
        assert all(len(row) == len(TABLES[name]) for row in rows), name
    assert len(tables["registry_use_cases"]) == 10
    assert len(tables["registry_kpis"]) == 6
    assert ("VC02", "cs_amer", "treatment") in tables["registry_value_chain_teams"]
    primary = {r[0]: r[5] for r in tables["registry_use_cases"]}
    assert primary["UC07"] == "cs_amer"


def test_malformed_yaml_names_the_file_and_line():
    with pytest.raises(RegistryError, match=r"(?s)registry.yml: malformed YAML.*line 2"):
        parse_registry("use_cases:\n  - {id: UC01, name: [unclosed\n", "registry.yml")


def test_duplicate_ids_are_refused():
    doc = demo()
    doc["use_cases"].append(dict(doc["use_cases"][0]))
    with pytest.raises(RegistryError, match="duplicate id 'UC01' in `use_cases`"):
        parse(doc)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["use_cases"][0].update(status="done"),
            r"use_cases\[UC01\].status: 'done' is not one of",
        ),
        (lambda d: d["use_cases"][0].update(business_unit="nowhere"), "unknown business_unit 'nowhere'"),
        (lambda d: d["use_cases"][0].pop("go_live_date"), "an automated use case needs a go_live_date"),
        (lambda d: d["kpis"][0].update(target_date="2024-01-01"), "target_date must be after baseline_date"),
        (lambda d: d["sla_policies"].append({"priority": "P1", "sla_hours": 4}), "two policies for the same"),
        (lambda d: d["commitments"][0].update(kpi_id="nps"), "unknown kpi_id 'nps'"),
    ],
)
def test_invalid_entries_name_the_entry(mutate, message):
    doc = demo()
    mutate(doc)
    with pytest.raises(RegistryError, match=message):
        parse(doc)


def test_value_chains_without_a_real_action_are_rejected_with_the_reason():
    doc = demo()
    doc["value_chains"][0]["action"]["kind"] = "survey"
    doc["value_chains"][1].pop("action")
    registry = parse(doc)
    rejected = dict(registry.rejected_value_chains)
    assert "is a survey" in rejected["VC01"]
    assert "no action" in rejected["VC02"]
    kept = [r[0] for r in registry_tables(registry)["registry_value_chains"]]
    assert kept == ["VC03", "VC04"]
