"""The generative model's knobs: the effects the demo data carry and the ground truth reports.

Cycle time of a case = M x X hours, where M = base median x priority factor x period multipliers is
deterministic and X is a random variable shared by every case of a use case: X = L1, or, for the
reopened share, L1 + G + L2 (L1, L2 ~ lognormal(0, sigma), G ~ lognormal(ln 2, 0.5)). Because
every term scales with M, a multiplier on M scales the whole cycle-time distribution: medians and
means move by exactly that factor, so the ground truth is exact, not simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

SIZE_PRESETS = {"small": 50_000, "medium": 1_000_000, "large": 10_000_000}

PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_SHARES = (0.05, 0.20, 0.45, 0.30)
# Urgent work is turned round faster; the factor multiplies the use case's base median.
PRIORITY_FACTORS = (0.3, 0.6, 1.0, 1.3)

REOPEN_SHARE = 0.02
REOPEN_GAP_MU = math.log(2.0)
REOPEN_GAP_SIGMA = 0.5

# Share of each weekday's case volume (Monday first): weekends are much quieter.
WEEKDAY_VOLUME = (1.0, 1.0, 1.0, 1.0, 0.9, 0.15, 0.1)

# Extra multipliers of a warehouse diff-in-diff value chain (VC02): every team of the use case
# follows the common trend from the post window on; the treatment teams get the action's effect.
DID_COMMON_TREND = 0.95
DID_TREATMENT_EFFECT = 0.8

# Observation-based value chains.
AB_UNITS_PER_GROUP = 100
AB_CONTROL_MEAN = 8.0
AB_RELATIVE_EFFECT = -0.12
AB_UNIT_SD = 1.0
PANEL_UNITS_PER_GROUP = 40
PANEL_LEVEL_MEAN = 10.0
PANEL_LEVEL_SD = 15.0
PANEL_NOISE_SD = 3.0
PANEL_COMMON_TREND = 4.0
PANEL_EFFECT = 9.0

# Staggered rollout (VC05): sites adopt in waves on the first of a month; a cohort's effect is
# STAGGERED_IMPACT in its first month and grows by STAGGERED_GROWTH per month since adoption.
# Differencing removes each site's level and the months' common shocks, so the only noise left is
# STAGGERED_NOISE_SD per site-month.
STAGGERED_COHORT_SITES = 20
STAGGERED_NEVER_SITES = 30
STAGGERED_COHORT_OFFSETS = (3, 6, 9)  # months after the first observed month
STAGGERED_IMPACT = -0.6
STAGGERED_GROWTH = -0.05
STAGGERED_LEVEL_MEAN = 9.0
STAGGERED_LEVEL_SD = 1.0
STAGGERED_SHOCK_SD = 0.4
STAGGERED_NOISE_SD = 0.3

# Synthetic control (VC06): donor sites follow a factor model y = a + b * f_t + noise; the treated
# site's level and loading are a convex combination of three donors', so a synthetic control exists.
SYNTHETIC_DONORS = 12
SYNTHETIC_TREATED_WEIGHTS = (0.5, 0.3, 0.2)
SYNTHETIC_EFFECT = -0.8
SYNTHETIC_NOISE_SD = 0.1

# Interrupted time series (VC07): one monthly series with a level and a slope change at the action
# and AR(1) noise.
SERIES_PRE_MONTHS = 36
SERIES_LEVEL = 30.0
SERIES_TREND = 0.05
SERIES_LEVEL_CHANGE = -3.0
SERIES_SLOPE_CHANGE = -0.2
SERIES_NOISE_SD = 0.5
SERIES_AR = 0.3

# AI-tool adoption: eventual adopters and the mean delay (days) after rollout, chosen so that
# 0.92 x (1 - exp(-184 / 71.4)) = 0.85 of eligible users have adopted six months after rollout.
ADOPTER_SHARE = 0.92
ADOPTION_DELAY_DAYS = 71.4
USAGE_PROBABILITY_WEEKDAY = 0.35
USAGE_PROBABILITY_WEEKEND = 0.03

# Survey: answer distributions of the AI-confidence question (scores 1..5) in the first and the
# second wave. Mean normalised score 0.50 -> 0.56: a relative lift of exactly +12%.
CONFIDENCE_SCORES_WAVE1 = (0.10, 0.20, 0.40, 0.20, 0.10)
CONFIDENCE_SCORES_WAVE2 = (0.06, 0.17, 0.38, 0.25, 0.14)
ENPS_SCORES = (0.02, 0.02, 0.03, 0.04, 0.05, 0.10, 0.12, 0.18, 0.20, 0.14, 0.10)
SURVEY_RESPONSE_RATE = 0.75
SMALL_SURVEY_TEAM = "it_ops"
SMALL_SURVEY_RESPONDENTS = 4


@dataclass(frozen=True)
class CaseProfile:
    """How a use case's cases behave before and after its go-live."""

    volume_weight: float
    base_median_hours: float
    sigma: float
    median_multiplier: float = 1.0
    touchless_pre: float = 0.0
    touchless_post: float = 0.0
    assist_post: float = 0.3
    cases_until: date | None = None
    # A bottleneck after go-live: the worked events move this share of the way to the first
    # resolution, so the wait assigned -> worked rises while opened and resolved times (cycle time,
    # SLA) stay as they were.
    work_delay_share: float = 0.0


