"""Event sources are delivered, loaded and replaced one UTC day at a time."""

import dagster as dg

from value_pipeline.config import Settings

daily_partitions = dg.DailyPartitionsDefinition(start_date=Settings.from_env().partitions_start.isoformat())
