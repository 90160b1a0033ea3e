"""Directly supplied value-chain evidence: a randomised A/B test, a panel diff-in-diff, a staggered
rollout, a single site with donors (synthetic control) and one long monthly series."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from value_pipeline.generator import profiles as p
from value_pipeline.generator.finance import month_starts
from value_pipeline.generator.registry_view import ValueChain

TOLERANCE_STANDARD_ERRORS = 4.0


def _rows(vc: ValueChain, units, groups, period, values, observed_on, weights=None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "value_chain_id": vc.value_chain_id,
            "unit_id": units,
            "group": groups,
            "period": period,
            "metric": vc.metric,
            "value": values,
            "observed_on": observed_on,
            "weight": weights,
        }
    )


def randomised_ab(rng: np.random.Generator, vc: ValueChain) -> tuple[pd.DataFrame, dict]:
    """Post-only A/B test on agents: the treatment mean is AB_RELATIVE_EFFECT below the control mean."""
    n = p.AB_UNITS_PER_GROUP
    groups = np.where(rng.permutation(2 * n) < n, "treatment", "control")
    treated = groups == "treatment"
    means = np.where(treated, p.AB_CONTROL_MEAN * (1 + p.AB_RELATIVE_EFFECT), p.AB_CONTROL_MEAN)
    values = np.round(rng.normal(means, p.AB_UNIT_SD), 2)
    weights = rng.integers(40, 161, 2 * n).astype(float)
    units = [f"{vc.value_chain_id.lower()}-agent-{i + 1:03d}" for i in range(2 * n)]
    frame = _rows(vc, units, groups, "post", values, vc.action_start + timedelta(days=28), weights)
    difference = values[treated].mean() - values[~treated].mean()
    se = float(np.sqrt(values[treated].var(ddof=1) / n + values[~treated].var(ddof=1) / n))
    truth = {
        "design": "randomised post-only A/B test",
        "metric": vc.metric,
        "estimator": "difference in means (treatment - control), Welch standard error",
        "true_difference": p.AB_CONTROL_MEAN * p.AB_RELATIVE_EFFECT,
        "true_relative_lift": p.AB_RELATIVE_EFFECT,
        "true_control_mean": p.AB_CONTROL_MEAN,
        "sample_difference": float(difference),
        "sample_relative_lift": float(difference / values[~treated].mean()),
        "sample_standard_error": se,
        "tolerance": TOLERANCE_STANDARD_ERRORS * se,
        "units_per_group": n,
        "rows": len(frame),
    }
    return frame, truth


def panel_did(rng: np.random.Generator, vc: ValueChain) -> tuple[pd.DataFrame, dict]:
    """Units observed before and after the action in both groups; the treatment gains PANEL_EFFECT."""
    n = p.PANEL_UNITS_PER_GROUP
    groups = np.where(np.arange(2 * n) < n, "treatment", "control")
    treated = groups == "treatment"
    level = rng.normal(p.PANEL_LEVEL_MEAN, p.PANEL_LEVEL_SD, 2 * n)
    pre = np.round(level + rng.normal(0, p.PANEL_NOISE_SD, 2 * n), 1)
    post = np.round(
        level + p.PANEL_COMMON_TREND + p.PANEL_EFFECT * treated + rng.normal(0, p.PANEL_NOISE_SD, 2 * n), 1
    )
    units = [f"{vc.value_chain_id.lower()}-site-{i + 1:02d}" for i in range(2 * n)]
    frame = pd.concat(
        [
            _rows(vc, units, groups, "pre", pre, vc.action_start - timedelta(days=14)),
            _rows(vc, units, groups, "post", post, vc.action_start + timedelta(days=120)),
        ],
        ignore_index=True,
    )
    change = post - pre
    did = change[treated].mean() - change[~treated].mean()
    se = float(np.sqrt(change[treated].var(ddof=1) / n + change[~treated].var(ddof=1) / n))
    truth = {
        "design": "panel difference-in-differences",
        "metric": vc.metric,
        "estimator": "mean change of treatment units - mean change of control units (points)",
        "true_did": p.PANEL_EFFECT,
        "true_common_trend": p.PANEL_COMMON_TREND,
        "sample_did": float(did),
        "sample_standard_error": se,
        "tolerance": TOLERANCE_STANDARD_ERRORS * se,
        "units_per_group": n,
        "rows": len(frame),
    }
    return frame, truth


def staggered_rollout(
    rng: np.random.Generator, vc: ValueChain, start: date, end: date
) -> tuple[pd.DataFrame, dict]:
    """Sites adopting in monthly waves, and sites that never do; each cohort's effect grows with time."""
    months = month_starts(start, end)
    cohorts = [months[k] for k in p.STAGGERED_COHORT_OFFSETS if k < len(months)]
    sites = [
        (c, f"{vc.value_chain_id.lower()}-site-{i + 1:02d}")
        for i, c in enumerate(
            [c for c in cohorts for _ in range(p.STAGGERED_COHORT_SITES)] + [None] * p.STAGGERED_NEVER_SITES
        )
    ]
    shocks = rng.normal(0, p.STAGGERED_SHOCK_SD, len(months))
    frames, effects = [], {}
    for cohort, unit in sites:
        level = rng.normal(p.STAGGERED_LEVEL_MEAN, p.STAGGERED_LEVEL_SD)
        since = [months.index(m) - months.index(cohort) if cohort else -1 for m in months]
        effect = np.array([p.STAGGERED_IMPACT + p.STAGGERED_GROWTH * s if s >= 0 else 0.0 for s in since])
        values = np.round(level + shocks + effect + rng.normal(0, p.STAGGERED_NOISE_SD, len(months)), 3)
        group = "treatment" if cohort else "control"
        period = ["post" if s >= 0 else "pre" for s in since]
        frames.append(_rows(vc, unit, group, period, values, months))
        if cohort:
            for m, s, e in zip(months, since, effect, strict=True):
                if s >= 0:
                    effects[(cohort, m)] = float(e)
    frame = pd.concat(frames, ignore_index=True)
    # Simple aggregation: every post-adoption cohort-month weighted by its cohort's size (all equal here).
    true_effect = float(np.mean(list(effects.values())))
    cell_se = p.STAGGERED_NOISE_SD * np.sqrt(2 * (1 / p.STAGGERED_COHORT_SITES + 1 / p.STAGGERED_NEVER_SITES))
    truth = {
        "design": "staggered adoption across sites (Callaway & Sant'Anna, never-treated controls)",
        "metric": vc.metric,
        "cohorts": {str(c): p.STAGGERED_COHORT_SITES for c in cohorts},
        "never_treated_sites": p.STAGGERED_NEVER_SITES,
        "true_effect": true_effect,
        "true_effect_by_cohort": {
            str(c): float(np.mean([e for (g, _), e in effects.items() if g == c])) for c in cohorts
        },
        # The standard error of one group-time cell; an average of cells cannot be noisier.
        "tolerance": TOLERANCE_STANDARD_ERRORS * float(cell_se),
        "rows": len(frame),
    }
    return frame, truth


