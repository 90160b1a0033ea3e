"""The acceptance scenario of docs/own_data.md through the installed command, on the real logs:

    value-pipeline init L
    value-pipeline adapt xes helpdesk.xes.gz --landing L --use-case helpdesk
    value-pipeline run --landing L

and the same with the ServiceNow export. Each log is built once per session in its own home
(``own_data_build`` in conftest.py, shared with test_process_mining_reference.py); the warehouse must
hold the counts published with the data (../shared/realdata/PROVENANCE.md, as in
test_realdata_warehouse.py), and the KPI facts and the published marts must have rows although the
zone holds no finance, roster, survey or AI-usage file.
"""

from __future__ import annotations

import duckdb
import pytest
import yaml

from tests.integration.conftest import REALDATA
from value_pipeline.contracts import load_contracts

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason="shared real data not available")


@pytest.fixture(scope="module", params=["helpdesk", "servicenow"])
def built(request, own_data_build) -> dict:
    """The three commands of the scenario on one log; their outputs and the paths they wrote."""
    return own_data_build(request.param)


@pytest.fixture(scope="module")
def warehouse(built):
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        yield con


def test_the_warehouse_holds_every_event_and_case_of_the_log(built, warehouse):
    assert warehouse.execute(
        "select count(*), count(distinct event_id), count(distinct case_id), min(use_case_id), "
        "max(use_case_id) from staging.stg_workflow_events__events"
    ).fetchone() == (built["events"], built["events"], built["cases"], built["use_case"], built["use_case"])
    assert warehouse.execute(
        "select count(*), count(distinct case_id) from intermediate.int_cases"
    ).fetchone() == (
        built["cases"],
        built["cases"],
    )
    assert warehouse.execute("select count(*) from raw.quarantine").fetchone() == (0,)


def test_the_source_activity_reaches_staging(built, warehouse):
    activities = dict(
        warehouse.execute(
            "select activity, count(*) from staging.stg_workflow_events__events group by 1"
        ).fetchall()
    )
    assert None not in activities and sum(activities.values()) == built["events"]
    if built["log"] == "helpdesk":
        # The log's own activity names, counted in the XES text by test_adapters.py as well.
        assert activities["Resolve ticket"] == 4_983 and activities["Take in charge ticket"] > 0
    else:
        # Opened, Resolved and Closed name the incident fields; the updates keep incident_state.
        assert activities["Opened"] == built["cases"] and {"Active", "New"} <= set(activities)


def test_kpi_facts_and_published_marts_have_rows(built, warehouse):
    kpis = dict(warehouse.execute("select kpi_id, count(*) from marts.fct_kpi_daily group by 1").fetchall())
    assert kpis.get("automation_coverage", 0) > 0
    with duckdb.connect(str(built["published"]), read_only=True) as published:
        for mart in ("fct_kpi_daily", "kpi_scorecard", "dim_use_case", "dim_date"):
            assert published.execute(f"select count(*) from {mart}").fetchone()[0] > 0, mart
        assert published.execute("select count(*) from fct_kpi_daily").fetchone()[0] == sum(kpis.values())


def test_the_run_says_which_sources_had_no_data_and_what_is_empty(built, warehouse):
    out = built["outputs"]["run"]
    missing = sorted(c.name for c in load_contracts().values() if c.name != "workflow_events")
    assert f"No data delivered for: {', '.join(missing)}" in " ".join(out.split())
    assert "Empty KPIs and marts, and why" in out and "reads sources without data" in out
    # Every source table exists (empty but typed), so no model met a missing table.
    for name in missing:
        assert warehouse.execute(f"select count(*) from raw.{name}").fetchone() == (0,)


def test_adapt_added_the_use_case_for_review(built):
    registry = yaml.safe_load((built["landing"] / "registry" / "registry.yml").read_text())
    added = [u for u in registry["use_cases"] if u["id"] == built["use_case"]]
    assert len(added) == 1 and added[0]["status"] == "identified" and "go_live_date" not in added[0]
    assert "set its go_live_date and status" in " ".join(built["outputs"]["adapt"].split())
    assert f"{built['events']:,}" in built["outputs"]["adapt"]
