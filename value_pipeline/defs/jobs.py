"""The one job: ingest everything delivered, build every dbt model, run every check."""

import dagster as dg

from value_pipeline.defs.partitions import daily_partitions

# Steps share one DuckDB file that allows a single writer, so they run one after another in-process.
value_pipeline_job = dg.define_asset_job(
    name="value_pipeline_job",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=dg.in_process_executor,
    description="Ingest a day's (or a range of days') deliveries and rebuild the warehouse and its marts.",
)
