"""Business impact of an estimated KPI change: improvement x exposure x unit value - action cost."""

from __future__ import annotations

from dataclasses import dataclass

from value_pipeline.stats.estimators import Estimate

DIRECTIONS = ("higher_is_better", "lower_is_better")


@dataclass(frozen=True)
class MoneyImpact:
    """Net impact in money with the 95% interval of the estimate carried through."""

    point: float
    low: float
    high: float
    evidence_grade: str
    causal: bool


def to_money(
    estimate: Estimate, *, exposure: float, unit_value: float, action_cost: float, direction: str
) -> MoneyImpact:
    """Impact = improvement x exposure x unit_value - action_cost.

    Improvement is the estimate for higher_is_better metrics and its negative for lower_is_better
    ones, so the interval bounds swap for the latter. The evidence grade travels with the money so a
    non-causal figure cannot be reported as attributable value.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if exposure < 0 or unit_value < 0:
        # A negative scale would silently swap the interval bounds and flip the sign of value.
        raise ValueError(f"exposure and unit_value must be >= 0, got {exposure} and {unit_value}")
    sign = 1.0 if direction == "higher_is_better" else -1.0
    low_gain, high_gain = sorted((sign * estimate.ci_low, sign * estimate.ci_high))
    scale = exposure * unit_value
    return MoneyImpact(
        point=sign * estimate.estimate * scale - action_cost,
        low=low_gain * scale - action_cost,
        high=high_gain * scale - action_cost,
        evidence_grade=estimate.evidence_grade,
        causal=estimate.causal,
    )
