"""The value-chain statistics: an asset between the dbt intermediate models and the value-chain marts."""

import dagster as dg

from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.value_chains import markdown_table, refresh_estimates


@dg.asset(
    key=["stats", "value_chain_estimates"],
    group_name="value_chains",
    kinds={"duckdb", "python"},
    deps=[
        dg.AssetKey(["intermediate", "int_value_chains"]),
        dg.AssetKey(["intermediate", "int_value_chain_observations"]),
        dg.AssetKey(["intermediate", "int_value_chain_action_costs"]),
        dg.AssetKey(["raw", "registry_value_chain_rejections"]),
    ],
    description=(
        "Estimate every registry value chain (estimator by design, n per cell, SE, 95% interval, evidence "
        "grade), convert the improvement to money net of the action cost, write stats.value_chain_estimates."
    ),
)
def value_chain_estimates(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.engine() as engine:
        frame = refresh_estimates(engine)
    counts = frame["status"].value_counts().to_dict()
    context.log.info(f"value chains: {counts}")
    return dg.MaterializeResult(
        metadata={
            "estimates": dg.MetadataValue.md(markdown_table(frame)),
            "value_chains": len(frame),
            **{f"{status}_chains": int(n) for status, n in sorted(counts.items())},
        }
    )


defs = dg.Definitions(assets=[value_chain_estimates])
