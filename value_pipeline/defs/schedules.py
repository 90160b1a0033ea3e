"""Nightly: load yesterday's partition and rebuild everything downstream."""

from datetime import timedelta

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.defs.jobs import value_pipeline_job


@dg.schedule(
    job=value_pipeline_job,
    cron_schedule="0 2 * * *",
    execution_timezone=Settings.from_env().schedule_timezone,
    name="nightly_value_pipeline",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "02:00 in VALUE_PIPELINE_TIMEZONE: materialize yesterday's partition and all downstream. "
        "Ships stopped: docs/operations.md."
    ),
)
def nightly_schedule(context: dg.ScheduleEvaluationContext):
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=f"nightly-{yesterday}", partition_key=yesterday)
