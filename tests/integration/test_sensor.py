"""The new-partition sensor evaluated by Dagster against a real instance after real runs: days loaded by
any run are built, and a backlog of new dt= folders becomes one partition-range run."""

from pathlib import Path

import dagster as dg
import pytest

from value_pipeline.defs.ingest import contract_assets, registry
from value_pipeline.defs.resources import LandingResource, WarehouseResource
from value_pipeline.defs.sensors import RANGE_END_TAG, RANGE_START_TAG, new_partition_sensor

pytestmark = pytest.mark.integration

HEADER = "event_id,case_id,use_case_id,event_type,event_ts,actor_type,actor_id,team,priority"
EVENTS = dg.AssetKey(["raw", "workflow_events"])


def deliver(landing: Path, day: str) -> None:
    folder = landing / "workflow_events" / f"dt={day}"
    folder.mkdir(parents=True)
    (folder / "events.csv").write_text(
        f"{HEADER}\n"
        f"{day}-1,c-{day},UC02,opened,{day}T08:00:00Z,human,a1,cs_amer,P2\n"
        f"{day}-2,c-{day},UC02,resolved,{day}T10:30:00Z,human,a1,cs_amer,P2\n"
    )


def load(instance: dg.DagsterInstance, landing: Path, warehouse: Path, tags: dict[str, str]):
    """A real run of the registry and the workflow-events ingest asset over a partition range."""
    (events,) = [a for a in contract_assets if a.key == EVENTS]
    result = dg.materialize(
        [registry, events],
        instance=instance,
        tags=tags,
        resources={
            "landing": LandingResource(root=str(landing)),
            "warehouse": WarehouseResource(path=str(warehouse)),
        },
    )
    assert result.success


def tick(instance: dg.DagsterInstance, landing: Path):
    context = dg.build_sensor_context(
        instance=instance, resources={"landing": LandingResource(root=str(landing))}
    )
    return new_partition_sensor.evaluate_tick(context)


def test_loaded_days_are_not_requested_and_a_backlog_is_one_run(landing, tmp_path):
    for day in ("2025-03-01", "2025-03-02", "2025-03-03"):
        deliver(landing, day)
    warehouse = tmp_path / "warehouse.duckdb"
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        first = tick(instance, landing)
        assert [r.tags[RANGE_START_TAG] for r in first.run_requests] == ["2025-03-01"]
        assert [r.tags[RANGE_END_TAG] for r in first.run_requests] == ["2025-03-03"]

        # A full run, as `value-pipeline run` tags it: the first tick after it requests nothing.
        load(instance, landing, warehouse, {RANGE_START_TAG: "2025-03-01", RANGE_END_TAG: "2025-03-03"})
        assert instance.get_materialized_partitions(EVENTS) == {"2025-03-01", "2025-03-02", "2025-03-03"}
        after_full_run = tick(instance, landing)
        assert after_full_run.run_requests == []
        assert "has been loaded" in after_full_run.skip_message

        # Three new days (one of them before a gap) become one range run, not three.
        for day in ("2025-03-05", "2025-03-06", "2025-03-08"):
            deliver(landing, day)
        backlog = tick(instance, landing)
        (request,) = backlog.run_requests
        assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == ("2025-03-05", "2025-03-08")
        assert request.partition_key is None

        # The requested run, executed with the request's tags, leaves nothing to request.
        load(instance, landing, warehouse, dict(request.tags))
        assert tick(instance, landing).run_requests == []


def test_a_day_loaded_by_a_single_partition_run_counts(landing, tmp_path):
    for day in ("2025-03-01", "2025-03-02"):
        deliver(landing, day)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        load(
            instance,
            landing,
            tmp_path / "w.duckdb",
            {RANGE_START_TAG: "2025-03-02", RANGE_END_TAG: "2025-03-02"},
        )
        (request,) = tick(instance, landing).run_requests
        assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == ("2025-03-01", "2025-03-01")


def test_folders_outside_the_partitions_are_named_not_requested(landing, tmp_path):
    deliver(landing, "2024-12-31")  # the partitions start on VALUE_PIPELINE_START_DATE, 2025-01-01
    deliver(landing, "2099-01-01")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = tick(instance, landing)
    assert result.run_requests == []
    assert "2 outside the job's partitions (2024-12-31 .. 2099-01-01)" in result.skip_message


def test_after_the_demo_run_the_sensor_requests_nothing(settings, demo_run):
    """The measured regression: after `make demo` (one range run over 546 days) the first tick asked
    for 546 runs."""
    from value_pipeline.instance import open_instance

    with open_instance() as instance:
        result = tick(instance, settings.landing_root)
    assert result.run_requests == []


def test_the_schedule_and_the_sensor_ship_stopped():
    from value_pipeline.defs.schedules import nightly_schedule

    assert new_partition_sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
