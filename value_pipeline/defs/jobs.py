"""The one job: ingest everything delivered, build every dbt model, run every check."""

import dagster as dg

from value_pipeline.defs.partitions import daily_partitions
from value_pipeline.progress import progress_logger

# Steps share one DuckDB file that allows a single writer, so they run one after another in-process.
value_pipeline_job = dg.define_asset_job(
    name="value_pipeline_job",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=dg.in_process_executor,
    description="Ingest a day's (or a range of days') deliveries and rebuild the warehouse and its marts.",
)

# Dagster's console logger, and the one-line-per-step logger a quiet `value-pipeline run` configures.
defs = dg.Definitions(loggers={"console": dg.colored_console_logger, "progress": progress_logger})
