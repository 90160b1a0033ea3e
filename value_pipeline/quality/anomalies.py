"""Learned bands for the anomaly checks (pure logic: pandas and SQL text, no Dagster, no GX).

The contract rules are enforced when a row lands and the model rules are dbt tests; what neither
expresses is whether a day or a month *looks like its history*. Two profiles answer that, each a
small frame that Great Expectations then validates (``expectations/anomaly__*.json``):

* a source's profile per delivered partition: its row count and, for every optional column, the
  share of rows leaving it empty, against the same weekday of the eight weeks before (a daily
  source) or the eight deliveries before (a source delivered less often);
* a KPI series' latest two months against the six months before them.

A band is the history's median plus or minus ``k`` spreads. The spread is the larger of the
history's robust spread (1.4826 x MAD: one odd day in the history does not widen it) and a floor
for the value's own sampling noise (a count's Poisson sd, a share's binomial sd, 5% of a KPI's
level), so a flat history does not make every small wobble an anomaly. Row counts are banded on
the log scale; counts and shares are clipped to the values they can take. With fewer than
``MIN_HISTORY`` points there is no band yet (the row is reported, not judged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd

MIN_HISTORY = 4
SOURCE_SPREADS = 5.0
KPI_SPREADS = 4.0
WEEKS_OF_HISTORY = 8
DELIVERIES_OF_HISTORY = 8
# A source that delivered on at least this many of the 28 days before a partition is daily: its
# partitions are compared with the same weekday (volumes follow the week).
DAILY_DELIVERIES = 20
# The newest partitions of a load that are judged: a nightly load has one; a first load or a
# backfill is judged on its last week against the weeks before it.
CHECKED_PARTITIONS = 7
KPI_MONTHS_CHECKED = 2
KPI_MONTHS_OF_HISTORY = 6
PROFILE_COLUMNS = ["partition_date", "metric", "value", "expected", "low", "high", "history_points"]
KPI_COLUMNS = [
    "kpi_id",
    "scope_type",
    "scope_id",
    "month_start",
    "value",
    "expected",
    "low",
    "high",
    "history_points",
]


def learned_band(
    history: Sequence[float],
    spreads: float,
    noise_floor: float,
    lowest: float = -math.inf,
    highest: float = math.inf,
) -> tuple[float, float, float]:
    """(expected, low, high) of a value with this history: the median plus or minus ``spreads``
    times the larger of the robust spread and ``noise_floor``, within [``lowest``, ``highest``]."""
    values = pd.Series(history, dtype="float64")
    expected = float(values.median())
    spread = max(1.4826 * float((values - expected).abs().median()), noise_floor)
    return expected, max(expected - spreads * spread, lowest), min(expected + spreads * spread, highest)


def source_profile_sql(table: str, optional_columns: Sequence[str], since: date) -> str:
    """Rows and filled values of each optional column per partition from ``since`` on (one scan)."""
    filled = "".join(f", count({_quoted(c)}) as {_quoted('filled__' + c)}" for c in optional_columns)
    return (
        f"select _partition_date as partition_date, count(*) as row_count{filled} from {table} "
        f"where _partition_date >= date '{since.isoformat()}' group by _partition_date"
    )


def profile_since(checked: Sequence[date]) -> date:
    """The first partition a profile of ``checked`` needs (its history included)."""
    return min(checked) - timedelta(weeks=WEEKS_OF_HISTORY)


def checked_partitions(loaded: Sequence[date]) -> list[date]:
    """The partitions of a load that are judged: its newest ``CHECKED_PARTITIONS``."""
    return sorted(set(loaded))[-CHECKED_PARTITIONS:]


def _history(partitions: pd.Series, day: date) -> pd.Series:
    """Positions of the partitions a partition of ``day`` is compared with."""
    earlier = partitions < day
    recent = earlier & (partitions >= day - timedelta(days=28))
    if recent.sum() >= DAILY_DELIVERIES:
        window = earlier & (partitions >= day - timedelta(weeks=WEEKS_OF_HISTORY))
        return window & partitions.map(lambda d: d.weekday() == day.weekday())
    newest = partitions[earlier].sort_values().tail(DELIVERIES_OF_HISTORY)
    return partitions.isin(newest)


def source_anomaly_frame(profile: pd.DataFrame, checked: Sequence[date]) -> pd.DataFrame:
    """One row per checked partition and metric (``row_count``, ``empty_share__<column>``) with its
    learned band; ``profile`` is the result of ``source_profile_sql``."""
    profile = profile.assign(partition_date=pd.to_datetime(profile["partition_date"]).dt.date)
    optional = [c.removeprefix("filled__") for c in profile.columns if c.startswith("filled__")]
    rows = []
    for day in sorted(set(checked) & set(profile["partition_date"])):
        today = profile[profile["partition_date"] == day].iloc[0]
        past = profile[_history(profile["partition_date"], day)]
        count = float(today["row_count"])
        metrics = [("row_count", count, past["row_count"], count_band)]
        for column in optional:
            shares = 1 - past[f"filled__{column}"] / past["row_count"]
            metrics.append(
                (
                    f"empty_share__{column}",
                    1 - float(today[f"filled__{column}"]) / count,
                    shares,
                    lambda history, n=count: share_band(history, n),
                )
            )
        for metric, value, history, band_of in metrics:
            band = band_of(history.tolist()) if len(history) >= MIN_HISTORY else (math.nan,) * 3
            rows.append((day, metric, value, *band, len(history)))
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def kpi_anomaly_frame(monthly: pd.DataFrame) -> pd.DataFrame:
    """The latest ``KPI_MONTHS_CHECKED`` months of each KPI series (KPI, scope type, scope) with
    the band learned from the ``KPI_MONTHS_OF_HISTORY`` months before each. ``monthly`` has the
    columns kpi_id, scope_type, scope_id, month_start, value (suppressed and empty months left out)."""
    rows = []
    keys = ["kpi_id", "scope_type", "scope_id"]
    for key, series in monthly.sort_values("month_start").groupby(keys, sort=True):
        values = series["value"].astype("float64").tolist()
        months = series["month_start"].tolist()
        for position in range(max(len(values) - KPI_MONTHS_CHECKED, 0), len(values)):
            history = values[max(position - KPI_MONTHS_OF_HISTORY, 0) : position]
            band = (math.nan, math.nan, math.nan)
            if len(history) >= MIN_HISTORY:
                level = abs(float(pd.Series(history).median()))
                band = learned_band(history, KPI_SPREADS, 0.05 * level)
            rows.append((*key, months[position], values[position], *band, len(history)))
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


def count_band(history: Sequence[float]) -> tuple[float, float, float]:
    """The band of a partition's row count, learned on the log scale (volumes vary by factors: a
    quiet Sunday and a busy Monday, a tool adopted by twice the people). The floor is the Poisson
    noise of the median count, 1/sqrt(count) on that scale."""
    logs = [math.log1p(v) for v in history]
    noise = 1 / math.sqrt(max(float(pd.Series(history).median()), 1.0))
    expected, low, high = learned_band(logs, SOURCE_SPREADS, noise)
    return math.expm1(expected), max(math.expm1(low), 0.0), math.expm1(high)


def share_band(history: Sequence[float], rows: float) -> tuple[float, float, float]:
    """The band of the share of a partition's ``rows`` rows leaving a column empty; the floor is
    the binomial sd of the median share (kept one row from 0 and 1: a day of few rows cannot tell 0
    from 1/rows), at least 0.02."""
    share = min(max(float(pd.Series(history).median()), 1 / (rows + 1)), rows / (rows + 1))
    noise = max(math.sqrt(share * (1 - share) / rows), 0.02)
    return learned_band(history, SOURCE_SPREADS, noise, 0.0, 1.0)


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'
