"""Callaway & Sant'Anna (2021) on mpdta: the published table, moderndid's numbers and the landing path.

Published: the did package's README (bcallaway11/did, "A short example": ``att_gt`` on mpdta without
covariates, never-treated controls; ``aggte`` by event time and by group). Point estimates are printed
to 4 decimals, the pre-test p-value to 5; the printed standard errors come from a random multiplier
bootstrap, so the analytic ones are compared with moderndid's (a Python port of did) instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from tests.reference.observations_landing import land_observations
from value_pipeline.stats.staggered import callaway_santanna, panel_from_observations

md = pytest.importorskip("moderndid")

PUBLISHED_ATT_GT = {
    (2004, 2004): -0.0105,
    (2004, 2005): -0.0704,
    (2004, 2006): -0.1373,
    (2004, 2007): -0.1008,
    (2006, 2004): 0.0065,
    (2006, 2005): -0.0028,
    (2006, 2006): -0.0046,
    (2006, 2007): -0.0412,
    (2007, 2004): 0.0305,
    (2007, 2005): -0.0027,
    (2007, 2006): -0.0311,
    (2007, 2007): -0.0261,
}
PUBLISHED_EVENT_TIME = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
PUBLISHED_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return md.load_mpdta().to_pandas()


def _panel(mpdta: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": mpdta["countyreal"],
            "period": mpdta["year"],
            "metric_value": mpdta["lemp"],
            "cohort": mpdta["first.treat"].where(mpdta["first.treat"] > 0),
        }
    )


def _assert_published(result) -> None:
    printed = {(r.cohort, r.period): round(r.att, 4) for r in result.group_time.itertuples()}
    assert printed == PUBLISHED_ATT_GT
    assert round(result.pretrend_p_value_asymptotic, 5) == 0.16812
    assert result.pretrend_df == 5
    # Hotelling's finite-sample form of the same Wald statistic: F = (n - q) / (q (n - 1)) W.
    f_stat = (500 - 5) / (5 * 499) * result.pretrend_statistic
    assert result.pretrend_p_value == pytest.approx(stats.f.sf(f_stat, 5, 495), rel=1e-12)
    assert result.pretrend_p_value > result.pretrend_p_value_asymptotic
    events = dict(
        zip(result.by_event_time["event_time"], result.by_event_time["estimate"].round(4), strict=True)
    )
    assert events == PUBLISHED_EVENT_TIME
    assert round(result.event_time_average, 4) == -0.0772
    cohorts = dict(zip(result.by_cohort["cohort"], result.by_cohort["estimate"].round(4), strict=True))
    assert {int(k): v for k, v in cohorts.items()} == PUBLISHED_GROUP
    assert round(result.cohort_average, 3) == -0.031


def test_mpdta_reproduces_the_published_table(mpdta):
    result = callaway_santanna(_panel(mpdta))
    _assert_published(result)
    assert result.overall.evidence_grade == "staggered_adoption" and result.overall.causal
    assert result.n_units == 500 and result.n_never_treated == 309
    assert result.cohort_sizes == {2004: 20, 2006: 40, 2007: 131}


def test_relative_change_is_against_the_adopters_counterfactual_mean(mpdta):
    """The adopters' mean over the post cells, each cell weighted by its cohort's size, minus the effect."""
    result = callaway_santanna(_panel(mpdta))
    adopters = mpdta[(mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"])]
    cells = adopters.groupby(["first.treat", "year"])["lemp"].mean()
    sizes = mpdta.drop_duplicates("countyreal").groupby("first.treat").size()
    weights = sizes.reindex(cells.index.get_level_values(0)).to_numpy()
    observed = float((cells.to_numpy() * weights).sum() / weights.sum())
    counterfactual = observed - result.overall.estimate
    assert result.overall.means["treatment_post"] == pytest.approx(observed, rel=1e-12)
    assert result.overall.relative_lift == pytest.approx(result.overall.estimate / counterfactual, rel=1e-12)
    assert result.overall.lift_ci_low == pytest.approx(result.overall.ci_low / counterfactual, rel=1e-12)


@pytest.mark.parametrize(
    ("control_group", "base_period"),
    [
        ("never_treated", "varying"),
        ("not_yet_treated", "varying"),
        ("never_treated", "universal"),
        ("not_yet_treated", "universal"),
    ],
)
def test_equals_moderndid(mpdta, control_group, base_period):
    ours = callaway_santanna(_panel(mpdta), control_group=control_group, base_period=base_period)
    theirs = md.att_gt(
        data=md.load_mpdta(),
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        est_method="reg",
        control_group="nevertreated" if control_group == "never_treated" else "notyettreated",
        base_period=base_period,
        boot=False,
        cband=False,
    )
    np.testing.assert_allclose(ours.group_time["att"], theirs.att_gt, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.group_time["std_error"], theirs.se_gt, rtol=0, atol=1e-12)
    simple = md.aggte(theirs, type="simple", boot=False, cband=False)
    assert ours.overall.estimate == pytest.approx(simple.overall_att, abs=1e-12)
    assert ours.overall.std_error == pytest.approx(simple.overall_se, abs=1e-12)
    group = md.aggte(theirs, type="group", boot=False, cband=False)
    assert ours.cohort_average == pytest.approx(group.overall_att, abs=1e-12)
    assert ours.cohort_average_std_error == pytest.approx(group.overall_se, abs=1e-12)
    np.testing.assert_allclose(ours.by_cohort["std_error"], group.se_by_event, atol=1e-12)
    dynamic = md.aggte(theirs, type="dynamic", boot=False, cband=False)
    assert ours.event_time_average == pytest.approx(dynamic.overall_att, abs=1e-12)
    assert ours.event_time_average_std_error == pytest.approx(dynamic.overall_se, abs=1e-12)
    np.testing.assert_allclose(ours.by_event_time["estimate"], dynamic.att_by_event, atol=1e-12)
    np.testing.assert_allclose(ours.by_event_time["std_error"], dynamic.se_by_event, atol=1e-12)
    if ours.pretrend_p_value_asymptotic is not None and theirs.wald_pvalue is not None:
        assert round(ours.pretrend_p_value_asymptotic, 5) == pytest.approx(theirs.wald_pvalue, abs=1e-12)


def test_twfe_equals_statsmodels(mpdta):
    result = callaway_santanna(_panel(mpdta))
    frame = mpdta.assign(
        treated=((mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"])).astype(float)
    )
    X = pd.concat(
        [
            frame[["treated"]],
            pd.get_dummies(frame["countyreal"], prefix="u", dtype=float),
            pd.get_dummies(frame["year"], prefix="y", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    fit = sm.OLS(frame["lemp"], X).fit(cov_type="cluster", cov_kwds={"groups": frame["countyreal"]})
    assert result.twfe_estimate == pytest.approx(fit.params["treated"], abs=1e-10)
    assert result.twfe_std_error == pytest.approx(fit.bse["treated"], rel=1e-8)
    assert round(result.twfe_estimate, 4) == -0.0365
    assert "two-way fixed effects gives -0.03655" in result.overall.notes[-1]


def test_mpdta_through_the_observations_landing_contract(mpdta, tmp_path):
    """mpdta as observations files, loaded by the landing loader, gives the published table."""
    rows = pd.DataFrame(
        {
            "value_chain_id": "MPDTA",
            "unit_id": mpdta["countyreal"].astype(str),
            "group": np.where(mpdta["first.treat"] > 0, "treatment", "control"),
            "period": np.where(
                (mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"]), "post", "pre"
            ),
            "metric": "lemp",
            "value": mpdta["lemp"],
            "observed_on": mpdta["year"].astype(str) + "-01-01",
        }
    )
    result, loaded = land_observations(rows, tmp_path)
    assert result.accepted == 2500 and result.quarantined == 0
    estimate = callaway_santanna(panel_from_observations(loaded))
    printed = {(r.cohort.year, r.period.year): round(r.att, 4) for r in estimate.group_time.itertuples()}
    assert printed == PUBLISHED_ATT_GT
    assert round(estimate.pretrend_p_value_asymptotic, 5) == 0.16812


def _simulated(seed: int = 7) -> tuple[pd.DataFrame, dict]:
    """Two cohorts with known effects growing over time, never-treated units, common shocks per period."""
    rng = np.random.default_rng(seed)
    periods = list(range(8))
    cohorts = {3: 100, 5: 100, None: 40}
    effect = {3: 2.0, 5: 4.0}  # per period since adoption, plus the same amount on impact
    rows, unit = [], 0
    shock = rng.normal(0, 1, len(periods))
    for g, size in cohorts.items():
        for _ in range(size):
            level = rng.normal(10, 2)
            for t in periods:
                tau = effect[g] * (1 + t - g) if g is not None and t >= g else 0.0
                rows.append((unit, t, level + shock[t] + 0.3 * t + tau + rng.normal(0, 0.5), g))
            unit += 1
    panel = pd.DataFrame(rows, columns=["unit_id", "period", "metric_value", "cohort"])
    truth = {(g, t): effect[g] * (1 + t - g) for g in (3, 5) for t in periods if t >= g}
    return panel, truth


def test_recovers_simulated_cohort_effects():
    panel, truth = _simulated()
    result = callaway_santanna(panel)
    post = result.group_time[result.group_time["post"]]
    for row in post.itertuples():
        assert abs(row.att - truth[(row.cohort, row.period)]) < 4 * row.std_error
    # Simple aggregation: cohort-size-weighted mean over post cells; both cohorts have 100 units.
    expected = np.mean(list(truth.values()))
    assert abs(result.overall.estimate - expected) < 4 * result.overall.std_error
    assert result.pretrend_p_value > 0.001
    # Growing effects bias TWFE (the forbidden comparisons of later against earlier adopters).
    assert abs(result.twfe_estimate - expected) > 4 * result.overall.std_error


def test_observations_errors_name_the_problem():
    base = pd.DataFrame(
        {
            "unit_id": ["a", "a", "b", "b"],
            "group_name": ["treatment", "treatment", "control", "control"],
            "period": ["post", "pre", "pre", "pre"],
            "observed_on": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-01"]),
            "metric_value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    with pytest.raises(
        ValueError, match="unit a has a pre row on 2026-02-01 00:00:00 after its first post row"
    ):
        panel_from_observations(base)
    with pytest.raises(ValueError, match="observed_on on every row"):
        panel_from_observations(base.assign(observed_on=pd.NaT))
    with pytest.raises(ValueError, match="in both groups"):
        panel_from_observations(base.assign(group_name=["treatment", "control", "control", "control"]))
    with pytest.raises(ValueError, match="needs post rows: no treatment unit has adopted"):
        panel_from_observations(base.assign(period="pre"))
    ok = panel_from_observations(base.assign(period=["pre", "post", "pre", "pre"]))
    with pytest.raises(ValueError, match="1 never-treated unit"):
        callaway_santanna(ok)