PROFILES: dict[str, CaseProfile] = {
    "UC01": CaseProfile(0.12, 30.0, 0.8, 0.75, 0.10, 0.60),
    "UC02": CaseProfile(0.16, 20.0, 0.7, 0.65, 0.05, 0.15, assist_post=0.6),
    "UC03": CaseProfile(0.12, 10.0, 0.9, 0.25, 0.05, 0.80),
    "UC04": CaseProfile(0.08, 40.0, 0.8, 1.20, 0.05, 0.10),
    "UC05": CaseProfile(0.06, 60.0, 0.7, 0.85, 0.00, 0.20, work_delay_share=0.6),
    "UC06": CaseProfile(0.08, 16.0, 0.8, 0.85, 0.00, 0.00, assist_post=0.9),
    "UC07": CaseProfile(0.20, 12.0, 0.7, 0.80, 0.10, 0.40),
    "UC08": CaseProfile(0.07, 48.0, 0.8, 0.85, 0.05, 0.30),
    "UC09": CaseProfile(0.05, 24.0, 0.8, touchless_pre=0.02, touchless_post=0.02),
    "UC10": CaseProfile(0.06, 36.0, 0.6, cases_until=date(2025, 6, 30)),
}
DEFAULT_PROFILE = CaseProfile(0.08, 24.0, 0.8, 0.9, 0.05, 0.2)

# Mean events per case, measured on the demo model; only used to turn an event target into a
# case volume (the exact event count is reported in the ground truth).
EVENTS_PER_CASE = 5.47


def profile_for(use_case_id: str) -> CaseProfile:
    return PROFILES.get(use_case_id, DEFAULT_PROFILE)


def mean_priority_factor() -> float:
    return sum(s * f for s, f in zip(PRIORITY_SHARES, PRIORITY_FACTORS, strict=True))


def mean_x(sigma: float) -> float:
    """E[X] of a use case with lognormal sigma ``sigma``, reopen extra time included."""
    lognormal_mean = math.exp(sigma**2 / 2)
    gap_mean = math.exp(REOPEN_GAP_MU + REOPEN_GAP_SIGMA**2 / 2)
    return lognormal_mean * (1 + REOPEN_SHARE) + REOPEN_SHARE * gap_mean


def expected_mean_cycle_hours(profile: CaseProfile, multiplier: float) -> float:
    """Exact expected mean cycle hours of resolved cases with period multiplier ``multiplier``."""
    return profile.base_median_hours * multiplier * mean_priority_factor() * mean_x(profile.sigma)


def log_cycle_sd(sigma: float) -> float:
    """Standard deviation of ln(cycle hours) across priorities, ignoring the small reopen share."""
    logs = [math.log(f) for f in PRIORITY_FACTORS]
    mean_log = sum(s * v for s, v in zip(PRIORITY_SHARES, logs, strict=True))
    var_log = sum(s * (v - mean_log) ** 2 for s, v in zip(PRIORITY_SHARES, logs, strict=True))
    return math.sqrt(sigma**2 + var_log)
