"""Nightly: load yesterday's partition and rebuild everything downstream."""

from datetime import timedelta

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.defs.jobs import value_pipeline_job
from value_pipeline.defs.selection import plan_run


@dg.schedule(
    job=value_pipeline_job,
    cron_schedule="0 2 * * *",
    execution_timezone=Settings.from_env().schedule_timezone,
    name="nightly_value_pipeline",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "02:00 in VALUE_PIPELINE_TIMEZONE: materialize yesterday's partition of the sources that changed "
        "and everything they feed, and check every event source's freshness. "
        "Ships stopped: docs/operations.md."
    ),
)
def nightly_schedule(context: dg.ScheduleEvaluationContext):
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date()
    # What yesterday's deliveries changed, and what they feed (defs/selection.py).
    plan = plan_run(context.instance, Settings.from_env(), [yesterday])
    key = yesterday.isoformat()
    return plan.run_request(run_key=f"nightly-{key}", partition_key=key)
