"""Registry parsing and validation: clear errors naming the file and the entry; one schema behind the
parser, the raw tables and the JSON Schema."""

import copy
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from value_pipeline.config import DEMO_REGISTRY
from value_pipeline.landing.validate import validate_landing
from value_pipeline.registry import (
    TABLES,
    RegistryError,
    _StrictLoader,
    load_registry,
    parse_registry,
    registry_tables,
)
from value_pipeline.registry_schema import KPI_UNITS, TOP_LEVEL_KEYS, json_schema


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
    assert ("VC08", "cs_apac", date(2026, 5, 1)) in tables["registry_value_chain_rollouts"]
    primary = {r[0]: r[5] for r in tables["registry_use_cases"]}
    assert primary["UC07"] == "cs_amer"


def test_malformed_yaml_names_the_file_and_line():
    with pytest.raises(RegistryError, match=r"(?s)registry.yml: malformed YAML.*line 2"):
        parse_registry("use_cases:\n  - {id: UC01, name: [unclosed\n", "registry.yml")


def test_duplicate_ids_are_refused():
    doc = demo()
    doc["use_cases"].append(copy.deepcopy(doc["use_cases"][0]))
    with pytest.raises(RegistryError, match="duplicate id 'UC01' in `use_cases`"):
        parse(doc)


def _chain(doc: dict, chain_id: str) -> dict:
    return next(c for c in doc["value_chains"] if c["id"] == chain_id)


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
        (
            lambda d: d["assumptions"][0].update(low=0.5, base=0.3),
            r"assumptions\[0\]: low <= base <= high must hold \(0.5, 0.3, 0.5\)",
        ),
        (lambda d: d["assumptions"][0].update(high=1.5), r"assumptions\[0\]: high must be from 0 to 1"),
        (
            lambda d: d["assumptions"][1].update(use_case_id="UC99"),
            r"assumptions\[1\]: unknown use_case_id 'UC99'",
        ),
        (
            lambda d: d["assumptions"].append(dict(d["assumptions"][1])),
            r"assumptions\[3\]: a second automation_share for the same use case and activity",
        ),
        (
            lambda d: _chain(d, "VC08")["design"]["rollout"].append(
                {"team": "cs_amer", "date": "2026-04-01"}
            ),
            r"value_chains\[VC08\]: design.rollout team 'cs_amer' is not one of treatment_teams",
        ),
        (
            lambda d: _chain(d, "VC08")["design"]["rollout"].append(
                {"team": "cs_emea", "date": "2026-04-01"}
            ),
            r"value_chains\[VC08\]: design.rollout names a team twice",
        ),
        (
            lambda d: _chain(d, "VC02")["design"].update(rollout=[{"team": "cs_amer", "date": "2025-11-03"}]),
            r"value_chains\[VC02\]: design.rollout is for staggered_adoption with warehouse evidence",
        ),
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
    assert kept == ["VC03", "VC04", "VC05", "VC06", "VC07", "VC08", "VC09", "VC10", "VC11"]


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
        (lambda d: d["expansions"][0].update(scale=0), r"expansions\[X-IT-EMEA\]: scale must be positive"),
        (
            lambda d: d["expansions"][0].update(horizon_months=1.5),
            r"expansions\[X-IT-EMEA\]\.horizon_months: 1\.5 is not a whole number",
        ),
        (
            lambda d: d["expansions"][0].update(horizon_months=0),
            r"expansions\[X-IT-EMEA\]: horizon_months must be positive",
        ),
    ],
)
def test_invalid_lifecycle_entries_name_the_file_and_entry(mutate, message):
    doc = demo()
    mutate(doc)
    with pytest.raises(RegistryError, match=f"registry.yml: .*{message}"):
        parse(doc)


# --- one schema: the raw tables, the JSON Schema and the parser agree -----------------------------------

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_FILES = sorted((ROOT / "assets" / "registry").glob("*registry*.yml"))


def test_raw_table_columns_are_the_ones_dbt_reads():
    """TABLES is derived from the schema; dbt's source definition of the same tables is the check."""
    sources = yaml.safe_load(
        (ROOT / "dbt_project/models/staging/registry/_registry__sources.yml").read_text()
    )
    declared = {t["identifier"]: [c["name"] for c in t["columns"]] for t in sources["sources"][0]["tables"]}
    derived = {name: [c for c, _ in columns] for name, columns in TABLES.items()}
    # The rejections are read by value_pipeline/value_chains.py, not by dbt.
    assert derived == {**declared, "registry_value_chain_rejections": ["value_chain_id", "reason"]}


