"""Publishing: one asset downstream of every public mart, copying them where BI tools read them."""

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.defs.checks import GUARDED_FACTS
from value_pipeline.defs.dbt import dbt_models, dbt_statistics_marts
from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.serving import keep_from_env, publish
from value_pipeline.serving.postgres import PostgresTarget

# Every dbt model in the marts layer, so a new mart is published without touching this module.
MART_KEYS = sorted(
    {key for assets in (dbt_models, dbt_statistics_marts) for key in assets.keys if key.path[0] == "marts"},
    key=lambda key: key.path,
)
# Dagster holds an asset back only for the blocking checks of its direct parents; the guarded facts
# outside the marts (int_cases) are parents too, so a failed volume check there also stops publishing.
BLOCKING_PARENTS = sorted({*MART_KEYS, *(dg.AssetKey(key) for key in GUARDED_FACTS)}, key=lambda k: k.path)


@dg.asset(
    key=["serving", "published_marts"],
    group_name="serving",
    kinds={"parquet", "duckdb", "postgres"},
    deps=BLOCKING_PARENTS,
    description=(
        "Copy every mart to the serving stores BI tools read (never the warehouse file): versioned "
        "Parquet behind serving/CURRENT, the read-only serving/marts.duckdb, and the PostgreSQL schema "
        "marts when VALUE_PIPELINE_POSTGRES_URL is set. Each store switches to the new version "
        "atomically; runs only when every blocking check of the marts passed."
    ),
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = Settings.from_env()
    target = PostgresTarget.from_env(settings.postgres_url)
    marts = [key.path[-1] for key in MART_KEYS]
    with warehouse.read_copy([f"marts.{mart}" for mart in marts]) as con:
        result = publish(
            con,
            marts,
            settings.serving_root,
            keep=keep_from_env(),
            postgres=target,
        )
    context.log.info(f"published {len(result.row_counts)} marts as {result.publish_id}")
    return dg.MaterializeResult(
        metadata={
            "publish_id": result.publish_id,
            "row_counts": dg.MetadataValue.json(result.row_counts),
            "parquet_folder": dg.MetadataValue.path(str(result.parquet_folder)),
            "duckdb_file": dg.MetadataValue.path(str(result.duckdb_file)),
            "postgres": result.postgres or "not configured (VALUE_PIPELINE_POSTGRES_URL unset)",
            "pruned_publishes": dg.MetadataValue.json(result.pruned),
        }
    )


defs = dg.Definitions(assets=[published_marts])
