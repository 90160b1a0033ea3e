"""The version a run staged for publication, read by the reports and by the publish step after them."""

from pathlib import Path

import dagster as dg

from value_pipeline.serving import Staged
from value_pipeline.serving.parquet import published_row_counts

STAGED_MARTS = dg.AssetKey(["serving", "staged_marts"])


def staged_publish(context: dg.AssetExecutionContext) -> Staged:
    """The version ``serving/staged_marts`` staged in this run; refuses when it did not run."""
    event = context.instance.get_latest_materialization_event(STAGED_MARTS)
    if event is None or event.run_id != context.run.run_id:
        raise dg.Failure(
            f"{STAGED_MARTS.to_user_string()} was not materialized in this run: select it together with "
            f"{context.asset_key.to_user_string()}"
        )
    metadata = event.asset_materialization.metadata
    folder = Path(metadata["folder"].value)
    return Staged(metadata["publish_id"].value, folder, published_row_counts(folder))
