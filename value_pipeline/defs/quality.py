"""Great Expectations suites (``expectations/``) as blocking Dagster asset checks.

* One check per raw contract asset: its landing suite on the rows the latest load accepted. A failure
  means the loader let a bad row through; it blocks the dbt step, which reads every raw table.
* One check per mart or intermediate suite, attached to the model's asset. dbt builds many models in
  one step, so a check cannot stop the other models of its own step; instead the suites of one dbt
  step run together in one check step, and any failure fails that step. Every later step that reads
  one of its models is then skipped: for the ``dbt_models`` step that is the statistics asset (through
  int_value_chain_observations), the value-chain and lifecycle marts after it and the publish asset;
  for the ``dbt_statistics_marts`` step, the publish asset. docs/quality_checks.md lists what each
  check blocks. A suite naming a built-at column validates the rows built since it last passed
  (``validate_model``).
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb

from value_pipeline.config import PROJECT_ROOT
from value_pipeline.contracts import Contract, load_contracts
from value_pipeline.defs.dbt import dbt_models, dbt_statistics_marts
from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.landing.loader import REFERENCE_TABLES
from value_pipeline.quality.expectations import (
    SuiteResult,
    checked_suites,
    landing_suite_name,
    load_suite,
    suite_parameters,
    suite_path,
    validate_model,
    validate_table,
)

CHECK_NAME = "gx_suite"


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _parameters(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    references = {
        name: [row[0] for row in con.execute(f"select id from {sql}").fetchall()]
        for name, sql in REFERENCE_TABLES.items()
        if _table_exists(con, f"raw.registry_{name}")
    }
    return suite_parameters(datetime.now(UTC).replace(tzinfo=None), references)


def run_suite(con: duckdb.DuckDBPyConnection, suite: Mapping, table: str, where: str = "true") -> SuiteResult:
    """Validate the rows of ``table`` matching ``where`` (in chunks of bounded size)."""
    return validate_table(con, suite, table, where, _parameters(con))


def check_result(
    result: SuiteResult, asset_key: dg.AssetKey | None = None, **extra: Any
) -> dg.AssetCheckResult:
    """The suite's outcome as an ERROR-severity check result with its failures and sample rows."""
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=CHECK_NAME if asset_key else None,
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None
        if result.success
        else f"{len(result.failures)} expectation(s) of {result.suite} failed",
        metadata={
            "suite": dg.MetadataValue.path(str(suite_path(result.suite).relative_to(PROJECT_ROOT))),
            "rows_validated": result.rows,
            "expectations_evaluated": result.evaluated,
            "expectations_failed": len(result.failures),
            "unexpected_values": sum(f.unexpected_count or 0 for f in result.failures),
            "failing_expectations": dg.MetadataValue.md(result.failures_markdown()),
            "sample_rows": dg.MetadataValue.md(result.samples_markdown()),
            "validation_seconds": round(result.seconds, 3),
            **extra,
        },
    )


def _landing_check(contract: Contract) -> dg.AssetChecksDefinition:
    suite_name = landing_suite_name(contract)
    table = f"raw.{contract.raw_table}"

    @dg.asset_check(
        asset=dg.AssetKey(["raw", contract.raw_table]),
        name=CHECK_NAME,
        blocking=True,
        description=(
            f"GX suite expectations/{suite_name}.json (generated from the contract) on the rows the "
            "latest load accepted."
        ),
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            latest = (
                con.execute(
                    "select _batch_id from raw.load_audit where source = ? order by _loaded_at desc limit 1",
                    [contract.name],
                ).fetchone()
                if _table_exists(con, "raw.load_audit")
                else None
            )
            if latest is None or not _table_exists(con, table):
                return dg.AssetCheckResult(passed=True, metadata={"note": "nothing loaded yet"})
            result = run_suite(con, load_suite(suite_name), table, f"_batch_id = '{latest[0]}'")
        return check_result(result, batch_id=latest[0])

    return _check


def _model_checks(step: dg.AssetsDefinition, suites: list[dict]) -> dg.AssetChecksDefinition:
    """One check step for the suites of the models one dbt step builds."""
    by_key = {dg.AssetKey(s["meta"]["asset_key"]): s for s in suites}

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                blocking=True,
                description=f"GX suite expectations/{suite['name']}.json: {suite['meta']['description']}",
            )
            for key, suite in by_key.items()
        ],
        name=f"gx_{step.node_def.name}",
        can_subset=True,
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        selected = sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string())
        # The validation marks stay in the local DuckDB file on every target (run bookkeeping).
        with (
            warehouse.connect() as audit,
            warehouse.read_copy([by_key[key.asset_key]["meta"]["table"] for key in selected]) as con,
        ):
            parameters = _parameters(con)
            for check_key in selected:
                suite = by_key[check_key.asset_key]
                result, since = validate_model(con, audit, suite, parameters)
                scope = f"rows built after {since}" if since else "every row"
                context.log.info(
                    f"{suite['name']}: {result.evaluated} expectations on {result.rows} rows ({scope}), "
                    f"{len(result.failures)} failed ({result.seconds:.2f}s)"
                )
                yield check_result(result, check_key.asset_key, validated=scope)

    return _checks


def model_checks() -> list[dg.AssetChecksDefinition]:
    """The check steps of the hand-written suites, one per dbt step; a suite of no dbt model fails."""
    suites = checked_suites()
    steps = (dbt_models, dbt_statistics_marts)
    if orphans := [
        s["name"] for s in suites if not any(dg.AssetKey(s["meta"]["asset_key"]) in st.keys for st in steps)
    ]:
        raise ValueError(f"suites of no dbt model: {orphans}")
    return [
        _model_checks(step, mine)
        for step in steps
        if (mine := [s for s in suites if dg.AssetKey(s["meta"]["asset_key"]) in step.keys])
    ]


landing_checks = [_landing_check(c) for c in load_contracts().values()]

defs = dg.Definitions(asset_checks=[*landing_checks, *model_checks()])
