"""Interrupted time series: a published segmented regression (Proposition 99) through the observations
landing contract, Newey-West covariance by hand, a known level and slope change, observations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.reference.observations_landing import land_observations
from value_pipeline.stats.interrupted_time_series import (
    interrupted_time_series,
    newey_west_lags,
    series_from_observations,
)


def _series(seed: int = 11, n_pre: int = 36, n_post: int = 12, level: float = -5.0, slope: float = -0.5):
    rng = np.random.default_rng(seed)
    noise = np.zeros(n_pre + n_post)
    for i in range(1, noise.size):  # AR(1) errors: what HAC is for
        noise[i] = 0.6 * noise[i - 1] + rng.normal(0, 1)
    t = np.arange(noise.size)
    since = np.clip(t - n_pre, 0, None)
    post = t >= n_pre
    y = 100 + 0.2 * t + post * (level + slope * since) + noise
    return pd.Series(y, index=pd.date_range("2023-01-01", periods=t.size, freq="MS")), n_pre


def _newey_west(X: np.ndarray, residuals: np.ndarray, lags: int) -> np.ndarray:
    """Bartlett-kernel HAC sandwich with the n / (n - k) correction, written from the formula."""
    n, k = X.shape
    scores = X * residuals[:, None]
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        weight = 1 - lag / (lags + 1)
        cross = scores[lag:].T @ scores[:-lag]
        meat += weight * (cross + cross.T)
    bread = np.linalg.inv(X.T @ X)
    return bread @ meat @ bread * n / (n - k)


PROP99 = Path(__file__).resolve().parents[1] / "published" / "california_prop99.csv"


def test_proposition_99_reproduces_the_published_segmented_regression(tmp_path):
    """California's cigarette sales 1970-2000, the law in force from 1989, as observations files
    through the landing loader (dated mid-year).

    Published (Mendez 2026, "Six Ways to Evaluate a Policy in R", the causalpolicy.nl workshop
    replication on the same data): lm(cigsale ~ year0 + prepost + year0:prepost), year0 = year - 1989,
    gives intercept 98.41579, pre slope -1.77947, level break -20.05810 and slope break -1.49465; the
    pre-period line carried forward leaves an average post gap of -28.28. Their HAC errors use
    Andrews' quadratic-spectral kernel (sandwich::vcovHAC), ours Newey-West: not compared.
    """
    california = pd.read_csv(PROP99)[["Year", "California"]]
    rows = pd.DataFrame(
        {
            "value_chain_id": "PROP99",
            "unit_id": "California",
            "group": "treatment",
            "period": np.where(california["Year"] >= 1989, "post", "pre"),
            "metric": "cigsale",
            "value": california["California"],
            # Mid-year: 1970-01-01 is a placeholder date the landing quarantines.
            "observed_on": california["Year"].astype(str) + "-07-01",
        }
    )
    # Data from 1970: the registry's earliest_plausible_date setting lets them in.
    loaded, observations = land_observations(rows, tmp_path, earliest="1960-01-01")
    assert loaded.accepted == 31 and loaded.quarantined == 0
    series, first_post, _ = series_from_observations(observations)
    result = interrupted_time_series(series, first_post)
    line = result.fitted.set_index(result.fitted["period"].dt.year)["counterfactual"]
    assert round(line.loc[1989], 5) == 98.41579
    assert round(line.loc[1971] - line.loc[1970], 5) == -1.77947
    assert round(result.level_change, 5) == -20.05810
    assert round(result.slope_change, 5) == -1.49465
    assert round(result.overall.estimate, 2) == -28.28


def test_covariance_is_newey_west_by_hand():
    series, n_pre = _series()
    result = interrupted_time_series(series, series.index[n_pre])
    assert result.hac_lags == newey_west_lags(48) == 3
    t = np.arange(48.0)
    post = (t >= n_pre).astype(float)
    X = np.column_stack([np.ones(48), t, post, post * (t - n_pre)])
    beta = np.linalg.lstsq(X, series.to_numpy(), rcond=None)[0]
    cov = _newey_west(X, series.to_numpy() - X @ beta, 3)
    assert result.level_change == pytest.approx(beta[2], rel=1e-10)
    assert result.slope_change == pytest.approx(beta[3], rel=1e-10)
    assert result.level_change_std_error == pytest.approx(np.sqrt(cov[2, 2]), rel=1e-10)
    assert result.slope_change_std_error == pytest.approx(np.sqrt(cov[3, 3]), rel=1e-10)
    contrast = np.array([0, 0, 1, np.arange(12).mean()])
    assert result.overall.estimate == pytest.approx(contrast @ beta, rel=1e-10)
    assert result.overall.std_error == pytest.approx(np.sqrt(contrast @ cov @ contrast), rel=1e-10)
    fitted = result.fitted
    assert (
        fitted.loc[fitted.post, "fitted"] - fitted.loc[fitted.post, "counterfactual"]
    ).mean() == pytest.approx(result.overall.estimate)


def test_recovers_a_known_change():
    series, n_pre = _series(level=-5.0, slope=-0.5)
    result = interrupted_time_series(series, series.index[n_pre])
    truth = -5.0 - 0.5 * np.arange(12).mean()
    assert result.overall.ci_low < truth < result.overall.ci_high
    assert result.overall.evidence_grade == "interrupted_time_series" and not result.overall.causal
    assert "Newey-West errors with 3 lag(s)" in result.overall.notes[0]


def test_needs_a_pre_period():
    series, _ = _series()
    with pytest.raises(ValueError, match="at least 3 pre-periods"):
        interrupted_time_series(series, series.index[2])


def test_series_from_observations():
    rows = [
        ("u1", "treatment", "pre" if m < 5 else "post", f"2026-{m:02d}-01", float(m)) for m in range(1, 9)
    ]
    rows += [
        ("u2", "treatment", "pre" if m < 5 else "post", f"2026-{m:02d}-01", float(m) + 2) for m in range(1, 9)
    ]
    rows += [("c1", "control", "pre", "2026-01-01", 1.0)]
    frame = pd.DataFrame(rows, columns=["unit_id", "group_name", "period", "observed_on", "metric_value"])
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    series, first_post, notes = series_from_observations(frame)
    assert first_post == pd.Timestamp("2026-05-01") and len(series) == 8 and series.iloc[0] == 2.0
    assert notes == [
        "the series is the mean of 2 treatment units per date",
        "control rows were not used by the interrupted time series",
    ]
    late = frame.copy()
    late.loc[0, "observed_on"] = pd.Timestamp("2026-06-01")
    with pytest.raises(ValueError, match="on or after the first post row"):
        series_from_observations(late)
