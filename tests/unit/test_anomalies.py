"""Learned bands of the anomaly checks, and the GX suites that judge them (GX Core on small frames)."""

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from value_pipeline.quality.anomalies import (
    CHECKED_PARTITIONS,
    KPI_SPREADS,
    checked_partitions,
    count_band,
    kpi_anomaly_frame,
    learned_band,
    profile_since,
    source_anomaly_frame,
    source_profile_sql,
)
from value_pipeline.quality.expectations import load_suite, validate

MONDAY = date(2026, 6, 1)
# A week of a daily source: busy weekdays, quiet weekends.
WEEKDAY_ROWS = [120, 110, 115, 118, 100, 40, 20]


def _daily_profile(days: int, rows_on=None, filled_share: float = 1.0) -> pd.DataFrame:
    """A daily source's profile ending the day before MONDAY, weekday volumes with small noise."""
    rng = np.random.default_rng(7)
    first = MONDAY - timedelta(days=days)
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        count = int(WEEKDAY_ROWS[day.weekday()] + rng.integers(-4, 5))
        rows.append({"partition_date": day, "row_count": count, "filled__team": round(count * filled_share)})
    for day, count, filled in rows_on or []:
        rows.append({"partition_date": day, "row_count": count, "filled__team": filled})
    return pd.DataFrame(rows)


def _row(frame: pd.DataFrame, day: date, metric: str) -> pd.Series:
    return frame[(frame["partition_date"] == day) & (frame["metric"] == metric)].iloc[0]


def test_a_band_is_the_median_plus_or_minus_robust_spreads_with_a_noise_floor():
    history = [100.0, 104.0, 98.0, 101.0, 160.0]
    expected, low, high = learned_band(history, 5.0, 1.0)
    mad = 1.4826 * np.median(np.abs(np.array(history) - 101.0))
    assert expected == 101.0
    assert (low, high) == pytest.approx((101.0 - 5 * mad, 101.0 + 5 * mad))
    # One odd day (160) does not widen the band: the spread is the MAD's, not the sd's (25.6).
    assert high < 160.0
    # A flat history takes the noise floor, clipped to what the value can take.
    assert learned_band([0.0] * 6, 5.0, 0.02, 0.0, 1.0) == (0.0, 0.0, pytest.approx(0.1))


def test_a_daily_source_is_compared_with_the_same_weekday():
    ordinary_monday = (MONDAY, 118, 118)
    frame = source_anomaly_frame(_daily_profile(70, [ordinary_monday]), [MONDAY])
    monday = _row(frame, MONDAY, "row_count")
    assert monday["history_points"] == 8
    assert monday["expected"] == pytest.approx(120, abs=4)
    assert monday["low"] <= 118 <= monday["high"]
    # The same Monday volume on a Sunday is an anomaly: Sundays have about 20 rows.
    sunday = MONDAY - timedelta(days=1)
    profile = _daily_profile(70).query("partition_date != @sunday")
    frame = source_anomaly_frame(
        pd.concat([profile, pd.DataFrame([_profile_row(sunday, 118, 118)])]), [sunday]
    )
    assert _row(frame, sunday, "row_count")["high"] < 118


def _profile_row(day: date, count: int, filled: int) -> dict:
    return {"partition_date": day, "row_count": count, "filled__team": filled}


@pytest.mark.parametrize(
    ("count", "filled", "failing_metric"),
    [
        (118, 118, None),
        (30, 30, "row_count"),  # a partial delivery: a quarter of a Monday
        (480, 480, "row_count"),  # four days in one file
        (118, 59, "empty_share__team"),  # half the rows lost their team
    ],
)
def test_the_gx_suite_flags_a_day_outside_its_band(count, filled, failing_metric):
    frame = source_anomaly_frame(_daily_profile(70, [(MONDAY, count, filled)]), [MONDAY])
    result = validate(frame, load_suite("anomaly__source_profile"))
    assert result.rows == 2 and result.evaluated == 2
    if failing_metric is None:
        assert result.success, result.failures_markdown()
        return
    assert not result.success
    [metric] = {row["metric"] for failure in result.failures for row in failure.sample_rows}
    assert metric == failing_metric
    assert "learned from its history" in result.failures_markdown()
    assert f"| {failing_metric} |" in result.samples_markdown()


