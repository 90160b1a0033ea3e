"""Staggered adoption: Callaway & Sant'Anna (2021) group-time effects, without covariates.

Units adopt the action at different periods (cohorts); some never do within the data. For each cohort
g and period t, ATT(g,t) compares the cohort's change in the outcome from a base period with the same
change among the comparison units: the never-treated (default) or the not-yet-treated. Post-treatment
cells use the base period g-1; pre-treatment cells use t-1 ("varying", R did's default) or g-1
("universal"). Standard errors come from the influence functions, clustered by unit (each unit is one
cluster: the panel is balanced and each unit has one row per period).

The aggregations follow R did's ``aggte``: the overall effect is the simple aggregation (every
post-treatment ATT(g,t) weighted by its cohort's size), also by cohort and by event time, with the
estimation of the cohort shares in the influence function. The pre-trend test is R did's Wald test of
all pre-treatment ATT(g,t) being zero. Its chi-square p-value is asymptotic and rejects far too often
when the q pre-treatment cells are many for the units behind them (in simulations without any
pre-trend: 90% at the 5% level with 45 units and 24 cells); the published p-value therefore uses
Hotelling's finite-sample form, F = (n - q) / (q (n - 1)) W on (q, n - q) degrees of freedom, and the
asymptotic one (R did's) is kept beside it. The two-way fixed-effects estimate is computed beside it: with
effects that differ by cohort or grow over time, it is a weighted average with possibly negative
weights, so its difference from the simple aggregation is reported, not used.

Reference: Callaway, B. and Sant'Anna, P. H. C. (2021), Difference-in-differences with multiple time
periods, Journal of Econometrics 225(2), 200-230; R package did (``att_gt``, ``aggte``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from value_pipeline.stats.estimators import (
    Estimate,
    confidence_interval,
    lift_against,
    ols_robust,
    require_dated,
)

CONTROL_GROUPS = ("never_treated", "not_yet_treated")
BASE_PERIODS = ("varying", "universal")


@dataclass(frozen=True)
class StaggeredResult:
    """Group-time effects, their aggregations, the pre-trend test and the naive TWFE estimate.

    ``group_time``: cohort, period, event_time, base_period, att, std_error, ci_low, ci_high,
    n_treated, n_control, post. ``by_cohort`` and ``by_event_time``: the aggregations with their
    standard errors and intervals. ``overall``: the simple aggregation as an ``Estimate``.
    """

    overall: Estimate
    group_time: pd.DataFrame
    by_cohort: pd.DataFrame
    by_event_time: pd.DataFrame
    cohort_average: float
    cohort_average_std_error: float
    event_time_average: float
    event_time_average_std_error: float
    pretrend_statistic: float | None
    pretrend_df: int
    pretrend_p_value: float | None
    pretrend_p_value_asymptotic: float | None
    twfe_estimate: float
    twfe_std_error: float
    n_units: int
    n_never_treated: int
    cohort_sizes: dict


def balanced_panel(panel: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Wide outcomes (units x periods) of the units observed in every period, and how many were dropped.

    ``panel`` has unit_id, period, metric_value and cohort (the unit's first treated period, missing
    for units never treated in the data). Each unit has one row per period and one cohort.
    """
    missing = [c for c in ("unit_id", "period", "metric_value", "cohort") if c not in panel]
    if missing:
        raise ValueError(f"the panel lacks column(s) {missing}")
    if panel["metric_value"].isna().any():
        raise ValueError("metric_value is missing on some rows")
    if panel.duplicated(["unit_id", "period"]).any():
        raise ValueError(
            "staggered adoption needs one row per unit and period; aggregate repeated rows first"
        )
    cohorts = panel.groupby("unit_id")["cohort"].nunique(dropna=False)
    if (cohorts > 1).any():
        raise ValueError(f"unit(s) with more than one cohort: {sorted(cohorts[cohorts > 1].index)[:5]}")
    wide = panel.pivot(index="unit_id", columns="period", values="metric_value").sort_index(axis=1)
    complete = wide.dropna()
    return complete, len(wide) - len(complete)


def _cohort_index(cohorts: pd.Series, periods: list) -> np.ndarray:
    """Each unit's cohort as a position in ``periods`` (-1: never treated in the data)."""
    position = {p: i for i, p in enumerate(periods)}
    out = np.full(len(cohorts), -1, dtype=int)
    for i, g in enumerate(cohorts.to_numpy()):
        if pd.isna(g):
            continue
        if g not in position:
            raise ValueError(f"cohort {g} is not one of the observed periods")
        out[i] = position[g]
    return out


