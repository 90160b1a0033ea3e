"""Ingest assets: the registry and one asset per landing contract, writing the ``raw`` schema."""

from datetime import date

import dagster as dg

from value_pipeline.contracts import Contract, load_contracts
from value_pipeline.defs.partitions import daily_partitions
from value_pipeline.defs.resources import LandingResource, WarehouseResource
from value_pipeline.engines.shipping import ship_load, ship_registry
from value_pipeline.landing import LoadResult, load_source, write_registry
from value_pipeline.registry import TABLES, load_registry

RECONCILIATION_CHECK = "landed_equals_accepted_plus_quarantined"
REGISTRY_KEYS = [dg.AssetKey(["raw", table]) for table in TABLES]
OWNERS = ["team:data-platform"]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key, group_name="ingest", kinds={"duckdb", "yaml"}, description=f"Registry table {key.path[-1]}."
        )
        for key in REGISTRY_KEYS
    ],
    name="registry",
    description="Validate the registry YAML of the landing root and replace every raw.registry_* table.",
)
def registry(landing: LandingResource, warehouse: WarehouseResource):
    reg = load_registry(landing.path)
    with warehouse.connect() as con:
        counts = write_registry(con, reg)
        if warehouse.ships:
            with warehouse.engine() as engine:
                ship_registry(con, engine)
    for key in REGISTRY_KEYS:
        table = key.path[-1]
        metadata = {"dagster/row_count": counts[table], "registry": dg.MetadataValue.path(reg.source)}
        if table == "registry_value_chain_rejections":
            metadata["rejected_value_chains"] = dg.MetadataValue.json(
                [{"value_chain_id": i, "reason": r} for i, r in reg.rejected_value_chains]
            )
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def _reconcile(warehouse: WarehouseResource, result: LoadResult) -> dg.AssetCheckResult:
    """Landed rows (as read) must equal rows now in the raw table plus rows now in quarantine."""
    if not result.files:
        return dg.AssetCheckResult(
            check_name=RECONCILIATION_CHECK, passed=True, metadata={"files": 0, "note": "nothing delivered"}
        )
    partitions = ", ".join(f"date '{p.isoformat()}'" for p in result.partitions)
    with warehouse.connect() as con:
        accepted = con.execute(
            f"select count(*) from raw.{result.source} where _partition_date in ({partitions})"
        ).fetchone()[0]
        quarantined = con.execute(
            f"select count(*) from raw.quarantine where source = ? and _partition_date in ({partitions})",
            [result.source],
        ).fetchone()[0]
    return dg.AssetCheckResult(
        check_name=RECONCILIATION_CHECK,
        passed=result.landed == accepted + quarantined,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"landed": result.landed, "accepted_in_raw": accepted, "quarantined_in_raw": quarantined},
    )


def _metadata(result: LoadResult) -> dict:
    return {
        "dagster/row_count": result.accepted,
        "landed_rows": result.landed,
        "accepted_rows": result.accepted,
        "quarantined_rows": result.quarantined,
        "files": len(result.files),
        "partitions": len(result.partitions),
        "quarantine_reasons": dg.MetadataValue.md(
            "\n".join(f"| {reason} | {n} |" for reason, n in result.reasons.items()).join(
                ["| reason | rows |\n|---|---|\n", ""]
            )
            if result.reasons
            else "no rows quarantined"
        ),
        "batch_id": result.batch_id,
    }


def _contract_asset(contract: Contract) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", contract.raw_table])
    partitioned = contract.is_event_source

    @dg.asset(
        key=key,
        group_name="ingest",
        kinds={"duckdb", "python"},
        description=f"{contract.description} Landing contract `{contract.name}` v{contract.version}.",
        partitions_def=daily_partitions if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        deps=REGISTRY_KEYS,
        check_specs=[dg.AssetCheckSpec(RECONCILIATION_CHECK, asset=key, blocking=True)],
        owners=OWNERS,
        metadata={
            "contract": contract.name,
            "contract_version": contract.version,
            "dagster/table_name": f"raw.{contract.raw_table}",
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(c.target, c.type, description=c.description) for c in contract.columns
                ]
            ),
        },
    )
    def _load(context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource):
        partitions: set[date] | None = None
        if partitioned:
            partitions = {date.fromisoformat(k) for k in context.partition_keys}
        tz = load_registry(landing.path).settings["source_time_zone"]
        with warehouse.connect() as con:
            result = load_source(con, landing.path, contract, partitions=partitions, source_time_zone=tz)
            if warehouse.ships:
                with warehouse.engine() as engine:
                    ship_load(con, engine, contract.raw_table, result)
        context.log.info(
            f"{contract.name}: {len(result.files)} files, {result.landed} rows landed, "
            f"{result.accepted} accepted, {result.quarantined} quarantined"
        )
        return dg.MaterializeResult(metadata=_metadata(result), check_results=[_reconcile(warehouse, result)])

    return _load


contract_assets = [_contract_asset(c) for c in load_contracts().values()]

# Every contract asset writes these two tables as part of its load (one transaction per load).
load_bookkeeping = [
    dg.AssetSpec(
        ["raw", "quarantine"],
        group_name="ingest",
        kinds={"duckdb"},
        owners=OWNERS,
        deps=[a.key for a in contract_assets],
        description="Rows that broke their landing contract: source file, line, column and reason.",
    ),
    dg.AssetSpec(
        ["raw", "load_audit"],
        group_name="ingest",
        kinds={"duckdb"},
        owners=OWNERS,
        deps=[a.key for a in contract_assets],
        description="Per file and load: landed = accepted + quarantined rows.",
    ),
]