def test_the_kpi_ids_are_the_ones_the_warehouse_computes():
    unioned = (ROOT / "dbt_project/models/intermediate/kpis/int_kpi_daily_unioned.sql").read_text()
    assert re.findall(r"\('int_kpi_(\w+)_daily'", unioned) == list(KPI_UNITS)


@pytest.mark.parametrize("path", REGISTRY_FILES, ids=[p.name for p in REGISTRY_FILES])
def test_every_shipped_registry_parses_and_passes_the_json_schema(path):
    text = path.read_text(encoding="utf-8")
    registry = parse_registry(text, path.name)
    assert registry.sections["use_cases"] and registry.sections["kpis"]
    jsonschema.Draft202012Validator(json_schema()).validate(strict_yaml(text))


def strict_yaml(text: str):
    """YAML as an editor's language server reads it: dates stay text."""
    return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass


def test_the_json_schema_is_valid_and_rejects_what_the_parser_rejects():
    jsonschema.Draft202012Validator.check_schema(json_schema())
    validator = jsonschema.Draft202012Validator(json_schema())
    for mutate in (
        lambda d: d["use_cases"][0].update(value_targt=1),
        lambda d: d.update(sla_polices=d.pop("sla_policies")),
        lambda d: d["value_chains"][1]["design"].update(evidense="warehouse"),
        lambda d: d["use_cases"][0].update(go_live_date="2025-6-2"),
        lambda d: d["kpis"][2].update(id="sla_complience"),
        lambda d: d["use_cases"][0].pop("status"),
        lambda d: d["sla_policies"][0].update(sla_hours=0),
        lambda d: d.update(kpis=[]),
        lambda d: d.pop("use_cases"),
    ):
        doc = strict_yaml(DEMO_REGISTRY.read_text())
        mutate(doc)
        assert not validator.is_valid(doc)
        with pytest.raises(RegistryError):
            parse_registry(yaml.safe_dump(doc), "registry.yml")


# --- strict reading: every new error class, with its exact message --------------------------------------

SECTIONS_LIST = (
    "business_units:, teams:, use_cases:, kpis:, sla_policies:, value_chains:, hypotheses:, commitments:,"
    " expansions:, assumptions:"
)


def demo_text(old: str, new: str) -> str:
    text = DEMO_REGISTRY.read_text()
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