def _did_cell(
    delta: np.ndarray, treated: np.ndarray, control: np.ndarray
) -> tuple[float, np.ndarray, int, int]:
    """ATT of one cell and its influence function over all units (zero outside the cell's sample).

    Without covariates the doubly robust and regression estimators of R did reduce to the difference
    of mean changes; the influence function is rescaled by n / n_cell as in ``did::compute.att_gt``.
    """
    n = delta.size
    in_cell = treated | control
    n_cell, n_t, n_c = int(in_cell.sum()), int(treated.sum()), int(control.sum())
    mean_t, mean_c = delta[treated].mean(), delta[control].mean()
    p = n_t / n_cell
    influence = np.zeros(n)
    influence[treated] = (delta[treated] - mean_t) / p
    influence[control] = -(delta[control] - mean_c) / (1 - p)
    return float(mean_t - mean_c), influence * n / n_cell, n_t, n_c


def _weight_influence(
    keepers: np.ndarray, cell_cohort: np.ndarray, unit_cohort: np.ndarray, shares: np.ndarray
):
    """Influence of estimating the cohort shares used as aggregation weights (R did's ``wif``)."""
    pg = shares[keepers]
    indicators = np.column_stack([(unit_cohort == cell_cohort[k]).astype(float) for k in keepers]) - pg
    numerator = indicators / pg.sum()
    denominator = np.outer(indicators.sum(axis=1), pg / pg.sum() ** 2)
    return numerator - denominator


def _aggregate(att, influence, keepers, weights, wif=None) -> tuple[float, np.ndarray]:
    value = float(att[keepers] @ weights)
    combined = influence[:, keepers] @ weights
    if wif is not None:
        combined = combined + wif @ att[keepers]
    return value, combined


def _se(influence: np.ndarray) -> float:
    """Standard error from an influence function; none for a quantity fixed by construction (as R did)."""
    se = float(np.sqrt(np.mean(influence**2) / influence.shape[0]))
    return float("nan") if se <= np.sqrt(np.finfo(float).eps) * 10 else se


def twfe(wide: pd.DataFrame, cohort_pos: np.ndarray) -> tuple[float, float]:
    """Two-way fixed effects: y_it = unit + period + beta * treated_it, errors clustered by unit (CR1)."""
    n_units, n_periods = wide.shape
    y = wide.to_numpy().ravel()
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    treated = ((cohort_pos[unit] >= 0) & (period >= cohort_pos[unit])).astype(float)
    X = np.column_stack([treated, np.eye(n_units)[unit], np.eye(n_periods)[period][:, 1:]])
    beta, cov, _ = ols_robust(X, y, clusters=unit)
    return float(beta[0]), float(np.sqrt(cov[0, 0]))


