"""Directly supplied value-chain evidence: a randomised A/B test and a panel diff-in-diff."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from value_pipeline.generator import profiles as p
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
