"""Forecast of a cumulative value from its monthly increments (docs/lifecycle.md, "Forecast").

The model: cumulative value is a random walk with drift, i.e. the monthly increments are independent
draws around a constant mean ``mu`` with standard deviation ``sigma``. From ``n`` observed increments
with mean ``m`` and sample standard deviation ``s`` the value ``h`` months ahead is predicted as

    point    = current + h * m
    variance = h * s^2 + h^2 * s^2 / n      (future noise + uncertainty of the drift)

and the standardised error follows Student's t with ``n - 1`` degrees of freedom (exact for normal
increments). The interval, the probability of reaching a target and the value at risk follow from
that t distribution. Pure numpy/scipy: no framework imports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

# Fewer increments than this give no forecast: with two the t distribution has one degree of freedom
# and an interval too wide to mean anything.
MIN_INCREMENTS = 3
INTERVAL_LEVEL = 0.80
RISK_QUANTILE = 0.10
METHOD = "random_walk_with_drift_t"
# The drift is estimated from the last twelve months: a year covers seasonality and forgets the
# ramp-up after go-live sooner than the whole history would.
WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Forecast:
    """The predictive distribution of the cumulative value ``horizon`` months ahead."""

    method: str
    n_increments: int
    horizon_months: int
    current: float
    mean_increment: float | None
    sd_increment: float | None
    point: float | None
    std_error: float | None
    degrees_of_freedom: int | None
    low: float | None
    high: float | None
    risk_quantile_value: float | None
    probability_reaching_target: float | None
    value_at_risk: float | None
    note: str | None

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the predictive distribution (the point when it is degenerate)."""
        if self.point is None:
            raise ValueError(f"no forecast: {self.note}")
        if not self.std_error:
            return self.point
        return self.point + float(stats.t.ppf(q, self.degrees_of_freedom)) * self.std_error


def forecast_cumulative(
    increments: Sequence[float],
    current: float,
    horizon_months: int,
    target: float | None = None,
    level: float = INTERVAL_LEVEL,
    risk_quantile: float = RISK_QUANTILE,
) -> Forecast:
    """Forecast the cumulative value ``horizon_months`` after the last increment.

    ``current`` is the cumulative value now; ``target`` (optional) gives the probability of reaching it
    and the value at risk ``max(0, target - q_risk)``, ``q_risk`` the ``risk_quantile`` of the forecast.
    A horizon of 0 (the deadline has come) is no forecast but the value itself, with probability 1 or 0.
    """
    if horizon_months < 0:
        raise ValueError("horizon_months must be >= 0")
    values = np.asarray(increments, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("increments must be finite numbers")
    n = len(values)
    if n < MIN_INCREMENTS:
        moments = dict(mean_increment=None, sd_increment=None, degrees_of_freedom=None)
    else:
        moments = dict(
            mean_increment=float(values.mean()),
            sd_increment=float(values.std(ddof=1)),
            degrees_of_freedom=n - 1,
        )
    if horizon_months == 0:
        return _degenerate(
            n, 0, current, current, target, "the deadline is reached: the value is known", moments
        )
    if n < MIN_INCREMENTS:
        return Forecast(
            METHOD,
            n,
            horizon_months,
            current,
            point=None,
            std_error=None,
            low=None,
            high=None,
            risk_quantile_value=None,
            probability_reaching_target=None,
            value_at_risk=None,
            note=f"too few months of value: {n} monthly increment(s), at least {MIN_INCREMENTS} are needed",
            **moments,
        )
    mean, sd = moments["mean_increment"], moments["sd_increment"]
    point = current + horizon_months * mean
    if sd == 0.0:
        return _degenerate(
            n, horizon_months, current, point, target, "the increments do not vary: no interval", moments
        )
    se = sd * math.sqrt(horizon_months + horizon_months**2 / n)
    dist = stats.t(df=n - 1, loc=point, scale=se)
    alpha = (1.0 - level) / 2.0
    q_risk = float(dist.ppf(risk_quantile))
    return Forecast(
        METHOD,
        n,
        horizon_months,
        current,
        point=point,
        std_error=se,
        low=float(dist.ppf(alpha)),
        high=float(dist.ppf(1.0 - alpha)),
        risk_quantile_value=q_risk,
        probability_reaching_target=None if target is None else float(dist.sf(target)),
        value_at_risk=None if target is None else max(0.0, target - q_risk),
        note=None,
        **moments,
    )


def _degenerate(n, horizon, current, point, target, note, moments) -> Forecast:
    """A forecast without spread: the deadline has come, or the increments never vary."""
    reached = None if target is None else float(point >= target)
    return Forecast(
        METHOD,
        n,
        horizon,
        current,
        point=point,
        low=point,
        high=point,
        risk_quantile_value=point,
        probability_reaching_target=reached,
        value_at_risk=None if target is None else max(0.0, target - point),
        note=note,
        std_error=0.0,
        **moments,
    )


def scaled_projection(forecast: Forecast, scale: float, horizon_months: int, level: float = INTERVAL_LEVEL):
    """Value of ``horizon_months`` of increments in a scope ``scale`` times the current one.

    The sum of ``H`` future increments has the same predictive distribution as the forecast's change
    (mean ``H * m``, variance ``H s^2 + H^2 s^2 / n``, t with ``n - 1`` df), multiplied by ``scale``.
    Returns ``(point, low, high)`` or ``None`` when the forecast has no increments to scale.
    """
    if forecast.mean_increment is None or horizon_months <= 0:
        return None
    point = scale * horizon_months * forecast.mean_increment
    sd = forecast.sd_increment or 0.0
    if sd == 0.0:
        return point, point, point
    se = scale * sd * math.sqrt(horizon_months + horizon_months**2 / forecast.n_increments)
    t = float(stats.t.ppf(1.0 - (1.0 - level) / 2.0, forecast.n_increments - 1))
    return point, point - t * se, point + t * se


def increments_window(monthly_values: Sequence[float], window: int = WINDOW_MONTHS) -> list[float]:
    """The increments a forecast uses: months before the first non-zero one (value not started) are
    dropped, then the last ``window`` months are kept."""
    values = [float(v) for v in monthly_values]
    started = next((i for i, v in enumerate(values) if v != 0.0), len(values))
    return values[started:][-window:]