def callaway_santanna(
    panel: pd.DataFrame, *, control_group: str = "never_treated", base_period: str = "varying"
) -> StaggeredResult:
    """ATT(g,t), the simple, cohort and event-time aggregations, the pre-trend test and TWFE.

    ``panel``: unit_id, period (any sortable value: dates, years), metric_value, cohort (the unit's
    first treated period; missing when never treated in the data). Units not observed in every
    period are left out (named in the notes); cohorts treated in the first period have no pre-period
    and are left out too.
    """
    if control_group not in CONTROL_GROUPS:
        raise ValueError(f"control_group must be one of {CONTROL_GROUPS}, got {control_group!r}")
    if base_period not in BASE_PERIODS:
        raise ValueError(f"base_period must be one of {BASE_PERIODS}, got {base_period!r}")
    wide, dropped = balanced_panel(panel)
    periods = list(wide.columns)
    if len(periods) < 2:
        raise ValueError("staggered adoption needs at least two periods")
    cohort_of_unit = panel.drop_duplicates("unit_id").set_index("unit_id")["cohort"].reindex(wide.index)
    cohort_pos = _cohort_index(cohort_of_unit, periods)
    notes = []
    if dropped:
        notes.append(f"{dropped} unit(s) not observed in every period were left out")
    always = cohort_pos == 0
    if always.any():
        notes.append(f"{int(always.sum())} unit(s) treated in the first period (no pre-period) were left out")
        wide, cohort_pos = wide[~always], cohort_pos[~always]
    y = wide.to_numpy()
    n = y.shape[0]
    never = cohort_pos < 0
    if control_group == "never_treated" and never.sum() < 2:
        raise ValueError(f"{int(never.sum())} never-treated unit(s); at least 2 are needed as controls")
    cohorts = sorted(set(cohort_pos[cohort_pos > 0].tolist()))
    if not cohorts:
        raise ValueError("no unit adopts within the observed periods")

    rows, influences = [], []
    for g in cohorts:
        for t in range(len(periods)):
            post = t >= g
            base = g - 1 if post or base_period == "universal" else t - 1
            if base < 0:
                continue
            if base == t:
                # The universal base period's reference cell: zero by construction, as R did lists it.
                rows.append((g, t, base, 0.0, int((cohort_pos == g).sum()), 0, False))
                influences.append(np.zeros(n))
                continue
            latest = max(t, base)
            if control_group == "never_treated":
                control = never
            else:
                control = never | ((cohort_pos > latest) & (cohort_pos != g))
            treated = cohort_pos == g
            if control.sum() < 2 or treated.sum() < 1:
                notes.append(f"ATT({periods[g]}, {periods[t]}) skipped: fewer than 2 comparison units")
                continue
            att, inf, n_t, n_c = _did_cell(y[:, t] - y[:, base], treated, control)
            rows.append((g, t, base, att, n_t, n_c, post))
            influences.append(inf)
    cells = pd.DataFrame(rows, columns=["g", "t", "base", "att", "n_treated", "n_control", "post"])
    influence = np.column_stack(influences)
    att = cells["att"].to_numpy()
    cell_se = np.sqrt(np.mean(influence**2, axis=0) / n)
    # Reference cells are not estimated: no standard error, as in R did.
    cell_se[(cells["t"] == cells["base"]).to_numpy()] = np.nan
    cell_cohort = cells["g"].to_numpy()
    event = (cells["t"] - cells["g"]).to_numpy()

    # Cohort shares over all units (never-treated included), as R did's pg.
    shares_by_cohort = {g: float(np.mean(cohort_pos == g)) for g in cohorts}
    shares = np.array([shares_by_cohort[g] for g in cell_cohort])

    post_cells = np.flatnonzero(cells["post"].to_numpy())
    weights = shares[post_cells] / shares[post_cells].sum()
    wif = _weight_influence(post_cells, cell_cohort, cohort_pos, shares)
    simple, simple_inf = _aggregate(att, influence, post_cells, weights, wif)
    simple_se = _se(simple_inf)

    by_cohort_rows, cohort_att, cohort_inf = [], [], []
    for g in cohorts:
        keep = np.flatnonzero((cell_cohort == g) & cells["post"].to_numpy())
        value, inf = _aggregate(att, influence, keep, np.full(keep.size, 1 / keep.size))
        cohort_att.append(value)
        cohort_inf.append(inf)
        by_cohort_rows.append((periods[g], value, _se(inf), int((cohort_pos == g).sum())))
    cohort_att, cohort_inf = np.array(cohort_att), np.column_stack(cohort_inf)
    cohort_shares = np.array([shares_by_cohort[g] for g in cohorts])
    cohort_wif = _weight_influence(np.arange(len(cohorts)), np.array(cohorts), cohort_pos, cohort_shares)
    cohort_average, cohort_average_inf = _aggregate(
        cohort_att, cohort_inf, np.arange(len(cohorts)), cohort_shares / cohort_shares.sum(), cohort_wif
    )

    event_rows, event_att, event_inf = [], [], []
    for e in sorted(set(event.tolist())):
        keep = np.flatnonzero(event == e)
        w = shares[keep] / shares[keep].sum()
        value, inf = _aggregate(
            att, influence, keep, w, _weight_influence(keep, cell_cohort, cohort_pos, shares)
        )
        event_rows.append((e, value, _se(inf)))
        if e >= 0:
            event_att.append(value)
            event_inf.append(inf)
    event_average = float(np.mean(event_att))
    event_average_inf = np.column_stack(event_inf).mean(axis=1)

    pre_cells = np.flatnonzero(~cells["post"].to_numpy() & (cells["t"] != cells["base"]).to_numpy())
    statistic = p_value = p_asymptotic = None
    q = int(pre_cells.size)
    if q:
        pre_att = att[pre_cells]
        vcov = influence[:, pre_cells].T @ influence[:, pre_cells] / n
        try:
            statistic = float(n * pre_att @ np.linalg.solve(vcov, pre_att))
            p_asymptotic = float(stats.chi2.sf(statistic, q))
        except np.linalg.LinAlgError:
            notes.append("pre-trend test not computed: the pre-treatment effects' covariance is singular")
        if statistic is not None and n > q:
            p_value = float(stats.f.sf((n - q) / (q * (n - 1)) * statistic, q, n - q))
            notes.append(
                f"pre-trend test: Wald {statistic:.4g} on {q} pre-treatment cells, p = {p_value:.3g}"
                f" (Hotelling's F with {n} units; asymptotic chi-square p = {p_asymptotic:.3g})"
            )
        elif statistic is not None:
            notes.append(f"pre-trend test not computed: {q} pre-treatment cells and only {n} units")
    else:
        notes.append("pre-trend test not computed: no pre-treatment period before any cohort's base period")

    twfe_estimate, twfe_se = twfe(wide, cohort_pos)
    notes.append(
        f"two-way fixed effects gives {twfe_estimate:.4g} (SE {twfe_se:.3g}),"
        f" {twfe_estimate - simple:+.4g} from"
        " the group-time estimate; it can mix cohorts with negative weights and is shown for comparison only"
    )

    group_time = pd.DataFrame(
        {
            "cohort": [periods[g] for g in cells["g"]],
            "period": [periods[t] for t in cells["t"]],
            "event_time": event,
            "base_period": [periods[b] for b in cells["base"]],
            "att": att,
            "std_error": cell_se,
            "n_treated": cells["n_treated"],
            "n_control": cells["n_control"],
            "post": cells["post"],
        }
    )
    group_time["ci_low"], group_time["ci_high"] = confidence_interval(
        group_time["att"], group_time["std_error"]
    )
    by_cohort = pd.DataFrame(by_cohort_rows, columns=["cohort", "estimate", "std_error", "units"])
    by_event_time = pd.DataFrame(event_rows, columns=["event_time", "estimate", "std_error"])
    for frame in (by_cohort, by_event_time):
        frame["ci_low"], frame["ci_high"] = confidence_interval(frame["estimate"], frame["std_error"])

    low, high = (float(x) for x in confidence_interval(simple, simple_se))
    # The adopters' observed mean over the post cells with the simple aggregation's weights; minus
    # the effect, their counterfactual mean: the base of the relative change.
    observed = float(
        sum(
            w * y[cohort_pos == cell_cohort[k], cells["t"].iloc[k]].mean()
            for k, w in zip(post_cells, weights, strict=True)
        )
    )
    lift, lift_low, lift_high = lift_against(simple, low, high, observed - simple)
    treated_units = int((cohort_pos >= 0).sum())
    control_label = "never_treated" if control_group == "never_treated" else "not_yet_treated"
    overall = Estimate(
        estimator=f"callaway_santanna_simple_{control_label}",
        evidence_grade="staggered_adoption",
        estimate=simple,
        std_error=simple_se,
        df=None,
        ci_low=low,
        ci_high=high,
        n={"treatment_units": treated_units, "control_units": int(never.sum())},
        means={"treatment_post": observed, "counterfactual_post": observed - simple},
        mean_std_errors={},
        relative_lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        notes=tuple(notes),
    )
    return StaggeredResult(
        overall=overall,
        group_time=group_time,
        by_cohort=by_cohort,
        by_event_time=by_event_time,
        cohort_average=cohort_average,
        cohort_average_std_error=_se(cohort_average_inf),
        event_time_average=event_average,
        event_time_average_std_error=_se(event_average_inf),
        pretrend_statistic=statistic,
        pretrend_df=int(pre_cells.size),
        pretrend_p_value=p_value,
        pretrend_p_value_asymptotic=p_asymptotic,
        twfe_estimate=twfe_estimate,
        twfe_std_error=twfe_se,
        n_units=n,
        n_never_treated=int(never.sum()),
        cohort_sizes={periods[g]: int((cohort_pos == g).sum()) for g in cohorts},
    )


