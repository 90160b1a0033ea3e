"""A nightly run selects the sources that changed and what they feed, judged against real runs
recorded in a real Dagster instance (defs/selection.py)."""

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest

from value_pipeline.config import Settings
from value_pipeline.contracts import load_contracts
from value_pipeline.defs.checks import FRESHNESS_CHECK
from value_pipeline.defs.ingest import REGISTRY_KEYS
from value_pipeline.defs.jobs import value_pipeline_job
from value_pipeline.defs.resources import LandingResource, WarehouseResource
from value_pipeline.defs.selection import BUILD_TAG, build_fingerprint, plan_run

pytestmark = pytest.mark.integration

DAY = "2025-03-02"
EVENTS = dg.AssetKey(["raw", "workflow_events"])
FX = dg.AssetKey(["raw", "finance_fx_rates"])
HEADER = "event_id,case_id,use_case_id,event_type,event_ts,actor_type,actor_id,team,priority"
FX_RATES = "currency,rate_date,rate_to_reporting\nEUR,2025-01-01,1.0796\n"


def deliver(landing: Path) -> None:
    folder = landing / "workflow_events" / f"dt={DAY}"
    folder.mkdir(parents=True)
    (folder / "events.csv").write_text(
        f"{HEADER}\n{DAY}-1,c1,UC02,opened,{DAY}T08:00:00Z,human,a1,cs_amer,P2\n"
    )
    finance = landing / "finance" / "dt=2025-03-01"
    finance.mkdir(parents=True)
    (finance / "fx_rates.csv").write_text(FX_RATES)


def load(instance: dg.DagsterInstance, landing: Path, warehouse: Path, tags: dict[str, str]) -> None:
    """A real run of the job's registry, snapshot sources and workflow events steps for the day."""
    from value_pipeline.definitions import defs

    contracts = load_contracts().values()
    snapshots = {dg.AssetKey(["raw", c.raw_table]) for c in contracts if not c.is_event_source}
    job = defs.resolve_job_def(value_pipeline_job.name)
    job = job.get_subset(asset_selection={*REGISTRY_KEYS, *snapshots, EVENTS})
    result = job.execute_in_process(
        instance=instance,
        partition_key=DAY,
        tags=tags,
        resources={
            "landing": LandingResource(root=str(landing)),
            "warehouse": WarehouseResource(path=str(warehouse)),
        },
    )
    assert result.success


def chosen(plan) -> dict[str, bool]:
    return {change.source: change.changed for change in plan.sources}


def test_a_day_selects_what_changed_and_what_it_feeds(landing, tmp_path):
    deliver(landing)
    warehouse = tmp_path / "warehouse.duckdb"
    settings = replace(Settings.from_env(), landing_root=landing, warehouse_path=warehouse)
    day = [date.fromisoformat(DAY)]
    nightly = {BUILD_TAG: build_fingerprint()}
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        plan = plan_run(instance, settings, day)
        assert plan.everything and "no warehouse" in plan.why
        load(instance, landing, warehouse, {})
        plan = plan_run(instance, settings, day)
        assert plan.everything and "no finished nightly run" in plan.why

        load(instance, landing, warehouse, nightly)
        plan = plan_run(instance, settings, day)
        assert not plan.everything, plan.why
        selected = chosen(plan)
        assert selected["workflow_events"], plan.sources
        assert not selected["registry"] and not selected["finance_fx_rates"], plan.sources
        assert not chosen(plan)["observations"], "an event source without a folder of the day"
        assert EVENTS in plan.assets and dg.AssetKey(["marts", "fct_kpi_daily"]) in plan.assets
        assert FX not in plan.assets and dg.AssetKey(["marts", "dim_use_case"]) not in plan.assets
        assert not {key for key in plan.assets if key.path[0] == "raw" and key != EVENTS}
        # Every event source's freshness is checked, delivered or not.
        fresh = {k.asset_key.path[-1] for k in plan.checks if k.name == FRESHNESS_CHECK}
        assert fresh == {"workflow_events", "ai_usage", "observations", "survey_responses"}

        # The same rows written again are no change; other rows are.
        fx_file = landing / "finance" / "dt=2025-03-01" / "fx_rates.csv"
        fx_file.write_text(FX_RATES)
        assert not chosen(plan_run(instance, settings, day))["finance_fx_rates"]
        fx_file.write_text(FX_RATES + "EUR,2025-02-01,1.0657\n")
        plan = plan_run(instance, settings, day)
        assert chosen(plan)["finance_fx_rates"] and FX in plan.assets
        assert dg.AssetKey(["marts", "fct_value_tracked"]) in plan.assets

        # Loaded by a run without a build (launched from the UI, say): its downstream may be stale.
        load(instance, landing, warehouse, {})
        why = {c.source: c.why for c in plan_run(instance, settings, day).sources}
        assert "did not finish as a nightly run" in why["finance_fx_rates"]
        assert "did not finish as a nightly run" in why["registry"]

        # A changed registry selects every registry table and everything they feed.
        load(instance, landing, warehouse, nightly)
        registry_file = landing / "registry" / "registry.yml"
        registry_file.write_text(registry_file.read_text() + "\n")
        plan = plan_run(instance, settings, day)
        assert chosen(plan)["registry"] and set(REGISTRY_KEYS) <= plan.assets
        assert FX in plan.assets and dg.AssetKey(["marts", "dim_use_case"]) in plan.assets

        # Another build (the code or the engine changed): everything, and no day given: everything.
        load(instance, landing, warehouse, {BUILD_TAG: "another build"})
        assert plan_run(instance, settings, day).everything
        assert plan_run(instance, settings, None).everything


def test_the_schedule_requests_the_plan_of_yesterday(landing, tmp_path, monkeypatch):
    from value_pipeline.definitions import defs
    from value_pipeline.defs.schedules import nightly_schedule

    deliver(landing)
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("VALUE_PIPELINE_LANDING", str(landing))
    monkeypatch.setenv("VALUE_PIPELINE_WAREHOUSE", str(warehouse))
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        load(instance, landing, warehouse, {BUILD_TAG: build_fingerprint()})
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2025, 3, 3, 2, tzinfo=UTC),
            repository_def=defs.get_repository_def(),
        )
        (request,) = nightly_schedule.evaluate_tick(context).run_requests
    assert request.partition_key == DAY
    assert request.tags[BUILD_TAG] == build_fingerprint()
    assert EVENTS in request.asset_selection and FX not in request.asset_selection
    assert any(k.name == FRESHNESS_CHECK for k in request.asset_check_keys)
