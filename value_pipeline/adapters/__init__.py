"""Source adapters: map real exports (ServiceNow, XES, any CSV event log) onto the ``workflow_events``
landing contract and write them to a landing root. Pure: no Dagster."""

from value_pipeline.adapters.base import AdapterConfigError
from value_pipeline.adapters.csv_mapping import adapt_csv
from value_pipeline.adapters.landing_writer import write_workflow_events
from value_pipeline.adapters.runner import (
    ADAPTERS,
    adapt_source,
    build_realdata_landing,
    load_source_configs,
    run_adapter,
)
from value_pipeline.adapters.servicenow import adapt_servicenow, parse_servicenow_timestamps
from value_pipeline.adapters.xes import adapt_xes, iter_xes_events

__all__ = [
    "ADAPTERS",
    "AdapterConfigError",
    "adapt_csv",
    "adapt_servicenow",
    "adapt_source",
    "adapt_xes",
    "build_realdata_landing",
    "iter_xes_events",
    "load_source_configs",
    "parse_servicenow_timestamps",
    "run_adapter",
    "write_workflow_events",
]
