"""The commitment forecast: formulas against hand/scipy computations, and calibration on generated
histories whose outcome is known (docs/lifecycle.md quotes the calibration figures)."""

import math

import numpy as np
import pytest
from scipy import stats

from value_pipeline.stats.forecast import forecast_cumulative, scaled_projection


def test_point_interval_probability_and_value_at_risk_by_hand():
    increments = [10.0, 12.0, 14.0, 16.0]  # mean 13, sample sd sqrt(20/3)
    f = forecast_cumulative(increments, current=52.0, horizon_months=3, target=100.0)
    s = math.sqrt(20 / 3)
    se = s * math.sqrt(3 + 9 / 4)
    t = stats.t(df=3)
    assert f.point == pytest.approx(52 + 3 * 13)
    assert f.std_error == pytest.approx(se)
    assert f.low == pytest.approx(91 + t.ppf(0.10) * se)
    assert f.high == pytest.approx(91 + t.ppf(0.90) * se)
    assert f.probability_reaching_target == pytest.approx(t.sf((100 - 91) / se))
    assert f.value_at_risk == pytest.approx(100 - (91 + t.ppf(0.10) * se))
    assert f.quantile(0.10) == pytest.approx(f.risk_quantile_value)


def test_value_at_risk_is_floored_at_zero():
    f = forecast_cumulative([10.0, 11.0, 9.0], current=500.0, horizon_months=2, target=100.0)
    assert f.value_at_risk == 0.0
    assert f.probability_reaching_target > 0.999


def test_too_few_increments_give_no_forecast_with_the_reason():
    f = forecast_cumulative([5.0, 6.0], current=11.0, horizon_months=4, target=50.0)
    assert f.point is None and f.probability_reaching_target is None
    assert "at least 3" in f.note


def test_constant_increments_are_a_degenerate_forecast():
    f = forecast_cumulative([5.0, 5.0, 5.0], current=15.0, horizon_months=2, target=24.0)
    assert (f.point, f.low, f.high) == (25.0, 25.0, 25.0)
    assert f.probability_reaching_target == 1.0 and f.value_at_risk == 0.0


def test_deadline_reached_is_the_known_value():
    f = forecast_cumulative([1.0, 2.0, 3.0], current=6.0, horizon_months=0, target=10.0)
    assert f.point == 6.0 and f.probability_reaching_target == 0.0 and f.value_at_risk == 4.0


def test_scaled_projection_is_the_scaled_change_distribution():
    f = forecast_cumulative([10.0, 12.0, 14.0, 16.0], current=52.0, horizon_months=3)
    point, low, high = scaled_projection(f, scale=0.5, horizon_months=3)
    assert point == pytest.approx(0.5 * (f.point - 52.0))
    assert low == pytest.approx(0.5 * (f.low - 52.0))
    assert high == pytest.approx(0.5 * (f.high - 52.0))


def _simulate(rng, histories=2000):
    """Histories with random drift, noise and length; the future is drawn from the same process."""
    rows = []
    for _ in range(histories):
        n = int(rng.integers(4, 19))
        horizon = int(rng.integers(1, 13))
        mu = rng.uniform(20_000, 100_000)
        sigma = mu * rng.uniform(0.05, 0.6)
        past = rng.normal(mu, sigma, n)
        future = rng.normal(mu, sigma, horizon)
        current = past.sum()
        # Targets around the expected outcome so that both results occur.
        target = (current + horizon * mu) * rng.uniform(0.85, 1.15)
        f = forecast_cumulative(past, current, horizon, target)
        rows.append((f.low, f.high, f.probability_reaching_target, current + future.sum(), target))
    return np.array(rows)


def test_calibration_on_generated_histories():
    """80% intervals cover ~80% of known outcomes; probabilities are calibrated and beat climatology."""
    rows = _simulate(np.random.default_rng(20260630))
    low, high, prob, outcome, target = rows.T
    coverage = np.mean((outcome >= low) & (outcome <= high))
    mc_error = math.sqrt(0.8 * 0.2 / len(rows))
    assert abs(coverage - 0.80) < 3 * mc_error, coverage
    reached = (outcome >= target).astype(float)
    brier = np.mean((prob - reached) ** 2)
    climatology = np.mean((reached.mean() - reached) ** 2)
    assert brier < 0.75 * climatology, (brier, climatology)
    # Reliability: in each probability decile the observed frequency is within 3 MC errors.
    bins = np.clip((prob * 5).astype(int), 0, 4)
    for b in range(5):
        inside = bins == b
        if inside.sum() < 50:
            continue
        expected, observed = prob[inside].mean(), reached[inside].mean()
        error = math.sqrt(max(expected * (1 - expected), 0.01) / inside.sum())
        assert abs(observed - expected) < 3 * error + 0.02, (b, expected, observed)


def test_interval_coverage_fails_when_the_drift_changes():
    """The check can fail: a history whose drift halves after the last month is not covered at 80%."""
    rng = np.random.default_rng(7)
    covered = []
    for _ in range(500):
        past = rng.normal(50_000, 5_000, 12)
        future = rng.normal(25_000, 5_000, 6)
        f = forecast_cumulative(past, past.sum(), 6)
        covered.append(f.low <= past.sum() + future.sum() <= f.high)
    assert np.mean(covered) < 0.2


def test_increments_window_drops_months_before_value_starts_and_keeps_the_last_year():
    from value_pipeline.stats.forecast import increments_window

    assert increments_window([0, 0, 5, 0, 7]) == [5.0, 0.0, 7.0]
    assert increments_window([0.0, 0.0]) == []
    assert increments_window(list(range(1, 21)), window=12) == [float(v) for v in range(9, 21)]
