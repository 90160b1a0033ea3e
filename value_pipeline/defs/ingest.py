"""Ingest assets: the registry and one asset per landing contract, writing the ``raw`` schema."""

from datetime import date

import dagster as dg

from value_pipeline.contracts import Contract, load_contracts
from value_pipeline.defs.partitions import daily_partitions
from value_pipeline.defs.resources import LandingResource, WarehouseResource
from value_pipeline.engines.shipping import ship_load, ship_registry
from value_pipeline.landing import LandingError, LoadResult, load_source, write_registry
from value_pipeline.landing.discovery import REFUSE, NotLoaded, not_loaded
from value_pipeline.landing.fingerprint import registry_fingerprint, source_fingerprint
from value_pipeline.registry import TABLES, load_registry

RECONCILIATION_CHECK = "landed_equals_accepted_plus_quarantined"
REGISTRY_KEYS = [dg.AssetKey(["raw", table]) for table in TABLES]
OWNERS = ["team:data-platform"]
# Metadata of a registry or snapshot load: the fingerprint of the files it read (defs/selection.py).
FINGERPRINT = "landing_fingerprint"


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
    fingerprint = registry_fingerprint(landing.path)
    reg = load_registry(landing.path)
    # A refused file outside every contract folder fails the run here, before anything is loaded.
    try:
        unplaced = not_loaded(landing.path, reg.settings.get("unplaced_data_files", REFUSE))
    except LandingError as exc:
        raise dg.Failure(str(exc)) from exc
    with warehouse.connect() as con:
        counts = write_registry(con, reg)
        if warehouse.ships:
            with warehouse.engine() as engine:
                ship_registry(con, engine)
    for key in REGISTRY_KEYS:
        table = key.path[-1]
        metadata = {
            "dagster/row_count": counts[table],
            "registry": dg.MetadataValue.path(reg.source),
            FINGERPRINT: fingerprint,
        }
        if table == "registry_settings":
            metadata["files_not_loaded"] = _not_loaded_md(unplaced)
        if table == "registry_value_chain_rejections":
            metadata["rejected_value_chains"] = dg.MetadataValue.json(
                [{"value_chain_id": i, "reason": r} for i, r in reg.rejected_value_chains]
            )
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def _not_loaded_md(files: list[NotLoaded]) -> dg.MetadataValue:
    """Every file not loaded, with why, as a Markdown table (or a sentence when there is none)."""
    if not files:
        return dg.MetadataValue.md("every file was loaded")
    rows = "\n".join(f"| `{f.relative_path}` | {f.reason} |" for f in files)
    return dg.MetadataValue.md(f"| file | why not loaded |\n|---|---|\n{rows}")


def _reconcile(warehouse: WarehouseResource, result: LoadResult) -> dg.AssetCheckResult:
    """The files' own lines that hold rows must equal rows now in the raw table plus in quarantine.

    The line count comes from the files themselves (raw.load_audit.file_lines - non_data_lines), not
    from the rows the parser returned, so a parser that drops lines fails this check.
    """
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
        passed=result.data_lines == result.landed == accepted + quarantined,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "data_lines": result.data_lines,
            "landed": result.landed,
            "accepted_in_raw": accepted,
            "quarantined_in_raw": quarantined,
        },
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
        "files_not_loaded": _not_loaded_md(result.not_loaded),
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
        settings = load_registry(landing.path).settings
        policy = settings.get("unplaced_data_files", REFUSE)
        # Read before the load: files changed during it make the next run load them again.
        fingerprint = None if partitioned else source_fingerprint(landing.path, contract, policy)
        with warehouse.connect() as con:
            result = load_source(
                con,
                landing.path,
                contract,
                partitions=partitions,
                source_time_zone=settings["source_time_zone"],
                unplaced_data_files=policy,
            )
            if warehouse.ships:
                with warehouse.engine() as engine:
                    ship_load(con, engine, contract.raw_table, result)
        context.log.info(
            f"{contract.name}: {len(result.files)} files, {result.landed} rows landed, "
            f"{result.accepted} accepted, {result.quarantined} quarantined"
        )
        metadata = _metadata(result) | ({FINGERPRINT: fingerprint} if fingerprint else {})
        return dg.MaterializeResult(metadata=metadata, check_results=[_reconcile(warehouse, result)])

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
