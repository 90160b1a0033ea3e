"""The value-lifecycle statistics: an asset between the dbt intermediate models and the lifecycle marts."""

import dagster as dg

from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.lifecycle import refresh_forecasts


@dg.asset(
    key=["stats", "commitment_forecasts"],
    group_name="lifecycle",
    kinds={"duckdb", "python"},
    deps=[
        dg.AssetKey(["intermediate", "int_commitments_as_of"]),
        dg.AssetKey(["intermediate", "int_commitment_use_case_months"]),
        dg.AssetKey(["staging", "stg_registry__expansions"]),
    ],
    description=(
        "Forecast every commitment's cumulative net value at its deadline (random walk with drift, 80% "
        "t interval, probability of reaching the target, value at risk) and project every registry "
        "expansion; write stats.commitment_forecasts."
    ),
)
def commitment_forecasts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.engine() as engine:
        frame = refresh_forecasts(engine)
    context.log.info(f"commitment forecasts: {len(frame)} rows")
    deadline = frame[frame["projection_kind"] == "deadline"]
    return dg.MaterializeResult(
        metadata={
            "commitments": len(deadline),
            "expansions": int((frame["projection_kind"] == "expansion").sum()),
            "forecasts": dg.MetadataValue.md(
                deadline[
                    [
                        "commitment_id",
                        "forecast_value",
                        "forecast_low",
                        "forecast_high",
                        "probability_reaching_target",
                        "value_at_risk",
                        "note",
                    ]
                ].to_markdown(index=False)
            ),
        }
    )


defs = dg.Definitions(assets=[commitment_forecasts])
