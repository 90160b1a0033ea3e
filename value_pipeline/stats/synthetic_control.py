"""Synthetic control: one treated unit against a convex combination of donor units.

The outcome-only variant (Abadie, Diamond & Hainmueller 2010 with the pre-period outcomes as the only
predictors and equal predictor weights; the "SC" estimator of Arkhangelsky et al. 2021 without its
ridge term): donor weights are non-negative, sum to one and minimise the sum of squared gaps between
the treated unit and the weighted donors over the pre-period. The effect is the average post-period
gap, treated minus synthetic.

Inference is by placebo in space: each donor in turn is treated as if it had received the action and
fitted from the other donors. The p-value is the treated unit's rank among all units by the ratio of
post- to pre-period RMSPE; the standard error is the spread of the donors' placebo effects (the
"placebo" variance of Arkhangelsky et al., with every donor used once), so the interval is wide when
donors move a lot without any action.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from value_pipeline.stats.estimators import Estimate, confidence_interval, lift_against, require_dated

_TOLERANCE = 1e-12


def convex_weights(donors: np.ndarray, target: np.ndarray) -> np.ndarray:
    """argmin ||donors @ w - target||^2 subject to w >= 0 and sum(w) = 1, solved to machine precision.

    A non-negative least-squares fit with the sum as a heavily weighted extra row gives the support;
    an active-set loop on the KKT conditions of the exact problem then polishes it, so the result
    does not depend on the penalty's size or on an iterative solver's stopping rule.
    """
    donors, target = np.asarray(donors, dtype=float), np.asarray(target, dtype=float)
    n_donors = donors.shape[1]
    scale = max(float(np.abs(donors).max()), 1.0)
    penalty = 1e4 * scale * np.sqrt(donors.shape[0])
    augmented = np.vstack([donors, np.full(n_donors, penalty)])
    start, _ = optimize.nnls(augmented, np.append(target, penalty), maxiter=50 * n_donors)
    active = set(np.flatnonzero(start > _TOLERANCE * start.sum()).tolist()) or {int(np.argmax(start))}

    gram, moment = donors.T @ donors, donors.T @ target
    for _ in range(10 * n_donors):
        support = sorted(active)
        k = len(support)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = gram[np.ix_(support, support)]
        kkt[:k, k] = kkt[k, :k] = 1.0
        solution = np.linalg.lstsq(kkt, np.append(moment[support], 1.0), rcond=None)[0]
        w_support, multiplier = solution[:k], solution[k]
        if (w_support < -_TOLERANCE).any():
            # The support is too large: the most negative weight leaves it.
            active.discard(support[int(np.argmin(w_support))])
            continue
        weights = np.zeros(n_donors)
        weights[support] = np.clip(w_support, 0.0, None)
        weights /= weights.sum()
        # Stationarity: for a donor outside the support, d/dw_j of half the loss plus the multiplier
        # must be non-negative; the most negative one enters.
        reduced = gram @ weights - moment + multiplier
        outside = [j for j in range(n_donors) if j not in active]
        violations = [(reduced[j], j) for j in outside if reduced[j] < -1e-9 * max(1.0, abs(multiplier))]
        if not violations:
            return weights
        active.add(min(violations)[1])
    raise RuntimeError("synthetic control weights did not converge")


@dataclass(frozen=True)
class SyntheticControlResult:
    """The estimate, donor weights, each period's gap and the placebo-in-space diagnostics."""

    overall: Estimate
    weights: pd.DataFrame
    gaps: pd.DataFrame
    pre_rmspe: float
    post_rmspe: float
    placebo: pd.DataFrame
    placebo_p_value: float


def _fit(outcomes: np.ndarray, treated: int, donors: list[int], pre: np.ndarray):
    weights = convex_weights(outcomes[donors][:, pre].T, outcomes[treated, pre])
    gap = outcomes[treated] - weights @ outcomes[donors]
    pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[~pre] ** 2)))
    return weights, gap, pre_rmspe, post_rmspe