def panel_from_observations(observations: pd.DataFrame) -> pd.DataFrame:
    """The estimator's panel from value-chain observations.

    Columns used: unit_id, group_name, period, observed_on, metric_value.

    Each row's ``period`` says whether its unit was treated at ``observed_on``: a treatment unit's
    cohort is its first ``post`` date and it stays treated afterwards; control units are never treated
    (their period labels are not used). A treatment unit without a post row adopts after the data end
    and counts as never treated within them.
    """
    require_dated(observations, "staggered adoption", ("unit_id", "group_name", "period", "metric_value"))
    groups = observations.groupby("unit_id")["group_name"].nunique()
    if (groups > 1).any():
        raise ValueError(f"unit(s) in both groups: {sorted(groups[groups > 1].index)[:5]}")
    treated_rows = observations[
        (observations["group_name"] == "treatment") & (observations["period"] == "post")
    ]
    if treated_rows.empty:
        raise ValueError("staggered adoption needs post rows: no treatment unit has adopted within the data")
    cohort = treated_rows.groupby("unit_id")["observed_on"].min()
    late_pre = observations[
        (observations["group_name"] == "treatment")
        & (observations["period"] == "pre")
        & (observations["observed_on"] > observations["unit_id"].map(cohort))
    ]
    if not late_pre.empty:
        first = late_pre.iloc[0]
        raise ValueError(
            f"unit {first['unit_id']} has a pre row on {first['observed_on']} after its first post row:"
            " staggered adoption assumes a unit stays treated once it adopts"
        )
    return pd.DataFrame(
        {
            "unit_id": observations["unit_id"].to_numpy(),
            "period": observations["observed_on"].to_numpy(),
            "metric_value": observations["metric_value"].to_numpy(dtype=float),
            "cohort": observations["unit_id"].map(cohort).to_numpy(),
        }
    )
