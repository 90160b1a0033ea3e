"""Statistics for value chains: effect estimators with intervals, and their money impact."""

from value_pipeline.stats.estimators import (
    Estimate,
    before_after,
    estimate_value_chain,
    ols_did,
    ols_robust,
    panel_did,
    welch_difference,
)
from value_pipeline.stats.money import MoneyImpact, to_money

__all__ = [
    "Estimate",
    "MoneyImpact",
    "before_after",
    "estimate_value_chain",
    "ols_did",
    "ols_robust",
    "panel_did",
    "to_money",
    "welch_difference",
]
