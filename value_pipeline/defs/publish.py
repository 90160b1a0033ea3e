"""Publishing in two steps with the reports between them: stage every store, then commit.

``serving/staged_marts`` writes the new version where no reader looks, ``reports/*`` are built from
it, and ``serving/published_marts`` moves every store to it (``CURRENT`` last but the DuckDB link).
A failed blocking check, a required mart that lost its rows, or a failed report stops the publish
and every store stays on the previous version.
"""

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.defs import checks, ingest, quality
from value_pipeline.defs.dbt import dbt_models, dbt_statistics_marts
from value_pipeline.defs.reports import REPORT_KEYS
from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.defs.staging import STAGED_MARTS, staged_publish
from value_pipeline.serving import commit, keep_from_env, stage
from value_pipeline.serving.postgres import PostgresTarget

# Every dbt model in the marts layer, so a new mart is published without touching this module.
MART_KEYS = sorted(
    {key for assets in (dbt_models, dbt_statistics_marts) for key in assets.keys if key.path[0] == "marts"},
    key=lambda key: key.path,
)


def _blocking_checked(*definitions: dg.AssetsDefinition | dg.AssetChecksDefinition) -> set[dg.AssetKey]:
    """The assets that carry a blocking check among ``definitions``."""
    return {spec.asset_key for item in definitions for spec in item.check_specs if spec.blocking}


# Dagster holds an asset back only for the blocking checks of its direct parents: a check that runs in
# its own step after the step that built the asset's children (a GX suite on a staging model, the
# volume check on int_cases) would not stop the publish otherwise. So every asset with a blocking
# check is a parent of the staging step (tests/integration/test_publish.py holds this to the graph).
BLOCKING_PARENTS = sorted(
    {
        *MART_KEYS,
        *_blocking_checked(
            dbt_models,
            dbt_statistics_marts,
            *ingest.contract_assets,
            *checks.defs.asset_checks,
            *quality.defs.asset_checks,
        ),
    },
    key=lambda k: k.path,
)
# Marts that hold rows whenever the registry defines use cases and KPIs and events landed (the
# reports read them). One of them empty where the current publish has rows is a broken input, not
# news: it is not published. Other marts may be empty legitimately (no alerts, no finance files).
REQUIRED_MARTS = [
    "dim_date",
    "dim_kpi",
    "dim_use_case",
    "fct_kpi_daily",
    "fct_kpi_weekly",
    "fct_kpi_monthly",
    "fct_kpi_quarterly",
    "kpi_scorecard",
]


@dg.asset(
    key=STAGED_MARTS,
    group_name="serving",
    kinds={"parquet", "duckdb", "postgres"},
    deps=BLOCKING_PARENTS,
    description=(
        "Write every mart as a new version no reader sees yet: serving/<publish_id>/ (Parquet, its "
        "DuckDB file, publish.json) and the PostgreSQL schema marts_staging. Runs only when every "
        "blocking check passed (each checked asset is a parent); refuses a required mart that "
        "lost all its rows."
    ),
)
def staged_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = Settings.from_env()
    marts = [key.path[-1] for key in MART_KEYS]
    with warehouse.read_copy([f"marts.{mart}" for mart in marts]) as con:
        staged = stage(
            con,
            marts,
            settings.serving_root,
            postgres=PostgresTarget.from_env(settings.postgres_url),
            required=REQUIRED_MARTS,
        )
    for repair in staged.recovered:
        context.log.warning(repair)
    context.log.info(f"staged {len(staged.row_counts)} marts as {staged.publish_id}")
    return dg.MaterializeResult(
        metadata={
            "publish_id": staged.publish_id,
            "folder": dg.MetadataValue.path(str(staged.folder)),
            "row_counts": dg.MetadataValue.json(staged.row_counts),
            "repairs": dg.MetadataValue.json(staged.recovered),
        }
    )


@dg.asset(
    key=["serving", "published_marts"],
    group_name="serving",
    kinds={"parquet", "duckdb", "postgres"},
    deps=[STAGED_MARTS, *REPORT_KEYS, *BLOCKING_PARENTS],
    description=(
        "Publish the staged version once the reports are built from it: swap PostgreSQL's staged "
        "tables into schema marts in one transaction, move serving/CURRENT, point the read-only "
        "serving/marts.duckdb at it. Checks and restores the BI role's read-only default and password."
    ),
)
def published_marts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    target = PostgresTarget.from_env(settings.postgres_url)
    result = commit(staged_publish(context), settings.serving_root, keep=keep_from_env(), postgres=target)
    for repair in result.repairs:
        context.log.warning(repair)
    context.log.info(f"published {len(result.row_counts)} marts as {result.publish_id}")
    return dg.MaterializeResult(
        metadata={
            "publish_id": result.publish_id,
            "row_counts": dg.MetadataValue.json(result.row_counts),
            "parquet_folder": dg.MetadataValue.path(str(result.parquet_folder)),
            "duckdb_file": dg.MetadataValue.path(str(result.duckdb_file)),
            "postgres": result.postgres or "not configured (VALUE_PIPELINE_POSTGRES_URL unset)",
            "pruned_publishes": dg.MetadataValue.json(result.pruned),
            "repairs": dg.MetadataValue.json(result.repairs),
        }
    )


defs = dg.Definitions(assets=[staged_marts, published_marts])