def synthetic_control(outcomes: pd.DataFrame, treated_unit, first_post_period) -> SyntheticControlResult:
    """Fit the treated unit from the donors over the periods before ``first_post_period``.

    ``outcomes``: one row per unit (index: unit id), one column per period in time order, no missing
    values. Every other row is a donor.
    """
    if treated_unit not in outcomes.index:
        raise ValueError(f"treated unit {treated_unit!r} is not in the outcomes")
    if outcomes.isna().any().any():
        raise ValueError("synthetic control needs every unit observed in every period")
    periods = list(outcomes.columns)
    pre = np.asarray([p < first_post_period for p in periods])
    if pre.sum() < 2 or (~pre).sum() < 1:
        raise ValueError(
            "synthetic control needs at least 2 pre-periods and 1 post-period,"
            f" got {pre.sum()} and {(~pre).sum()}"
        )
    units = list(outcomes.index)
    y = outcomes.to_numpy(dtype=float)
    t = units.index(treated_unit)
    donors = [i for i in range(len(units)) if i != t]
    if len(donors) < 2:
        raise ValueError(f"synthetic control needs at least 2 donors, got {len(donors)}")

    weights, gap, pre_rmspe, post_rmspe = _fit(y, t, donors, pre)
    effect = float(gap[~pre].mean())

    placebo_rows = [(treated_unit, True, effect, pre_rmspe, post_rmspe)]
    for d in donors:
        others = [i for i in donors if i != d]
        _, placebo_gap, p_pre, p_post = _fit(y, d, others, pre)
        placebo_rows.append((units[d], False, float(placebo_gap[~pre].mean()), p_pre, p_post))
    placebo = pd.DataFrame(
        placebo_rows, columns=["unit_id", "is_treated", "effect", "pre_rmspe", "post_rmspe"]
    )
    with np.errstate(divide="ignore"):
        placebo["rmspe_ratio"] = placebo["post_rmspe"] / placebo["pre_rmspe"]
    treated_ratio = placebo["rmspe_ratio"].iloc[0]
    p_value = float((placebo["rmspe_ratio"] >= treated_ratio).mean())

    # The treated unit's effect is one more draw beside the donors' placebo effects: the interval is
    # the prediction interval of a draw from B, Student's t with B - 1 df (few donors, wide interval).
    placebo_effects = placebo.loc[~placebo["is_treated"], "effect"].to_numpy()
    df = len(placebo_effects) - 1
    se = float(placebo_effects.std(ddof=1) * np.sqrt(1 + 1 / len(placebo_effects)))
    low, high = (float(x) for x in confidence_interval(effect, se, df))
    notes = [
        f"pre-period RMSPE {pre_rmspe:.4g}; placebo-in-space p-value {p_value:.3g}"
        f" ({len(donors)} donors); standard error from the spread of the donors' placebo effects"
        f" (a prediction interval from {len(donors)} placebo draws, t with {df} df)",
    ]
    synthetic = outcomes.iloc[t].to_numpy(dtype=float) - gap
    baseline = float(synthetic[~pre].mean())
    lift, lift_low, lift_high = lift_against(effect, low, high, baseline)
    overall = Estimate(
        estimator="synthetic_control_outcome_only",
        evidence_grade="synthetic_control",
        estimate=effect,
        std_error=se,
        df=float(df),
        ci_low=low,
        ci_high=high,
        n={
            "treatment_units": 1,
            "control_units": len(donors),
            "pre_periods": int(pre.sum()),
            "post_periods": int((~pre).sum()),
        },
        means={"treatment_post": float(y[t, ~pre].mean()), "synthetic_post": baseline},
        mean_std_errors={},
        relative_lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        notes=tuple(notes),
    )
    gaps = pd.DataFrame(
        {
            "period": periods,
            "treated": y[t],
            "synthetic": synthetic,
            "gap": gap,
            "post": ~pre,
        }
    )
    weight_frame = pd.DataFrame({"unit_id": [units[d] for d in donors], "weight": weights})
    return SyntheticControlResult(
        overall=overall,
        weights=weight_frame.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True),
        gaps=gaps,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        placebo=placebo,
        placebo_p_value=p_value,
    )


def outcomes_from_observations(observations: pd.DataFrame) -> tuple[pd.DataFrame, object, object, list[str]]:
    """(outcomes, treated unit, first post period, notes) from value-chain observations.

    The treated unit is the one unit of the treatment group; its first ``post`` row dates the action.
    Control units are the donors; ``observed_on`` is the period. Donors not observed in every period
    are left out and named; the treated unit must be observed in every period.
    """
    require_dated(observations, "synthetic control", ("unit_id", "group_name", "period", "metric_value"))
    if observations.duplicated(["unit_id", "observed_on"]).any():
        raise ValueError(
            "synthetic control needs one row per unit and observed_on; aggregate repeated rows first"
        )
    treated_units = observations.loc[observations["group_name"] == "treatment", "unit_id"].unique()
    if len(treated_units) != 1:
        raise ValueError(f"synthetic control needs exactly one treated unit, got {len(treated_units)}")
    treated = treated_units[0]
    post_dates = observations.loc[
        (observations["unit_id"] == treated) & (observations["period"] == "post"), "observed_on"
    ]
    if post_dates.empty:
        raise ValueError(f"the treated unit {treated} has no post row: the action date is unknown")
    wide = observations.pivot(index="unit_id", columns="observed_on", values="metric_value").sort_index(
        axis=1
    )
    if wide.loc[treated].isna().any():
        raise ValueError(f"the treated unit {treated} is not observed in every period")
    incomplete = [u for u in wide.index if u != treated and wide.loc[u].isna().any()]
    notes = (
        [f"donor(s) not observed in every period left out: {', '.join(map(str, incomplete))}"]
        if incomplete
        else []
    )
    order = [treated, *[u for u in wide.index if u != treated and u not in incomplete]]
    return wide.loc[order], treated, post_dates.min(), notes
