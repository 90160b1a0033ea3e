"""Planning: the minimum detectable effect of a comparison that has not been measured yet.

For a planned value chain the warehouse already holds the pre-period: the metric's spread and how many
observations a window brings. The minimum detectable effect (MDE) is the smallest true change that the
planned comparison would find significant at ``alpha`` (two-sided) with probability ``power``:
MDE = (z_{1-alpha/2} + z_{power}) x SE, with SE the standard error the design will have (normal
approximation, as statsmodels' ``NormalIndPower``):

* two groups compared once (randomised): sigma x sqrt(1/n_t + 1/n_c);
* difference in differences over four cells: sigma x sqrt(sum of 1/n over the cells);
* before/after of one group: sigma x sqrt(1/n_pre + 1/n_post).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

DESIGN_CELLS = {
    "randomised": ("treatment_post", "control_post"),
    "diff_in_diff": ("treatment_pre", "treatment_post", "control_pre", "control_post"),
    "before_after": ("treatment_pre", "treatment_post"),
}


@dataclass(frozen=True)
class PlannedPower:
    """The MDE of a planned comparison and what it rests on."""

    minimum_detectable_effect: float
    std_error: float
    std_dev: float
    cells: dict[str, int]
    alpha: float
    power: float


def minimum_detectable_effect(
    std_dev: float, cells: dict[str, int], *, alpha: float = 0.05, power: float = 0.8
) -> PlannedPower:
    """MDE for a comparison of independent cells with common ``std_dev`` and the given sizes."""
    if std_dev < 0 or not math.isfinite(std_dev):
        raise ValueError(f"std_dev must be a finite number >= 0, got {std_dev}")
    small = {cell: n for cell, n in cells.items() if n < 2}
    if small:
        raise ValueError(f"every planned cell needs at least 2 observations: {small}")
    se = std_dev * math.sqrt(sum(1.0 / n for n in cells.values()))
    multiplier = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return PlannedPower(multiplier * se, se, std_dev, dict(cells), alpha, power)
