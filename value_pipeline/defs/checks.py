"""Freshness of the event sources and the volume of the facts, as asset checks."""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.contracts import load_contracts
from value_pipeline.defs.resources import LandingResource, WarehouseResource
from value_pipeline.landing import event_partitions
from value_pipeline.monitoring import freshness, volume_change

# Facts whose row count must not fall more than 15% from one run to the next (one check step).
GUARDED_FACTS = [
    ["intermediate", "int_cases"],
    ["marts", "fct_kpi_daily"],
    ["marts", "fct_kpi_weekly"],
    ["marts", "fct_kpi_monthly"],
    ["marts", "fct_kpi_quarterly"],
    ["marts", "fct_case_windows"],
    ["marts", "fct_value_tracked"],
]
VOLUME_CHECK = "row_count_within_15pct_of_previous_run"
FRESHNESS_CHECK = "yesterday_landed_on_time"
ROW_COUNT_HISTORY_DDL = """
create table if not exists audit.row_count_history (
    asset_key varchar, run_id varchar, counted_at timestamp, row_count bigint
)"""


def _freshness_check(source: str) -> dg.AssetChecksDefinition:
    contract = load_contracts()[source]

    @dg.asset_check(
        asset=dg.AssetKey(["raw", source]),
        name=FRESHNESS_CHECK,
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


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            VOLUME_CHECK,
            asset=dg.AssetKey(key),
            blocking=True,
            description="Fails when the fact lost more than 15% of its rows since the previous run.",
        )
        for key in GUARDED_FACTS
    ],
    name="fact_row_counts",
    can_subset=True,
)
def fact_row_counts(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    """The guarded facts' row counts against the previous run's, in one step (one query each)."""
    keys = sorted((check.asset_key for check in context.selected_asset_check_keys), key=lambda k: k.path)
    tables = {key: ".".join(key.path) for key in keys}
    counts = warehouse.row_counts(list(tables.values()))
    # The history stays in the local DuckDB file on every target (run bookkeeping, not data).
    with warehouse.connect() as con:
        con.execute("create schema if not exists audit")
        con.execute(ROW_COUNT_HISTORY_DDL)
        previous = dict(
            con.execute(
                "select asset_key, arg_max(row_count, counted_at) from audit.row_count_history "
                "where run_id <> ? group by asset_key",
                [context.run.run_id],
            ).fetchall()
        )
        con.executemany(
            "insert into audit.row_count_history values (?, ?, cast(current_timestamp as timestamp), ?)",
            [[table, context.run.run_id, counts[table]] for table in tables.values()],
        )
    for key, table in tables.items():
        change = volume_change(previous.get(table), counts[table])
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=VOLUME_CHECK,
            passed=change.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "row_count": counts[table],
                "previous_row_count": change.previous if change.previous is not None else "first run",
                "drop": f"{change.drop:.1%}" if change.drop is not None else "n/a",
            },
        )


defs = dg.Definitions(
    asset_checks=[_freshness_check(c.name) for c in load_contracts().values() if c.is_event_source]
    + [fact_row_counts]
)