UC01 = "value_target: 600000}"
UC01_LINE = line_of(DEMO_REGISTRY.read_text(), "id: UC01")
ALIASES = "registry.yml: line 1: YAML anchors and aliases (&name, *name) are not allowed: write the value out"
NOT_A_MAPPING = (
    f"registry.yml: the registry must be a mapping of settings and sections ({SECTIONS_LIST}), not"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            demo_text("reporting_currency: USD\n", "reporting_currency: USD\nreporting_currency: EUR\n"),
            "registry.yml: line 5: duplicate key 'reporting_currency' (first on line 4)",
            id="duplicate_yaml_key",
        ),
        pytest.param(
            demo_text(UC01, "value_target: 600000, value_target: 0}"),
            f"registry.yml: line {UC01_LINE}: duplicate key 'value_target' (first on line {UC01_LINE})",
            id="duplicate_key_in_an_entry",
        ),
        pytest.param(
            demo_text("sla_policies:\n", "sla_polices:\n"),
            "registry.yml: unknown key 'sla_polices' (did you mean 'sla_policies'?)",
            id="misspelt_section_key",
        ),
        pytest.param(
            demo_text(UC01, "value_targt: 600000}"),
            "registry.yml: use_cases[UC01]: unknown key 'value_targt' (did you mean 'value_target'?)",
            id="misspelt_entry_key",
        ),
        pytest.param(
            demo_text(
                "      evidence: warehouse\n      use_case_id: UC07\n      treatment_teams: [cs_amer]\n"
                "      control_teams: [cs_emea, cs_apac, cs_latam]\n      pre_window: [2025-08-04",
                "      evidense: warehouse\n      use_case_id: UC07\n      treatment_teams: [cs_amer]\n"
                "      control_teams: [cs_emea, cs_apac, cs_latam]\n      pre_window: [2025-08-04",
            ),
            "registry.yml: value_chains[VC02].design: unknown key 'evidense' (did you mean 'evidence'?)",
            id="misspelt_nested_key",
        ),
        pytest.param(
            demo_text(UC01, "value_target: 600000, colour: blue}"),
            "registry.yml: use_cases[UC01]: unknown key 'colour' (one of id, name, process, owner,"
            " business_unit, teams, status, identified_date, go_live_date, baseline_days, post_window,"
            " value_target)",
            id="unknown_key_without_a_near_one",
        ),
        pytest.param(
            "business_units: &units\n  - {id: bu}\nteams: *units\n",
            ALIASES,
            id="yaml_alias",
        ),
        pytest.param(
            'a: &a ["x", "x"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n',
            ALIASES,
            id="billion_laughs",
        ),
        pytest.param(
            "use_cases:\n  - <<: {id: UC01}\n    name: x\n",
            "registry.yml: line 2: YAML merge keys (<<) are not allowed: write the keys out",
            id="yaml_merge_key",
        ),
        pytest.param(
            demo_text("go_live_date: 2025-06-02", "go_live_date: 2025-13-02"),
            "registry.yml: use_cases[UC01].go_live_date: '2025-13-02' is not a date (YYYY-MM-DD)",
            id="invalid_date",
        ),
        pytest.param(
            demo_text("pre_window: [2025-08-04, 2025-11-02]", "pre_window: [2025-08-04, 2025-11-31]"),
            "registry.yml: value_chains[VC02].design.pre_window[1]: '2025-11-31' is not a date (YYYY-MM-DD)",
            id="invalid_date_in_a_window",
        ),
        pytest.param(
            "- use_cases: []\n- kpis: []\n",
            f"{NOT_A_MAPPING} a list",
            id="list_instead_of_mapping",
        ),
        pytest.param(
            "just some text\n",
            f"{NOT_A_MAPPING} text",
            id="scalar_instead_of_mapping",
        ),
        pytest.param(
            "", "registry.yml: the registry is empty: it needs at least use_cases: and kpis:", id="empty_file"
        ),
        pytest.param(
            "# only a comment\n",
            "registry.yml: the registry is empty: it needs at least use_cases: and kpis:",
            id="comments_only",
        ),
        pytest.param(
            demo_text("reporting_currency: USD", "reporting_currency: usd"),
            "registry.yml: reporting_currency: 'usd' does not match ^[A-Z]{3}$",
            id="bad_currency_setting",
        ),
        pytest.param(
            demo_text("source_time_zone: UTC", "source_time_zone: Mars/Olympus"),
            "registry.yml: source_time_zone: 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Berlin)",
            id="unknown_time_zone",
        ),
        pytest.param(
            demo_text("registry_version: 1\n", "registry_version: 1\nmin_cases_to_judge: 0\n"),
            "registry.yml: min_cases_to_judge must be at least 1",
            id="min_cases_below_one",
        ),
        pytest.param(
            demo_text("  - {priority: P1, sla_hours: 8}", "  - {priority: 1, sla_hours: 8}"),
            "registry.yml: sla_policies[0].priority: 1 is not text (write it in quotes)",
            id="number_where_text",
        ),
        pytest.param(
            demo_text("  - {priority: P1, sla_hours: 8}", "  - {priority: P1, sla_hours: .nan}"),
            "registry.yml: sla_policies[0].sla_hours: nan is not a number",
            id="nan_number",
        ),
        pytest.param(
            demo_text(
                "baseline_days: 90, value_target: 600000", "baseline_days: ninety, value_target: 600000"
            ),
            "registry.yml: use_cases[UC01].baseline_days: 'ninety' is not a whole number",
            id="text_where_whole_number",
        ),
        pytest.param(
            demo_text("  - id: sla_compliance\n", "  - id: sla_complience\n"),
            "registry.yml: kpis[sla_complience].id: 'sla_complience' is not one of automation_coverage,"
            " cycle_time_reduction, sla_compliance, ai_tool_adoption, value_tracked, sentiment_lift"
            " (did you mean 'sla_compliance'?)",
            id="unknown_kpi_id",
        ),
        pytest.param(
            demo_text("    unit: currency\n", "    unit: ratio\n"),
            "registry.yml: kpis[value_tracked].unit: value_tracked is measured in currency",
            id="wrong_kpi_unit",
        ),
        pytest.param(
            "use_cases: [UC01]\nkpis: []\n",
            "registry.yml: use_cases[0]: must be a mapping, not text",
            id="entry_not_a_mapping",
        ),
        pytest.param(
            "use_cases:\n  id: UC01\nkpis: []\n",
            "registry.yml: `use_cases` must be a list of mappings, not a mapping",
            id="section_not_a_list",
        ),
    ],
)
def test_strict_reading_refuses_with_the_exact_message(text, message):
    with pytest.raises(RegistryError) as error:
        parse_registry(text, "registry.yml")
    assert str(error.value) == message


