"""Great Expectations anomaly checks: does the latest delivery or month look like its history?

GX owns the rules that neither the landing contracts (enforced row by row when a file lands) nor
the dbt tests (model rules) express well: a learned band per metric (``quality/anomalies.py``).

* ``raw/<event source>``: each checked partition of the latest load, its row count and the share
  of rows leaving each optional column empty.
* ``marts/fct_kpi_monthly``: the latest two months of every KPI series.

Both read small profiles computed inside the warehouse (one grouped scan, or the monthly mart) and
hand GX a frame of a few dozen rows. An anomaly is a reason to look, not proof of a wrong number: the
checks warn (severity WARN, not blocking) and list the rows outside their band with the band.
docs/quality_checks.md says which owner blocks what.
"""

from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from value_pipeline.config import PROJECT_ROOT
from value_pipeline.contracts import Contract, load_contracts
from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.quality.anomalies import (
    checked_partitions,
    kpi_anomaly_frame,
    profile_since,
    source_anomaly_frame,
    source_profile_sql,
)
from value_pipeline.quality.expectations import SuiteResult, load_suite, suite_path, validate

CHECK_NAME = "gx_within_learned_band"
KPI_MONTHLY = dg.AssetKey(["marts", "fct_kpi_monthly"])


def check_result(result: SuiteResult, frame: pd.DataFrame, **extra: Any) -> dg.AssetCheckResult:
    """The suite's outcome as a WARN-severity result: failing rows, their bands, what was judged."""
    judged = int(frame["low"].notna().sum())
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if result.success
        else f"{sum(f.unexpected_count or 0 for f in result.failures)} value(s) outside their learned band",
        metadata={
            "suite": dg.MetadataValue.path(str(suite_path(result.suite).relative_to(PROJECT_ROOT))),
            "values_checked": result.rows,
            "values_with_a_band": judged,
            "values_still_learning": result.rows - judged,
            "values_outside_band": sum(f.unexpected_count or 0 for f in result.failures),
            "failing_expectations": dg.MetadataValue.md(result.failures_markdown()),
            "sample_rows": dg.MetadataValue.md(result.samples_markdown()),
            "validation_seconds": round(result.seconds, 3),
            **extra,
        },
    )


def source_anomalies(con: duckdb.DuckDBPyConnection, contract: Contract) -> dg.AssetCheckResult:
    """The anomaly suite on the newest partitions of the source's latest load."""
    loaded = [
        row[0]
        for row in con.execute(
            "select distinct _partition_date from raw.load_audit where _batch_id = "
            "(select arg_max(_batch_id, _loaded_at) from raw.load_audit where source = ?)",
            [contract.name],
        ).fetchall()
        if row[0] is not None
    ]
    checked = checked_partitions(loaded)
    if not checked:
        return dg.AssetCheckResult(passed=True, metadata={"note": "nothing loaded yet"})
    optional = [c.target for c in contract.columns if not c.required]
    sql = source_profile_sql(f"raw.{contract.raw_table}", optional, profile_since(checked))
    frame = source_anomaly_frame(con.execute(sql).df(), checked)
    result = validate(frame, load_suite("anomaly__source_profile"))
    return check_result(result, frame, partitions=f"{min(checked)} .. {max(checked)}")


def _source_check(contract: Contract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", contract.raw_table]),
        name=CHECK_NAME,
        blocking=False,
        description=(
            "GX suite expectations/anomaly__source_profile.json: the latest load's newest partitions, "
            "their row count and empty shares of optional columns, within the bands learned from history."
        ),
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            return source_anomalies(con, contract)

    return _check


@dg.asset_check(
    asset=KPI_MONTHLY,
    name=CHECK_NAME,
    blocking=False,
    description=(
        "GX suite expectations/anomaly__kpi_monthly.json: each KPI series' latest two months within "
        "the band learned from the six months before."
    ),
)
def kpi_months_within_learned_band(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """The KPI series' latest months against their history (suppressed and empty months left out)."""
    with warehouse.read_copy(["marts.fct_kpi_monthly"]) as con:
        monthly = con.execute(
            "select kpi_id, scope_type, scope_id, period_start as month_start, value "
            "from marts.fct_kpi_monthly where value is not null and not is_suppressed"
        ).df()
    frame = kpi_anomaly_frame(monthly)
    return check_result(validate(frame, load_suite("anomaly__kpi_monthly")), frame)


source_checks = [_source_check(c) for c in load_contracts().values() if c.is_event_source]

defs = dg.Definitions(asset_checks=[*source_checks, kpi_months_within_learned_band])