def test_a_source_delivered_less_often_is_compared_with_its_previous_deliveries():
    months = [date(2025, m, 1) for m in range(1, 13)] + [date(2026, 1, 1)]
    profile = pd.DataFrame(
        [_profile_row(day, 100 + i % 3, 100 + i % 3) for i, day in enumerate(months[:-1])]
        + [_profile_row(months[-1], 250, 250)]
    )
    frame = source_anomaly_frame(profile, [months[-1]])
    row = _row(frame, months[-1], "row_count")
    assert row["history_points"] == 8
    assert row["value"] > row["high"]


def test_without_four_earlier_deliveries_there_is_no_band_yet():
    profile = pd.DataFrame([_profile_row(date(2026, m, 1), 100 * m, 0) for m in range(1, 5)])
    frame = source_anomaly_frame(profile, [date(2026, 4, 1)])
    assert frame["history_points"].tolist() == [3, 3]
    assert frame[["expected", "low", "high"]].isna().all().all()
    assert validate(frame, load_suite("anomaly__source_profile")).success


def test_the_newest_week_of_a_load_is_checked_with_eight_weeks_of_history_profiled():
    loaded = [date(2026, 1, 1) + timedelta(days=d) for d in range(30)]
    checked = checked_partitions(loaded[::-1])
    assert checked == loaded[-CHECKED_PARTITIONS:]
    assert profile_since(checked) == checked[0] - timedelta(weeks=8)


def test_the_profile_sql_counts_rows_and_filled_values_per_partition():
    with duckdb.connect() as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.events as select * from (values "
            "(date '2026-01-01', 'a', 1), (date '2026-01-01', null, 2), (date '2026-01-02', 'b', null), "
            "(date '2025-10-01', 'c', 3)) as t(_partition_date, team, \"odd \"\"name\")"
        )
        profile = con.execute(source_profile_sql("raw.events", ["team", 'odd "name'], date(2025, 12, 1))).df()
    profile = profile.sort_values("partition_date").reset_index(drop=True)
    assert profile["row_count"].tolist() == [2, 1]
    assert profile["filled__team"].tolist() == [1, 1]
    assert profile['filled__odd "name'].tolist() == [2, 0]


def _kpi_series(values: list[float], kpi: str = "sla_compliance") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi_id": kpi,
            "scope_type": "portfolio",
            "scope_id": "portfolio",
            "month_start": [
                date(2025, 1 + i % 12, 1).replace(year=2025 + i // 12) for i in range(len(values))
            ],
            "value": values,
        }
    )


def test_a_kpi_month_is_judged_against_the_six_months_before_it():
    steady = [0.80, 0.82, 0.81, 0.79, 0.80, 0.83, 0.81, 0.80]
    frame = kpi_anomaly_frame(_kpi_series([*steady, 0.81, 0.3]))
    assert frame["month_start"].tolist() == [date(2025, 9, 1), date(2025, 10, 1)]
    assert frame["history_points"].tolist() == [6, 6]
    last = frame.iloc[-1]
    history = [*steady[-5:], 0.81]
    spread = max(
        1.4826 * np.median(np.abs(np.array(history) - np.median(history))), 0.05 * np.median(history)
    )
    assert last["low"] == pytest.approx(np.median(history) - KPI_SPREADS * spread)
    result = validate(frame, load_suite("anomaly__kpi_monthly"))
    assert not result.success
    assert [row["value"] for f in result.failures for row in f.sample_rows] == [0.30]


def test_a_kpi_series_too_short_has_no_band_and_passes():
    frame = kpi_anomaly_frame(_kpi_series([0.5, 0.9, 0.1]))
    assert frame["low"].isna().all()
    assert validate(frame, load_suite("anomaly__kpi_monthly")).success


def test_the_spreads_are_wide_enough_for_poisson_noise():
    """A Poisson day of an ordinary volume falls outside its band rarely (a false alarm is a warning
    someone reads): fewer than 1 in 1,000 days at 100 rows a day."""
    rng = np.random.default_rng(11)
    alarms = 0
    trials = 2_000
    for _ in range(trials):
        history = rng.poisson(100, 8).astype(float)
        _, low, high = count_band(history.tolist())
        alarms += not low <= rng.poisson(100) <= high
    assert alarms / trials < 0.001