def without(section: str) -> str:
    doc = demo()
    doc.pop(section)
    return yaml.safe_dump(doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            without("use_cases"),
            "registry.yml: no `use_cases` entries: every KPI is computed from the use cases' data;"
            " add at least one",
            id="no_use_cases",
        ),
        pytest.param(
            without("kpis"),
            "registry.yml: no `kpis` entries: only the KPIs defined here are published; add at least one",
            id="no_kpis",
        ),
        pytest.param(
            demo_text("kpis:\n", "kpis: []\nunused_kpis:\n"),
            f"registry.yml: unknown key 'unused_kpis' (one of {', '.join(TOP_LEVEL_KEYS)})",
            id="kpis_moved_under_an_unknown_key",
        ),
    ],
)
def test_a_registry_that_cannot_produce_the_kpis_is_refused(text, message):
    with pytest.raises(RegistryError) as error:
        parse_registry(text, "registry.yml")
    assert str(error.value) == message


def test_validate_refuses_a_registry_without_kpis_before_loading_anything(tmp_path):
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "registry.yml").write_text(without("kpis"))
    events = tmp_path / "workflow_events" / "dt=2025-06-02"
    events.mkdir(parents=True)
    (events / "events.csv").write_text("this file is never read\n")
    report = validate_landing(tmp_path)
    assert not report.ok
    assert report.registry_error.endswith(
        "registry.yml: no `kpis` entries: only the KPIs defined here are published; add at least one"
    )
    assert report.sources == []


def test_parsed_values_are_typed_and_defaults_filled():
    registry = parse(demo())
    uc09 = next(u for u in registry.sections["use_cases"] if u["id"] == "UC09")
    assert uc09["identified_date"] == date(2025, 9, 1) and "go_live_date" not in uc09
    assert uc09["post_window"] == "to_date" and uc09["value_target"] == 120000.0
    vc02 = next(c for c in registry.sections["value_chains"] if c["id"] == "VC02")
    assert vc02["design"]["pre_window"] == [date(2025, 8, 4), date(2025, 11, 2)]
    assert registry.settings["registry_version"] == "1" and registry.settings["min_cases_to_judge"] == "20"
    # A setting without a default is left out when not given, never written as "None".
    assert "None" not in registry.settings.values()


# --- several registry files ------------------------------------------------------------------------------


def registry_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "registry").mkdir()
    for name, text in files.items():
        (tmp_path / "registry" / name).write_text(text)
    return tmp_path


def test_several_files_are_concatenated_and_errors_name_the_file(tmp_path):
    doc = demo()
    expansions = {"expansions": doc.pop("expansions")}
    landing = registry_folder(tmp_path, {"a.yml": yaml.safe_dump(doc), "b.yml": yaml.safe_dump(expansions)})
    assert load_registry(landing).ids("expansions") == ["X-IT-EMEA"]

    (landing / "registry" / "b.yml").write_text("expansions:\n  - {id: X1, comitment_id: C-IT-VALUE}\n")
    with pytest.raises(RegistryError) as error:
        load_registry(landing)
    assert str(error.value) == (
        f"{landing}/registry/b.yml: expansions[X1]: unknown key 'comitment_id'"
        " (did you mean 'commitment_id'?)"
    )


def test_a_setting_given_in_two_files_is_refused(tmp_path):
    landing = registry_folder(
        tmp_path, {"a.yml": DEMO_REGISTRY.read_text(), "b.yml": "reporting_currency: EUR\n"}
    )
    with pytest.raises(RegistryError) as error:
        load_registry(landing)
    assert str(error.value) == (
        f"{landing}/registry/b.yml: reporting_currency is also set in {landing}/registry/a.yml:"
        " set it in one file"
    )