def synthetic_site(
    rng: np.random.Generator, vc: ValueChain, start: date, end: date
) -> tuple[pd.DataFrame, dict]:
    """One treated site whose counterfactual is a convex combination of three of the donor sites."""
    months = month_starts(start, end)
    post = np.array([m >= vc.action_start for m in months])
    factor = np.cumsum(rng.normal(0, 1, len(months)))
    levels = rng.uniform(4.0, 8.0, p.SYNTHETIC_DONORS)
    loadings = rng.uniform(0.2, 1.2, p.SYNTHETIC_DONORS)
    donors = (
        levels[:, None]
        + loadings[:, None] * factor
        + rng.normal(0, p.SYNTHETIC_NOISE_SD, (p.SYNTHETIC_DONORS, len(months)))
    )
    w = np.zeros(p.SYNTHETIC_DONORS)
    w[: len(p.SYNTHETIC_TREATED_WEIGHTS)] = p.SYNTHETIC_TREATED_WEIGHTS
    treated = (
        (w @ levels)
        + (w @ loadings) * factor
        + p.SYNTHETIC_EFFECT * post
        + rng.normal(0, p.SYNTHETIC_NOISE_SD, len(months))
    )
    prefix = vc.value_chain_id.lower()
    frames = [
        _rows(
            vc,
            f"{prefix}-pilot-site",
            "treatment",
            np.where(post, "post", "pre"),
            np.round(treated, 3),
            months,
        )
    ]
    for j in range(p.SYNTHETIC_DONORS):
        frames.append(
            _rows(vc, f"{prefix}-donor-{j + 1:02d}", "control", "pre", np.round(donors[j], 3), months)
        )
    frame = pd.concat(frames, ignore_index=True)
    truth = {
        "design": "synthetic control of one site from donor sites (outcome-only, convex weights)",
        "metric": vc.metric,
        "true_effect": p.SYNTHETIC_EFFECT,
        # One factor: any donor mix with the treated site's level and loading fits it, so the weights
        # are not unique; the fit is checked instead (pre-period RMSPE near the noise).
        "noise_sd": p.SYNTHETIC_NOISE_SD,
        "pre_periods": int((~post).sum()),
        "post_periods": int(post.sum()),
        # Noise of the treated site and of its synthetic control in one post month, both directions.
        "tolerance": TOLERANCE_STANDARD_ERRORS * p.SYNTHETIC_NOISE_SD * float(np.sqrt(1 + w @ w)),
        "rows": len(frame),
    }
    return frame, truth


