"""Freshness of the event sources and the volume of the facts, as asset checks."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.contracts import load_contracts
from value_pipeline.defs.resources import LandingResource, WarehouseResource
from value_pipeline.landing import event_partitions
from value_pipeline.monitoring import freshness, volume_change

# Facts whose row count must not fall more than 15% from one run to the next.
GUARDED_FACTS = [
    ["intermediate", "int_cases"],
    ["marts", "fct_kpi_daily"],
    ["marts", "fct_kpi_weekly"],
    ["marts", "fct_kpi_monthly"],
    ["marts", "fct_kpi_quarterly"],
    ["marts", "fct_case_windows"],
    ["marts", "fct_value_tracked"],
]
ROW_COUNT_HISTORY_DDL = """
create table if not exists audit.row_count_history (
    asset_key varchar, run_id varchar, counted_at timestamp, row_count bigint
)"""


def _freshness_check(source: str) -> dg.AssetChecksDefinition:
    contract = load_contracts()[source]

    @dg.asset_check(
        asset=dg.AssetKey(["raw", source]),
        name="yesterday_landed_on_time",
        description=(
            "Yesterday's dt= partition (VALUE_PIPELINE_TIMEZONE) must have landed by "
            "VALUE_PIPELINE_FRESHNESS_HOUR; a stale source fails this check instead of being skipped."
        ),
    )
    def _check(landing: LandingResource) -> dg.AssetCheckResult:
        settings = Settings.from_env()
        now = datetime.now(ZoneInfo(settings.schedule_timezone))
        result = freshness(now, settings.freshness_hour, event_partitions(landing.path, contract))
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=result.message,
            metadata={
                "due_partition": result.due.isoformat(),
                "latest_partition": result.latest.isoformat() if result.latest else "none",
                "deadline_hour": settings.freshness_hour,
            },
        )

    return _check


def _volume_check(key: list[str]) -> dg.AssetChecksDefinition:
    table = ".".join(key)

    @dg.asset_check(
        asset=dg.AssetKey(key),
        name="row_count_within_15pct_of_previous_run",
        blocking=True,
        description="Fails when the fact lost more than 15% of its rows since the previous run.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        current = warehouse.row_count(table)
        # The history stays in the local DuckDB file on every target (run bookkeeping, not data).
        with warehouse.connect() as con:
            con.execute("create schema if not exists audit")
            con.execute(ROW_COUNT_HISTORY_DDL)
            previous = con.execute(
                "select row_count from audit.row_count_history where asset_key = ? and run_id <> ? "
                "order by counted_at desc limit 1",
                [table, context.run.run_id],
            ).fetchone()
            change = volume_change(previous[0] if previous else None, current)
            con.execute(
                "insert into audit.row_count_history values (?, ?, cast(current_timestamp as timestamp), ?)",
                [table, context.run.run_id, current],
            )
        return dg.AssetCheckResult(
            passed=change.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "row_count": current,
                "previous_row_count": change.previous if change.previous is not None else "first run",
                "drop": f"{change.drop:.1%}" if change.drop is not None else "n/a",
            },
        )

    return _check


defs = dg.Definitions(
    asset_checks=[_freshness_check(c.name) for c in load_contracts().values() if c.is_event_source]
    + [_volume_check(key) for key in GUARDED_FACTS]
)
