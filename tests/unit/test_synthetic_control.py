"""Synthetic control: exact convex weights, a known truth, and California's Proposition 99.

Proposition 99 (Abadie, Diamond & Hainmueller 2010; the data as CausalPy ships them,
tests/published/README.md): the outcome-only fit is checked for optimality (KKT conditions, and
no general-purpose solver finds a lower pre-period loss) and against the weights and gaps it must
give. Arkhangelsky et al. (2021, Table 1) print -19.6 for their "SC" on these data; their solver
(Frank-Wolfe with a sparsifying restart and a small ridge term) stops before the exact optimum of the
same problem, which gives -19.51: the difference is the solver, pinned here so it cannot drift.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from value_pipeline.stats.synthetic_control import (
    convex_weights,
    outcomes_from_observations,
    synthetic_control,
)

PROP99 = Path(__file__).resolve().parents[1] / "published" / "california_prop99.csv"


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return pd.read_csv(PROP99).set_index("Year").T


def _loss(donors, target, w):
    return float(((donors @ w - target) ** 2).sum())


@pytest.mark.filterwarnings("ignore:delta_grad == 0.0")
def test_weights_are_the_exact_optimum_on_prop99(prop99):
    pre = prop99.loc[:, prop99.columns < 1989]
    donors = pre.drop(index="California").to_numpy().T
    target = pre.loc["California"].to_numpy()
    w = convex_weights(donors, target)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)
    # KKT: on the support the gradient is constant (the multiplier); elsewhere it is not below it.
    gradient = donors.T @ (donors @ w - target)
    support = w > 0
    multiplier = gradient[support].mean()
    assert np.ptp(gradient[support]) < 1e-7 * abs(multiplier)
    assert (gradient[~support] >= multiplier - 1e-7 * abs(multiplier)).all()
    # No general-purpose solver started from the uniform weights gets lower.
    n = donors.shape[1]
    for method in ("SLSQP", "trust-constr"):
        other = optimize.minimize(
            lambda v: _loss(donors, target, v),
            np.full(n, 1 / n),
            jac=lambda v: 2 * donors.T @ (donors @ v - target),
            bounds=[(0, None)] * n,
            constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1}],
            method=method,
            options={"maxiter": 3000},
        )
        assert _loss(donors, target, w) <= _loss(donors, target, other.x) + 1e-9


def test_prop99_estimate(prop99):
    result = synthetic_control(prop99, "California", 1989)
    weights = result.weights.set_index("unit_id")["weight"]
    assert weights[weights > 1e-9].round(3).to_dict() == {
        "Utah": 0.394,
        "Montana": 0.232,
        "Nevada": 0.205,
        "Connecticut": 0.109,
        "New Hampshire": 0.045,
        "Colorado": 0.015,
    }
    assert round(result.overall.estimate, 2) == -19.51
    assert round(result.pre_rmspe, 3) == 1.656
    gaps = result.gaps.set_index("period")["gap"]
    assert gaps.loc[1989:].mean() == pytest.approx(result.overall.estimate)
    assert round(gaps.loc[2000], 1) == -26.6
    # Placebo in space: 38 donors refitted from the others; California's post/pre RMSPE ratio ranks 3rd of 39.
    assert len(result.placebo) == 39
    assert result.placebo_p_value == pytest.approx(3 / 39)
    placebo_effects = result.placebo.loc[~result.placebo["is_treated"], "effect"]
    assert result.overall.std_error == pytest.approx(placebo_effects.std(ddof=1) * np.sqrt(1 + 1 / 38))
    assert result.overall.df == 37
    assert result.overall.evidence_grade == "synthetic_control" and result.overall.causal


def test_recovers_a_known_convex_combination():
    rng = np.random.default_rng(3)
    periods = np.arange(30)
    donors = pd.DataFrame(
        rng.normal(0, 1, (8, 30)).cumsum(axis=1) + rng.normal(50, 5, (8, 1)),
        index=[f"d{i}" for i in range(8)],
        columns=periods,
    )
    truth = np.array([0.5, 0.3, 0.2, 0, 0, 0, 0, 0])
    treated = truth @ donors.to_numpy() + np.where(periods >= 20, 4.0, 0.0)
    outcomes = pd.concat([donors, pd.DataFrame([treated], index=["t"], columns=periods)])
    result = synthetic_control(outcomes, "t", 20)
    np.testing.assert_allclose(
        result.weights.set_index("unit_id")["weight"].reindex(donors.index), truth, atol=1e-9
    )
    assert result.pre_rmspe < 1e-9
    assert result.overall.estimate == pytest.approx(4.0, abs=1e-9)


def test_outcomes_from_observations():
    rows = []
    for unit, group in (("site", "treatment"), ("a", "control"), ("b", "control"), ("c", "control")):
        for month in range(1, 7):
            rows.append(
                (
                    unit,
                    group,
                    "post" if group == "treatment" and month >= 4 else "pre",
                    f"2026-0{month}-01",
                    float(month),
                )
            )
    frame = pd.DataFrame(rows, columns=["unit_id", "group_name", "period", "observed_on", "metric_value"])
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    outcomes, treated, first_post, notes = outcomes_from_observations(frame)
    assert treated == "site" and first_post == pd.Timestamp("2026-04-01")
    assert outcomes.shape == (4, 6) and notes == []
    # A donor missing a period is left out and named.
    outcomes, _, _, notes = outcomes_from_observations(
        frame.drop(index=frame.index[(frame.unit_id == "c")][:1])
    )
    assert list(outcomes.index) == ["site", "a", "b"] and notes == [
        "donor(s) not observed in every period left out: c"
    ]
    with pytest.raises(ValueError, match="one treated unit"):
        outcomes_from_observations(frame.assign(group_name="treatment"))
    with pytest.raises(ValueError, match="no post row"):
        outcomes_from_observations(frame.assign(period="pre"))