def monthly_series(
    rng: np.random.Generator, vc: ValueChain, start: date, end: date
) -> tuple[pd.DataFrame, dict]:
    """One monthly series with a level and slope change at the action, AR(1) noise; its pre-period
    reaches SERIES_PRE_MONTHS back from the action, before ``start`` if need be (a long history)."""
    first = vc.action_start.replace(day=1)
    for _ in range(p.SERIES_PRE_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
    months = month_starts(min(start, first), end)
    t = np.arange(len(months), dtype=float)
    post = np.array([m >= vc.action_start for m in months])
    n_pre = int((~post).sum())
    since = np.where(post, t - n_pre, 0.0)
    noise = np.zeros(len(months))
    innovations = rng.normal(0, p.SERIES_NOISE_SD, len(months))
    for i in range(len(months)):
        noise[i] = innovations[i] + (p.SERIES_AR * noise[i - 1] if i else 0.0)
    values = (
        p.SERIES_LEVEL
        + p.SERIES_TREND * t
        + post * (p.SERIES_LEVEL_CHANGE + p.SERIES_SLOPE_CHANGE * since)
        + noise
    )
    frame = _rows(
        vc,
        f"{vc.value_chain_id.lower()}-series",
        "treatment",
        np.where(post, "post", "pre"),
        np.round(values, 3),
        months,
    )
    true_effect = p.SERIES_LEVEL_CHANGE + p.SERIES_SLOPE_CHANGE * float(since[post].mean())
    # Plain OLS standard error of the average post effect, inflated for the AR(1) noise.
    X = np.column_stack([np.ones_like(t), t, post.astype(float), since])
    contrast = np.array([0.0, 0.0, 1.0, since[post].mean()])
    ols_se = p.SERIES_NOISE_SD * float(np.sqrt(contrast @ np.linalg.inv(X.T @ X) @ contrast))
    inflation = float(np.sqrt((1 + p.SERIES_AR) / (1 - p.SERIES_AR)))
    truth = {
        "design": "interrupted time series (segmented regression, Newey-West errors)",
        "metric": vc.metric,
        "true_effect": true_effect,
        "true_level_change": p.SERIES_LEVEL_CHANGE,
        "true_slope_change": p.SERIES_SLOPE_CHANGE,
        "pre_periods": n_pre,
        "post_periods": int(post.sum()),
        "tolerance": TOLERANCE_STANDARD_ERRORS * ols_se * inflation,
        "rows": len(frame),
    }
    return frame, truth
