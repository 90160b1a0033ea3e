"""Minimum detectable effect against statsmodels' power solver and the textbook multiplier."""

from __future__ import annotations

import pytest
from statsmodels.stats.power import NormalIndPower

from value_pipeline.stats.power import minimum_detectable_effect


def test_two_groups_equal_statsmodels():
    planned = minimum_detectable_effect(4.0, {"treatment_post": 120, "control_post": 80})
    d = NormalIndPower().solve_power(effect_size=None, nobs1=120, ratio=80 / 120, alpha=0.05, power=0.8)
    # statsmodels also counts the far tail's rejections (a 1e-6 relative difference here).
    assert planned.minimum_detectable_effect == pytest.approx(d * 4.0, rel=1e-5)
    # The familiar 2.8 standard errors at 80% power and 5% significance.
    assert planned.minimum_detectable_effect / planned.std_error == pytest.approx(2.8016, abs=1e-4)


def test_difference_in_differences_has_four_cells():
    cells = {"treatment_pre": 100, "treatment_post": 100, "control_pre": 300, "control_post": 300}
    planned = minimum_detectable_effect(2.0, cells)
    assert planned.std_error == pytest.approx(2.0 * (2 / 100 + 2 / 300) ** 0.5)


def test_needs_two_observations_per_cell():
    with pytest.raises(ValueError, match="at least 2 observations"):
        minimum_detectable_effect(1.0, {"treatment_pre": 1, "treatment_post": 5})
