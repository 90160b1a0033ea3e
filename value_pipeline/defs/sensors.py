"""Request one run for the dt= folders of the event sources that no run has loaded yet."""

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.contracts import load_contracts
from value_pipeline.defs.jobs import value_pipeline_job
from value_pipeline.defs.partitions import daily_partitions
from value_pipeline.defs.resources import LandingResource
from value_pipeline.defs.selection import plan_run
from value_pipeline.landing import event_partitions

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def unloaded_partitions(instance: dg.DagsterInstance, landing_root: Path) -> tuple[list[str], list[str]]:
    """dt= folders of the event sources that no run has loaded, and those outside the job's partitions.

    The instance's record counts, not a sensor cursor: a day loaded by any run (``value-pipeline run``,
    a backfill, the schedule) is built. A folder before VALUE_PIPELINE_START_DATE or after today is no
    partition of the job, so no run can load it; it is named rather than requested.
    """
    valid = set(daily_partitions.get_partition_keys())
    unloaded: set[str] = set()
    outside: set[str] = set()
    for contract in load_contracts().values():
        if not contract.is_event_source:
            continue
        present = {p.isoformat() for p in event_partitions(landing_root, contract)}
        outside |= present - valid
        if present & valid:
            built = instance.get_materialized_partitions(dg.AssetKey(["raw", contract.raw_table]))
            unloaded |= (present & valid) - built
    return sorted(unloaded), sorted(outside)


def backlog_request(instance: dg.DagsterInstance, landing_root: Path, partitions: list[str]) -> dg.RunRequest:
    """One run over the range from the first to the last unloaded day (as ``value-pipeline run`` does).

    Days in between that were loaded already are loaded again, which replaces them with the same rows.
    The run selects the sources that changed and what they feed (defs/selection.py).
    The run key names the range, so a tick while that run is going requests nothing new; after a failed
    run the same backlog is not requested again until a new folder lands (or the run is re-executed).
    """
    first, last = partitions[0], partitions[-1]
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    settings = replace(Settings.from_env(), landing_root=landing_root)
    return plan_run(instance, settings, days).run_request(
        run_key=f"landed-{first}-{last}-{len(partitions)}",
        tags={RANGE_START_TAG: first, RANGE_END_TAG: last, "launched_by": "new_partition_sensor"},
    )


@dg.sensor(
    job=value_pipeline_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "One run for every dt= folder of an event source that no run has loaded yet (the backlog as one "
        "partition range). Ships stopped: docs/operations.md."
    ),
)
def new_partition_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    unloaded, outside = unloaded_partitions(context.instance, landing.path)
    note = f"{len(outside)} outside the job's partitions ({outside[0]} .. {outside[-1]})" if outside else ""
    if note:
        context.log.warning(f"dt= folders not loaded: {note}")
    if not unloaded:
        return dg.SkipReason(
            f"every dt= folder under {landing.path} has been loaded" + (f"; {note}" if note else "")
        )
    return backlog_request(context.instance, landing.path, unloaded)
