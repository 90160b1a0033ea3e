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


def test_commitment_history_keeps_every_version_with_its_restatement_reason():
    tables = registry_tables(parse(demo()))
    versions = [r for r in tables["registry_commitments"] if r[0] == "C-CS-VALUE"]
    assert [(str(r[10]), r[6]) for r in versions] == [("2025-01-01", 1250000.0), ("2026-01-01", 1350000.0)]
    assert versions[0][11] is None and "late" in versions[1][11]
    milestones = {
        (str(m[1]), str(m[2])): m[3] for m in tables["registry_commitment_milestones"] if m[0] == "C-CS-VALUE"
    }
    assert milestones[("2025-01-01", "2026-06-30")] == 1250000.0
    assert milestones[("2026-01-01", "2026-06-30")] == 900000.0
    assert tables["registry_expansions"] == [
        ("X-IT-EMEA", "C-IT-VALUE", "EMEA", 0.6, 12, demo()["expansions"][0]["rationale"])
    ]
    plans = {r[1]: r for r in tables["registry_hypothesis_use_cases"]}
    assert str(plans["UC07"][2]) == "2025-06-01" and plans["UC07"][5:] == (15000.0, "VC02")
    assert plans["UC02"][5] == 0.0  # no assumed cost means none


def _restated(doc: dict) -> dict:
    return next(c for c in doc["commitments"] if c.get("restatement_reason"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: _restated(d).pop("restatement_reason"),
            r"\(valid_from 2026-01-01\): a restated commitment needs a restatement_reason",
        ),
        (
            lambda d: _restated(d).update(valid_from="2025-01-01"),
            r"commitments\[C-CS-VALUE\] \(valid_from 2025-01-01\): two versions with the same valid_from",
        ),
        (lambda d: _restated(d).update(scope_id="finance_ops"), "a restatement cannot change scope_id"),
        (
            lambda d: d["commitments"][0].update(restatement_reason="x"),
            "the first version is not a restatement",
        ),
        (lambda d: d["commitments"][0].pop("valid_from"), r"commitments\[C-CS-VALUE\]: missing valid_from"),
        (lambda d: d["commitments"][3].update(kpi_id="sla_compliance"), "is a ratio KPI"),
        (lambda d: d["commitments"][3].update(deadline="2024-12-31"), "deadline must be after valid_from"),
        (
            lambda d: d["commitments"][3].update(scope_type="team"),
            "tracked per portfolio, business_unit or use_case",
        ),
        (
            lambda d: d["hypotheses"][0]["use_cases"][0].update(use_case_id="UC01"),
            r"hypotheses\[H-CS\]\.use_cases\[0\]: use case 'UC01' is outside the scope",
        ),
        (
            lambda d: d["hypotheses"][0]["use_cases"][0].update(assumed_adoption=1.5),
            r"hypotheses\[H-CS\]\.use_cases\[0\]: assumed_adoption must be in \(0, 1\]",
        ),
        (lambda d: d["hypotheses"][0]["use_cases"][0].pop("planned_go_live"), "missing planned_go_live"),
        (
            lambda d: d["expansions"][0].update(commitment_id="C-NONE"),
            r"expansions\[X-IT-EMEA\]: unknown commitment_id",
        ),
        (lambda d: d["expansions"][0].update(scale=0), r"expansions\[X-IT-EMEA\]: scale .* must be positive"),
        (
            lambda d: d["expansions"][0].update(horizon_months=1.5),
            "horizon_months must be a positive whole number",
        ),
    ],
)
def test_invalid_lifecycle_entries_name_the_file_and_entry(mutate, message):
    doc = demo()
    mutate(doc)
    with pytest.raises(RegistryError, match=f"registry.yml: .*{message}"):
        parse(doc)
