"""Commitment forecasts: the statistics step of the value lifecycle (docs/lifecycle.md).

For every commitment in force on the as-of date: the forecast of its cumulative net value at the
deadline from the monthly realized values (value_pipeline.stats.forecast), the probability of reaching
the target and the value at risk; for every registry expansion: the commitment's realized value per
month applied to the new scope, with the interval carried through.

Inputs are the dbt models ``intermediate.int_commitments_as_of`` and
``intermediate.int_commitment_use_case_months`` and ``staging.stg_registry__expansions``; the output is
``stats.commitment_forecasts``. Reads and writes go through ``read_inputs`` / ``write_forecasts``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from value_pipeline.engines.base import Engine
from value_pipeline.engines.frames import as_engine, typed_table
from value_pipeline.stats.forecast import (
    INTERVAL_LEVEL,
    forecast_cumulative,
    increments_window,
    scaled_projection,
)

COLUMNS: list[tuple[str, str]] = [
    ("commitment_id", "VARCHAR"),
    ("projection_kind", "VARCHAR"),
    ("expansion_id", "VARCHAR"),
    ("scope_name", "VARCHAR"),
    ("scale", "DOUBLE"),
    ("horizon_months", "INTEGER"),
    ("method", "VARCHAR"),
    ("n_increments", "INTEGER"),
    ("mean_increment", "DOUBLE"),
    ("sd_increment", "DOUBLE"),
    ("degrees_of_freedom", "INTEGER"),
    ("current_value", "DOUBLE"),
    ("target_value", "DOUBLE"),
    ("forecast_value", "DOUBLE"),
    ("forecast_low", "DOUBLE"),
    ("forecast_high", "DOUBLE"),
    ("interval_level", "DOUBLE"),
    ("probability_reaching_target", "DOUBLE"),
    ("value_at_risk", "DOUBLE"),
    ("note", "VARCHAR"),
    ("estimated_at", "TIMESTAMP"),
]
COLUMN_NAMES = [name for name, _ in COLUMNS]


def read_inputs(
    warehouse: Engine | duckdb.DuckDBPyConnection,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Commitments in force, their monthly net value series, and the registry expansions (any engine)."""
    engine = as_engine(warehouse)
    commitments = engine.query(
        "select commitment_id, target_value, months_to_deadline from intermediate.int_commitments_as_of"
        " order by commitment_id"
    )
    months = engine.query(
        "select commitment_id, month_start, sum(net_value) as net_value"
        " from intermediate.int_commitment_use_case_months group by commitment_id, month_start"
        " order by commitment_id, month_start"
    )
    expansions = engine.query("select * from staging.stg_registry__expansions order by expansion_id")
    return commitments, months, expansions


def compute_forecasts(
    commitments: pd.DataFrame, months: pd.DataFrame, expansions: pd.DataFrame
) -> pd.DataFrame:
    """A ``deadline`` row per commitment and an ``expansion`` row per expansion of a commitment in force."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    forecasts = {}
    for commitment in commitments.itertuples(index=False):
        series = months.loc[months["commitment_id"] == commitment.commitment_id, "net_value"].tolist()
        horizon = max(0, int(commitment.months_to_deadline))
        f = forecast_cumulative(
            increments_window(series), float(sum(series)), horizon, float(commitment.target_value)
        )
        forecasts[commitment.commitment_id] = f
        rows.append(
            dict(
                commitment_id=commitment.commitment_id,
                projection_kind="deadline",
                horizon_months=horizon,
                method=f.method,
                n_increments=f.n_increments,
                mean_increment=f.mean_increment,
                sd_increment=f.sd_increment,
                degrees_of_freedom=f.degrees_of_freedom,
                current_value=f.current,
                target_value=float(commitment.target_value),
                forecast_value=f.point,
                forecast_low=f.low,
                forecast_high=f.high,
                interval_level=INTERVAL_LEVEL,
                probability_reaching_target=f.probability_reaching_target,
                value_at_risk=f.value_at_risk,
                note=f.note,
            )
        )
    for expansion in expansions.itertuples(index=False):
        f = forecasts.get(expansion.commitment_id)
        if f is None:
            continue
        projection = scaled_projection(f, float(expansion.scale), int(expansion.horizon_months))
        point, low, high = projection if projection else (None, None, None)
        rows.append(
            dict(
                commitment_id=expansion.commitment_id,
                projection_kind="expansion",
                expansion_id=expansion.expansion_id,
                scope_name=expansion.scope_name,
                scale=float(expansion.scale),
                horizon_months=int(expansion.horizon_months),
                method=f.method,
                n_increments=f.n_increments,
                mean_increment=f.mean_increment,
                sd_increment=f.sd_increment,
                degrees_of_freedom=f.degrees_of_freedom,
                forecast_value=point,
                forecast_low=low,
                forecast_high=high,
                interval_level=INTERVAL_LEVEL,
                note=None if projection else "no projection: the commitment has too few months of value",
            )
        )
    frame = pd.DataFrame(rows, columns=COLUMN_NAMES)
    frame["estimated_at"] = now
    return frame


def write_forecasts(warehouse: Engine | duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Replace stats.commitment_forecasts with ``frame``; returns the row count."""
    as_engine(warehouse).write_table("stats", "commitment_forecasts", typed_table(frame, COLUMNS))
    return len(frame)


def refresh_forecasts(warehouse: Engine | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Read the inputs, forecast every commitment and expansion, replace stats.commitment_forecasts."""
    frame = compute_forecasts(*read_inputs(warehouse))
    write_forecasts(warehouse, frame)
    return frame


LIFECYCLE_TABLE_HEADER = (
    "business case",
    "stage",
    "commitment",
    "committed",
    "realized",
    "% of promise",
    "forecast [80% interval]",
    "P(on track)",
    "status",
)


def lifecycle_summary(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[str], str | None]:
    """For reports and `make demo`: one row per business case (LIFECYCLE_TABLE_HEADER, raw values),
    the lifecycle sentences of every case, and the executive summary sentence."""
    rows = con.execute(
        """
        select hypothesis_id, lifecycle_stage, commitment_id, committed_value, realized_value, pct_of_promise,
               forecast_value, forecast_low, forecast_high, probability_on_track, status
        from marts.value_lifecycle
        order by hypothesis_id
        """
    ).fetchall()
    sentences = [
        f"{case} ({commitment}): {sentence}"
        for case, commitment, *texts in con.execute(
            """
            select lifecycle.hypothesis_id, lifecycle.commitment_id, lifecycle.update_sentence,
                   lifecycle.outlook_sentence, realization.alert_text, realization.restatement_sentence,
                   lifecycle.renewal_sentence, lifecycle.planning_sentence
            from marts.value_lifecycle as lifecycle
            join marts.value_realization as realization using (commitment_id)
            order by lifecycle.hypothesis_id
            """
        ).fetchall()
        for sentence in texts
        if sentence
    ]
    summary = con.execute("select summary_sentence from marts.exec_summary").fetchone()
    return rows, sentences, summary[0] if summary else None
