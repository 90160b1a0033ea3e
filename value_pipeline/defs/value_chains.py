"""The value-chain statistics: an asset between the dbt intermediate models and the value-chain marts."""

import dagster as dg

from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.value_chains import DETAIL_TABLES, markdown_table, refresh_estimates

DETAIL_DESCRIPTIONS = {
    "value_chain_staggered_effects": "Staggered-adoption chains: ATT(g,t) and their aggregations.",
    "value_chain_synthetic_weights": "Synthetic-control chains: donor weights.",
    "value_chain_period_gaps": "Synthetic-control and time-series chains: observed, counterfactual, gap.",
}


# The tables the estimates are computed from (dbt models and the registry's rejections).
INPUTS = [
    dg.AssetKey(["intermediate", "int_value_chains"]),
    dg.AssetKey(["intermediate", "int_value_chain_observations"]),
    dg.AssetKey(["intermediate", "int_value_chain_action_costs"]),
    dg.AssetKey(["raw", "registry_value_chain_rejections"]),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["stats", "value_chain_estimates"],
            group_name="value_chains",
            kinds={"duckdb", "python"},
            deps=INPUTS,
            description=(
                "Every registry value chain estimated (estimator by design, n per cell, SE, 95% interval,"
                " evidence grade, design diagnostics), the improvement in money net of the action cost."
            ),
        ),
        *[
            dg.AssetSpec(
                ["stats", name],
                group_name="value_chains",
                kinds={"duckdb", "python"},
                deps=INPUTS,
                description=text,
            )
            for name, text in DETAIL_DESCRIPTIONS.items()
        ],
    ],
    # The step keeps the name it had as a single asset (bench step tables, run logs).
    name="stats__value_chain_estimates",
)
def value_chain_estimates(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Estimate every value chain; write stats.value_chain_estimates and the designs' detail tables."""
    with warehouse.engine() as engine:
        frame, details = refresh_estimates(engine)
    counts = frame["status"].value_counts().to_dict()
    context.log.info(f"value chains: {counts}")
    yield dg.MaterializeResult(
        asset_key=["stats", "value_chain_estimates"],
        metadata={
            "estimates": dg.MetadataValue.md(markdown_table(frame)),
            "value_chains": len(frame),
            **{f"{status}_chains": int(n) for status, n in sorted(counts.items())},
        },
    )
    for name in DETAIL_TABLES:
        yield dg.MaterializeResult(asset_key=["stats", name], metadata={"rows": len(details[name])})


defs = dg.Definitions(assets=[value_chain_estimates])
