"""Estimators checked against statsmodels (a dev-only dependency) on generated data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from value_pipeline.stats import (
    before_after,
    estimate_value_chain,
    ols_did,
    panel_did,
    to_money,
    welch_difference,
)

REL = 1e-10


def _compare_means(a: np.ndarray, b: np.ndarray) -> CompareMeans:
    return CompareMeans(DescrStatsW(a), DescrStatsW(b))


def _panel(seed: int, n_units: int = 60, effect: float = 2.0) -> pd.DataFrame:
    """One row per unit and period; a unit effect makes pre and post values correlated."""
    rng = np.random.default_rng(seed)
    units = np.arange(n_units)
    treated = units % 3 == 0
    level = rng.normal(10, 3, n_units)
    rows = []
    for period, shift in (("pre", 0.0), ("post", 1.0)):
        noise = rng.normal(0, np.where(treated, 2.0, 1.0))
        value = level + shift + effect * (treated & (period == "post")) + noise
        rows.append(
            pd.DataFrame(
                {
                    "unit_id": [f"u{u}" for u in units],
                    "group_name": np.where(treated, "treatment", "control"),
                    "period": period,
                    "metric_value": value,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _cross_sections(seed: int, n: int = 400, effect: float = 1.5, repeats: int = 1) -> pd.DataFrame:
    """Repeated cross-sections; with repeats > 1 each unit has several rows in its period."""
    rng = np.random.default_rng(seed)
    n_units = n // repeats
    treated = rng.integers(0, 2, n_units).astype(bool)
    post = rng.integers(0, 2, n_units).astype(bool)
    unit_effect = rng.normal(0, 2, n_units)
    idx = np.repeat(np.arange(n_units), repeats)
    y = (
        5
        + 1.0 * treated[idx]
        + 0.5 * post[idx]
        + effect * (treated & post)[idx]
        + unit_effect[idx]
        + rng.normal(0, 1 + treated[idx], idx.size)
    )
    return pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in idx],
            "group_name": np.where(treated[idx], "treatment", "control"),
            "period": np.where(post[idx], "post", "pre"),
            "metric_value": y,
            "weight": rng.uniform(0.5, 2.0, idx.size),
        }
    )


def _statsmodels_fit(frame: pd.DataFrame, weighted: bool = False, cluster: bool = False):
    data = frame.assign(
        treated=(frame["group_name"] == "treatment").astype(float),
        post=(frame["period"] == "post").astype(float),
    )
    model = (
        smf.wls("metric_value ~ treated * post", data, weights=data["weight"])
        if weighted
        else smf.ols("metric_value ~ treated * post", data)
    )
    if cluster:
        codes = pd.factorize(data["unit_id"])[0]
        return model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    return model.fit(cov_type="HC1", use_t=True)


def test_welch_matches_statsmodels():
    rng = np.random.default_rng(1)
    t, c = rng.normal(11, 3, 40), rng.normal(10, 1, 25)
    est = welch_difference(t, c)
    cm = _compare_means(t, c)
    _, _, df = cm.ttest_ind(usevar="unequal")
    low, high = cm.tconfint_diff(usevar="unequal")
    assert est.estimate == pytest.approx(t.mean() - c.mean(), rel=REL)
    assert est.std_error == pytest.approx(cm.std_meandiff_separatevar, rel=REL)
    assert est.df == pytest.approx(df, rel=REL)
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), rel=REL)
    assert est.n == {"treatment_post": 40, "control_post": 25}
    assert est.evidence_grade == "randomised" and est.causal


def test_before_after_is_welch_post_minus_pre_and_not_causal():
    rng = np.random.default_rng(2)
    pre, post = rng.normal(10, 2, 30), rng.normal(9, 2, 35)
    est = before_after(pre, post)
    cm = _compare_means(post, pre)
    assert est.estimate == pytest.approx(post.mean() - pre.mean(), rel=REL)
    assert est.std_error == pytest.approx(cm.std_meandiff_separatevar, rel=REL)
    assert (est.ci_low, est.ci_high) == pytest.approx(cm.tconfint_diff(usevar="unequal"), rel=REL)
    assert est.evidence_grade == "before_after" and not est.causal


def test_panel_did_is_welch_on_per_unit_changes():
    frame = _panel(3)
    # A unit seen in one period only must be left out, not counted.
    frame = pd.concat(
        [
            frame,
            pd.DataFrame(
                [{"unit_id": "lone", "group_name": "control", "period": "pre", "metric_value": 99.0}]
            ),
        ]
    )
    est = panel_did(frame)
    wide = frame[frame.unit_id != "lone"].pivot(index="unit_id", columns="period", values="metric_value")
    group = frame.drop_duplicates("unit_id").set_index("unit_id")["group_name"].loc[wide.index]
    change = wide["post"] - wide["pre"]
    cm = _compare_means(change[group == "treatment"].to_numpy(), change[group == "control"].to_numpy())
    _, _, df = cm.ttest_ind(usevar="unequal")
    assert est.estimate == pytest.approx(cm.d1.mean - cm.d2.mean, rel=REL)
    assert est.std_error == pytest.approx(cm.std_meandiff_separatevar, rel=REL)
    assert est.df == pytest.approx(df, rel=REL)
    assert (est.ci_low, est.ci_high) == pytest.approx(cm.tconfint_diff(usevar="unequal"), rel=REL)
    assert est.estimate == pytest.approx(
        (est.means["treatment_post"] - est.means["treatment_pre"])
        - (est.means["control_post"] - est.means["control_pre"]),
        rel=REL,
    )
    assert est.n == {"treatment_pre": 20, "treatment_post": 20, "control_pre": 40, "control_post": 40}
    assert any("1 unit(s)" in note for note in est.notes)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cluster", [False, True])
def test_ols_did_matches_statsmodels(weighted, cluster):
    frame = _cross_sections(4, repeats=4 if cluster else 1)
    est = ols_did(frame, cluster=cluster, weighted=weighted)
    fit = _statsmodels_fit(frame, weighted=weighted, cluster=cluster)
    name = "treated:post"
    assert est.estimate == pytest.approx(fit.params[name], rel=REL)
    assert est.std_error == pytest.approx(fit.bse[name], rel=REL)
    assert (est.ci_low, est.ci_high) == pytest.approx(tuple(fit.conf_int().loc[name]), rel=REL)
    expected_df = frame.unit_id.nunique() - 1 if cluster else len(frame) - 4
    assert est.df == expected_df
    assert est.means["control_pre"] == pytest.approx(fit.params["Intercept"], rel=REL)
    assert est.mean_std_errors["treatment_pre"] == pytest.approx(
        float(fit.t_test("Intercept + treated = 0").sd[0, 0]), rel=REL
    )


def test_ols_did_lift_matches_delta_method_on_statsmodels_covariance():
    frame = _cross_sections(5, repeats=2)
    est = ols_did(frame)
    fit = _statsmodels_fit(frame, cluster=True)
    b, cov = fit.params.to_numpy(), fit.cov_params().to_numpy()

    def lift(beta):
        return beta[3] / (beta[0] + beta[1] + beta[2])

    step = 1e-6
    grad = np.array([(lift(b + step * e) - lift(b - step * e)) / (2 * step) for e in np.eye(4)])
    se = np.sqrt(grad @ cov @ grad)
    assert est.relative_lift == pytest.approx(lift(b), rel=1e-9)
    assert est.lift_ci_high - est.lift_ci_low == pytest.approx(2 * 1.959963984540054 * se, rel=1e-6)


def test_welch_lift_delta_method_matches_simulation():
    rng = np.random.default_rng(6)
    lifts, ses = [], []
    for _ in range(2000):
        est = welch_difference(rng.normal(12, 4, 50), rng.normal(10, 3, 40))
        lifts.append(est.relative_lift)
        ses.append((est.lift_ci_high - est.lift_ci_low) / (2 * 1.959963984540054))
    assert np.mean(lifts) == pytest.approx(0.2, abs=0.01)
    assert np.mean(ses) == pytest.approx(np.std(lifts), rel=0.05)


def test_welch_interval_covers_the_true_effect():
    rng = np.random.default_rng(14)
    hits = 0
    for _ in range(300):
        est = welch_difference(rng.normal(12, 4, 15), rng.normal(10, 1, 30))
        hits += est.ci_low <= 2.0 <= est.ci_high
    assert 0.90 <= hits / 300 <= 0.99


# Fewer replications than for Welch: each goes through a data frame. Fixed seeds keep it deterministic;
# at 95% coverage, 0.90 is more than three standard errors of a 200-draw proportion away.
@pytest.mark.parametrize(
    ("make", "truth"),
    [
        (lambda s: _panel(s, n_units=30), 2.0),
        (lambda s: _cross_sections(s, n=160, repeats=2).drop(columns="weight"), 1.5),
    ],
    ids=["panel", "ols_cluster"],
)
def test_did_intervals_cover_the_true_effect(make, truth):
    hits = sum(
        est.ci_low <= truth <= est.ci_high
        for est in (estimate_value_chain(make(1000 + seed), "diff_in_diff") for seed in range(200))
    )
    assert 0.90 <= hits / 200 <= 0.99


def test_dispatcher_picks_the_estimator():
    panel = _panel(7)
    assert estimate_value_chain(panel, "diff_in_diff").estimator == "panel_difference_in_differences"
    # Too few units in both periods: all rows go to OLS, clustered because units repeat.
    sparse = panel[~((panel.period == "post") & (panel.unit_id.str[1:].astype(int) % 2 == 0))]
    est = estimate_value_chain(sparse, "diff_in_diff")
    assert est.estimator == "ols_difference_in_differences" and "CR1" in est.notes[0]
    cross = _cross_sections(8)
    assert "HC1" in estimate_value_chain(cross.drop(columns="weight"), "diff_in_diff").notes[0]
    assert estimate_value_chain(cross, "diff_in_diff").estimator == "wls_difference_in_differences"
    ba = estimate_value_chain(panel, "before_after")
    assert ba.evidence_grade == "before_after" and not ba.causal
    assert "control rows were ignored" in ba.notes[-1]


def test_dispatcher_accepts_contract_column_names():
    panel = _panel(9).rename(columns={"group_name": "group", "metric_value": "value"})
    assert estimate_value_chain(panel, "diff_in_diff").estimate == pytest.approx(
        panel_did(_panel(9)).estimate, rel=REL
    )


def test_empty_cell_is_named():
    panel = _panel(10)
    with pytest.raises(ValueError, match="control_post has 0"):
        estimate_value_chain(
            panel[~((panel.group_name == "control") & (panel.period == "post"))], "diff_in_diff"
        )


def test_single_observation_is_named():
    with pytest.raises(ValueError, match="treatment_post has 1 observation"):
        welch_difference([1.0], [1.0, 2.0])
    frame = _panel(11)
    keep = (frame.group_name == "control") | (frame.unit_id == "u0")
    with pytest.raises(ValueError, match="treatment_pre has 1"):
        estimate_value_chain(frame[keep], "diff_in_diff")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="period"), r"lack column\(s\) \['period'\]"),
        (lambda f: f.assign(period="during"), "period must be one of"),
        (lambda f: f.assign(group_name=f.group_name.where(f.index != 0, "control")), "both treatment"),
        (lambda f: f.assign(metric_value=np.nan), "missing"),
        (lambda f: f.assign(weight=[1.0] + [np.nan] * (len(f) - 1)), "some rows only"),
    ],
)
def test_bad_frames_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        estimate_value_chain(change(_panel(12)), "diff_in_diff")


def test_weights_outside_diff_in_diff_raise_rather_than_being_ignored():
    with pytest.raises(ValueError, match="weights are supported"):
        estimate_value_chain(_cross_sections(13), "randomised")


def test_zero_variance():
    both = welch_difference([3.0, 3.0, 3.0], [1.0, 1.0])
    assert (both.estimate, both.std_error, both.df) == (2.0, 0.0, None)
    assert both.ci_low == both.ci_high == 2.0 and both.notes
    one = welch_difference([3.0, 3.0, 3.0], [1.0, 2.0, 4.0, 5.0])
    assert one.df == pytest.approx(3.0) and one.std_error > 0


def test_lift_undefined_when_baseline_is_zero():
    est = welch_difference([1.0, 2.0], [-1.0, 1.0])
    assert est.relative_lift is None and est.lift_ci_low is None


def test_causal_follows_the_evidence_grade():
    est = welch_difference([1.0, 2.0, 3.0], [1.0, 1.5])
    assert replace(est, evidence_grade="before_after").causal is False
    with pytest.raises(ValueError, match="causal"):
        replace(est, causal=True)
    with pytest.raises(ValueError, match="evidence_grade"):
        replace(est, evidence_grade="anecdote")


def test_to_money_carries_the_interval_through():
    est = welch_difference([12.0, 14.0, 13.0, 15.0], [10.0, 11.0, 9.0, 10.0])
    up = to_money(est, exposure=100, unit_value=2.0, action_cost=50, direction="higher_is_better")
    assert up.point == pytest.approx(est.estimate * 200 - 50)
    assert (up.low, up.high) == pytest.approx((est.ci_low * 200 - 50, est.ci_high * 200 - 50))
    # The same rise in a lower-is-better metric (e.g. handling time) destroys value.
    down = to_money(est, exposure=100, unit_value=2.0, action_cost=50, direction="lower_is_better")
    assert down.point == pytest.approx(-est.estimate * 200 - 50)
    assert (down.low, down.high) == pytest.approx((-est.ci_high * 200 - 50, -est.ci_low * 200 - 50))
    assert down.causal and down.evidence_grade == "randomised"
    with pytest.raises(ValueError, match="direction"):
        to_money(est, exposure=1, unit_value=1, action_cost=0, direction="up")
    with pytest.raises(ValueError, match=">= 0"):
        to_money(est, exposure=-1, unit_value=1, action_cost=0, direction="higher_is_better")
