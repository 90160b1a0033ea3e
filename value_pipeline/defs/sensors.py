"""Request a run for each new dt= folder that lands in an event source."""

import json

import dagster as dg

from value_pipeline.contracts import load_contracts
from value_pipeline.defs.jobs import value_pipeline_job
from value_pipeline.defs.partitions import daily_partitions
from value_pipeline.defs.resources import LandingResource
from value_pipeline.landing import event_partitions


@dg.sensor(
    job=value_pipeline_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Runs the job for every dt= partition that appears in an event source's landing folder.",
)
def new_partition_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    present = {
        p.isoformat()
        for contract in load_contracts().values()
        if contract.is_event_source
        for p in event_partitions(landing.path, contract)
    }
    valid = set(daily_partitions.get_partition_keys())
    new = sorted((present - seen) & valid)
    context.update_cursor(json.dumps(sorted(seen | present)))
    if not new:
        return dg.SkipReason(f"no new dt= folder under {landing.path}")
    return [dg.RunRequest(run_key=f"landed-{key}", partition_key=key) for key in new]
