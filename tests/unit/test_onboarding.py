"""`value-pipeline init` and `adapt` without the CLI: the zone's layout, the starter registry, the
registry edit that keeps the user's comments, and re-runs that change nothing."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
import yaml

from value_pipeline.adapters import AdapterConfigError
from value_pipeline.config import DEFAULT_HOME, project_env, project_home
from value_pipeline.contracts import load_contracts
from value_pipeline.onboarding import (
    STARTER_REGISTRY,
    OnboardingError,
    adapt_export,
    init_landing,
    insert_use_case,
    source_name,
)
from value_pipeline.registry import RegistryError, load_registry, parse_registry

KPIS = {
    "automation_coverage",
    "cycle_time_reduction",
    "sla_compliance",
    "ai_tool_adoption",
    "value_tracked",
    "sentiment_lift",
}


def _xes(path: Path, traces: dict[str, list[tuple[str, str]]]) -> Path:
    """A gzipped XES log: case -> [(activity, timestamp)]."""
    body = "".join(
        f'<trace><string key="concept:name" value="{case}"/>'
        + "".join(
            f'<event><string key="concept:name" value="{activity}"/>'
            f'<date key="time:timestamp" value="{ts}"/></event>'
            for activity, ts in events
        )
        + "</trace>"
        for case, events in traces.items()
    )
    path.write_bytes(gzip.compress(f'<?xml version="1.0"?><log xes.version="1.0">{body}</log>'.encode()))
    return path


def test_starter_registry_is_valid_as_written():
    registry = parse_registry(STARTER_REGISTRY.read_text(encoding="utf-8"), str(STARTER_REGISTRY))
    assert registry.ids("use_cases") == ["my_use_case"]
    assert set(registry.ids("kpis")) == KPIS
    assert len(registry.sections["sla_policies"]) == 1


def test_init_makes_every_contract_folder_a_registry_and_a_readme(tmp_path):
    root = tmp_path / "L"
    created = init_landing(root)
    folders = {c.folder for c in load_contracts().values()} | {"registry"}
    assert {p.name for p in root.iterdir() if p.is_dir()} == folders
    assert set(created) == {root / f for f in folders} | {
        root / "registry" / "registry.yml",
        root / "README.md",
    }
    assert load_registry(root).ids("use_cases") == ["my_use_case"]
    readme = (root / "README.md").read_text()
    assert all(f"`{folder}/`" in readme for folder in folders - {"registry"})


def test_init_again_adds_what_is_missing_and_keeps_user_files(tmp_path):
    root = tmp_path / "L"
    init_landing(root)
    registry = root / "registry" / "registry.yml"
    registry.write_text(registry.read_text() + "# my own note\n")
    (root / "finance").rmdir()
    assert init_landing(root) == [root / "finance"]
    assert registry.read_text().endswith("# my own note\n")
    assert init_landing(root) == []


def test_init_refuses_a_folder_that_is_not_a_zone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OnboardingError, match="not empty and was not made by `value-pipeline init`"):
        init_landing(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_init_writes_no_second_registry_beside_the_users(tmp_path):
    root = tmp_path / "L"
    init_landing(root)
    (root / "registry" / "registry.yml").rename(root / "registry" / "ours.yaml")
    init_landing(root)
    assert [p.name for p in (root / "registry").iterdir()] == ["ours.yaml"]


def test_insert_use_case_keeps_comments_and_other_entries():
    text = (
        "# top comment\n"
        "business_units:\n  - {id: bu, name: BU}\n"
        "use_cases:   # ours\n"
        "    - {id: a, name: A, business_unit: bu, status: identified}  # keep me\n"
        "\n# About the KPIs\nkpis: []\n"
    )
    entry = {"id": "yes", "name": "x: y", "business_unit": "bu", "status": "identified"}
    out = insert_use_case(text, entry, "log.xes")
    assert out.startswith(text.split("\n# About")[0])
    assert "  # keep me\n" in out and out.endswith("\n# About the KPIs\nkpis: []\n")
    doc = yaml.safe_load(out)
    # YAML reads a plain `yes` as true and `x: y` as a mapping: both quoted, both read back as written.
    assert [u["id"] for u in doc["use_cases"]] == ["a", "yes"]
    assert doc["use_cases"][1] == entry
    assert "\n    - id: " in out  # the list's own indentation


@pytest.mark.parametrize(
    ("text", "expected_tail"),
    [
        ("registry_version: 1\nuse_cases: []\n", "use_cases:\n  #"),
        ("registry_version: 1", "registry_version: 1\n\nuse_cases:\n  #"),
    ],
)
def test_insert_use_case_into_an_empty_or_missing_list(text, expected_tail):
    out = insert_use_case(text, {"id": "u", "status": "identified"}, "f.csv")
    assert expected_tail in out
    assert yaml.safe_load(out)["use_cases"] == [{"id": "u", "status": "identified"}]


def test_insert_use_case_refuses_a_flow_list_with_entries():
    with pytest.raises(OnboardingError, match="line 2"):
        insert_use_case("a: 1\nuse_cases: [{id: x}]\n", {"id": "u"}, "f.csv")


def test_adapt_writes_partitions_adds_the_use_case_and_reruns_idempotently(tmp_path):
    root = tmp_path / "L"
    init_landing(root)
    log = _xes(
        tmp_path / "tickets.xes.gz",
        {
            "c1": [("Open", "2012-03-01T10:00:00Z"), ("Solve", "2012-03-02T11:00:00+01:00")],
            "c2": [("Open", "2012-03-02T09:00:00Z"), ("Solve", "")],
        },
    )
    result = adapt_export("xes", log, root, "tickets", {"activity_map": {"Solve": "resolved"}})
    assert (result.stats["events"], result.stats["cases"]) == (3, 2)
    assert result.stats["rows_dropped"] == {"missing time:timestamp": 1}
    assert (result.written["files"], result.written["first_date"], result.written["last_date"]) == (
        2,
        "2012-03-01",
        "2012-03-02",
    )
    day = (root / "workflow_events" / "dt=2012-03-02" / "tickets-tickets.csv").read_text().splitlines()
    header = day[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in day[1:]]
    assert [(r["case_id"], r["event_type"], r["activity"]) for r in rows] == [
        ("c2", "opened", "Open"),
        ("c1", "resolved", "Solve"),
    ]
    registry = load_registry(root)
    added = registry.sections["use_cases"][-1]
    assert added["id"] == "tickets" and added["status"] == "identified" and "go_live_date" not in added
    assert added["identified_date"] == date(2012, 3, 1)
    text = (root / "registry" / "registry.yml").read_text()
    assert "TO REVIEW" in text and text.count("- id: tickets") == 1
    assert "# The six KPIs with default targets" in text  # the starter's comments survive

    files = sorted(p.relative_to(root) for p in (root / "workflow_events").rglob("*") if p.is_file())
    again = adapt_export("xes", log, root, "tickets", {"activity_map": {"Solve": "resolved"}})
    assert again.registry_file is None and (root / "registry" / "registry.yml").read_text() == text
    assert sorted(p.relative_to(root) for p in (root / "workflow_events").rglob("*") if p.is_file()) == files


def test_adapt_csv_keeps_the_mapped_activity(tmp_path):
    root = tmp_path / "L"
    init_landing(root)
    export = tmp_path / "log.csv"
    export.write_text(
        "case,when,state,step\nA,2013-01-01T08:00:00Z,New,Create\nA,2013-01-01T09:00:00Z,Done,Close\n"
    )
    config = {
        "columns": {"case_id": "case", "event_ts": "when", "activity": "step"},
        "event_type_columns": ["state"],
        "event_type_map": {"Done": "closed"},
    }
    adapt_export("csv", export, root, "orders", config)
    day = (root / "workflow_events" / "dt=2013-01-01" / "orders-log.csv").read_text().splitlines()
    activity = day[0].split(",").index("activity")
    assert [line.split(",")[activity] for line in day[1:]] == ["Create", "Close"]


def test_adapt_csv_without_its_mapping_names_the_options(tmp_path):
    root = tmp_path / "L"
    init_landing(root)
    export = tmp_path / "log.csv"
    export.write_text("a,b\n1,2\n")
    with pytest.raises(
        AdapterConfigError, match=r"needs the option\(s\) \['columns', 'event_type_columns'\]"
    ):
        adapt_export("csv", export, root, "orders", {})
    assert not list((root / "workflow_events").iterdir())


def test_adapt_refuses_a_landing_without_registry_and_a_broken_registry(tmp_path):
    log = _xes(tmp_path / "t.xes.gz", {"c": [("Open", "2012-03-01T10:00:00Z")]})
    with pytest.raises(OnboardingError, match="value-pipeline init"):
        adapt_export("xes", log, tmp_path / "nowhere", "t")
    root = tmp_path / "L"
    init_landing(root)
    (root / "registry" / "registry.yml").write_text("- just a list\n")
    with pytest.raises(RegistryError):
        adapt_export("xes", log, root, "t")
    assert not list((root / "workflow_events").iterdir())


def test_source_name_is_a_plain_file_name():
    assert source_name("RD helpdesk", Path("/x/help desk.xes.gz")) == "RD_helpdesk-help_desk"
    assert source_name("_u", Path("..csv")) == "u"


def test_a_landing_other_than_the_default_gets_its_own_home(tmp_path):
    landing = tmp_path / "L"
    env = project_env({"VALUE_PIPELINE_LANDING": str(landing)})
    home = project_home(landing)
    assert home.parent == DEFAULT_HOME / "projects" and home.name.startswith("L-")
    assert env == {
        "VALUE_PIPELINE_WAREHOUSE": str(home / "warehouse" / "warehouse.duckdb"),
        "VALUE_PIPELINE_SERVING": str(home / "serving"),
        "VALUE_PIPELINE_REPORTS": str(home / "reports"),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }
    assert project_home(tmp_path / "other" / "L") != home
    # A chosen home or warehouse, or the default landing, derive nothing; a chosen path is kept.
    assert project_env({"VALUE_PIPELINE_LANDING": str(landing), "VALUE_PIPELINE_HOME": "/h"}) == {}
    assert (
        project_env({"VALUE_PIPELINE_LANDING": str(landing), "VALUE_PIPELINE_WAREHOUSE": "/w.duckdb"}) == {}
    )
    assert project_env({"VALUE_PIPELINE_LANDING": str(DEFAULT_HOME / "landing")}) == {}
    assert "DAGSTER_HOME" not in project_env({"VALUE_PIPELINE_LANDING": str(landing), "DAGSTER_HOME": "/d"})
