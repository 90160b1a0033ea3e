"""The commitment-forecast step on small frames: the window, the horizon and the expansion rows."""

import pandas as pd
import pytest

from value_pipeline.lifecycle import COLUMN_NAMES, compute_forecasts
from value_pipeline.stats.forecast import forecast_cumulative, scaled_projection


def _months(commitment_id: str, values: list[float]) -> pd.DataFrame:
    starts = pd.date_range("2025-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"commitment_id": commitment_id, "month_start": starts, "net_value": values})


def test_forecast_rows_use_the_window_after_value_starts_and_the_months_to_the_deadline():
    history = [0.0, 0.0, *[float(v) for v in range(10, 160, 10)]]  # 2 months before go-live, 15 after
    commitments = pd.DataFrame(
        {"commitment_id": ["A", "B"], "target_value": [2000.0, 50.0], "months_to_deadline": [6, -2]}
    )
    months = pd.concat([_months("A", history), _months("B", [5.0, 6.0, 7.0, 8.0])])
    expansions = pd.DataFrame(
        {
            "expansion_id": ["X"],
            "commitment_id": ["A"],
            "scope_name": ["EMEA"],
            "scale": [0.5],
            "horizon_months": [12],
        }
    )
    frame = compute_forecasts(commitments, months, expansions)
    assert list(frame.columns) == COLUMN_NAMES
    rows = frame.set_index(["commitment_id", "projection_kind"])
    expected = forecast_cumulative(history[-12:], sum(history), 6, 2000.0)
    a = rows.loc[("A", "deadline")]
    assert a["n_increments"] == 12 and a["horizon_months"] == 6
    assert (a["forecast_value"], a["forecast_low"], a["probability_reaching_target"]) == pytest.approx(
        (expected.point, expected.low, expected.probability_reaching_target)
    )
    b = rows.loc[("B", "deadline")]  # deadline passed: the value is known
    assert (
        b["horizon_months"] == 0 and b["forecast_value"] == 26.0 and b["probability_reaching_target"] == 0.0
    )
    x = rows.loc[("A", "expansion")]
    assert (x["forecast_value"], x["forecast_low"], x["forecast_high"]) == pytest.approx(
        scaled_projection(expected, 0.5, 12)
    )
