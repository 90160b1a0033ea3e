"""Effect estimators for value chains: the KPI change credited to an action, with its uncertainty.

Every estimator returns one `Estimate`. Cells are named `<group>_<period>` (`treatment_pre`,
`treatment_post`, `control_pre`, `control_post`); DiD estimators also report each group's change
(`treatment_change`, `control_change`). Intervals are 95%: t-based where degrees of freedom are
defined, normal otherwise. Relative lifts use the delta method with a normal interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from value_pipeline.registry_schema import DESIGN_TYPES

# Strongest first; every registry design type is named after the grade it gives.
EVIDENCE_GRADES = DESIGN_TYPES
CAUSAL_GRADES = frozenset({"randomised", "diff_in_diff", "staggered_adoption", "synthetic_control"})
DESIGNS = ("randomised", "diff_in_diff", "before_after")
GROUPS = ("treatment", "control")
PERIODS = ("pre", "post")
CONFIDENCE = 0.95

# Contract column names are accepted as well as the raw-table names they load into.
_COLUMN_ALIASES = {"group": "group_name", "value": "metric_value"}


@dataclass(frozen=True)
class Estimate:
    """One effect estimate (treatment minus control, or post minus pre) with its 95% interval."""

    estimator: str
    evidence_grade: str
    estimate: float
    std_error: float
    df: float | None
    ci_low: float
    ci_high: float
    n: dict[str, int]
    means: dict[str, float]
    mean_std_errors: dict[str, float]
    relative_lift: float | None
    lift_ci_low: float | None
    lift_ci_high: float | None
    notes: tuple[str, ...] = ()
    causal: bool = field(init=False)

    def __post_init__(self) -> None:
        if self.evidence_grade not in EVIDENCE_GRADES:
            raise ValueError(f"evidence_grade must be one of {EVIDENCE_GRADES}, got {self.evidence_grade!r}")
        # Derived, never passed in, so a before/after number cannot be labelled causal by mistake.
        object.__setattr__(self, "causal", self.evidence_grade in CAUSAL_GRADES)


def _as_sample(values: ArrayLike, cell: str) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if np.isnan(x).any():
        raise ValueError(f"cell {cell} has missing values")
    if x.size < 2:
        raise ValueError(f"cell {cell} has {x.size} observation(s); at least 2 are needed for a variance")
    return x


def confidence_interval(estimate, se, df: float | None = None):
    """The 95% interval: Student's t with ``df`` degrees of freedom, normal without; numbers or columns."""
    q = stats.t.ppf(0.5 + CONFIDENCE / 2, df) if df is not None else stats.norm.ppf(0.5 + CONFIDENCE / 2)
    return estimate - q * se, estimate + q * se


def require_dated(observations: pd.DataFrame, design: str, columns: tuple[str, ...], rows=None) -> None:
    """The panel designs' input check: their columns, and observed_on on every row used (it orders
    the periods)."""
    missing = [c for c in (*columns, "observed_on") if c not in observations]
    if missing:
        raise ValueError(f"{design} needs column(s) {missing}")
    used = observations if rows is None else observations[rows]
    if used["observed_on"].isna().any():
        which = "row" if rows is None else "treatment row"
        raise ValueError(f"{design} needs observed_on on every {which}: it orders the periods")


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float | None]:
    """Difference of means a - b, its Welch standard error and Welch-Satterthwaite df."""
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(np.sqrt(va + vb))
    if va + vb == 0:
        return float(a.mean() - b.mean()), 0.0, None
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return float(a.mean() - b.mean()), se, float(df)


def _lift(ratio: float, gradient: np.ndarray, cov: np.ndarray) -> tuple[float, float, float]:
    """Relative lift ratio - 1 and its delta-method interval, given d(ratio)/d(params) and cov(params)."""
    se = float(np.sqrt(gradient @ cov @ gradient))
    low, high = confidence_interval(ratio - 1.0, se, None)
    return float(ratio - 1.0), low, high


def _ratio_lift(num: float, var_num: float, den: float, var_den: float) -> tuple[float | None, ...]:
    """Lift num/den - 1 for two independent means; undefined when the baseline mean is zero."""
    if den == 0:
        return None, None, None
    gradient = np.array([1.0 / den, -num / den**2])
    return _lift(num / den, gradient, np.diag([var_num, var_den]))


def lift_against(effect: float, low: float, high: float, baseline: float) -> tuple[float | None, ...]:
    """Relative change effect / baseline and its interval, the counterfactual mean taken as known (the
    designs whose interval comes from placebos or a time-series fit); undefined for a zero baseline."""
    if baseline == 0:
        return None, None, None
    lift_low, lift_high = sorted((low / baseline, high / baseline))
    return effect / baseline, lift_low, lift_high


def _notes_for_zero_variance(se: float) -> tuple[str, ...]:
    return ("zero within-cell variance: the interval is degenerate",) if se == 0 else ()


def welch_difference(treatment: ArrayLike, control: ArrayLike, *, period: str = "post") -> Estimate:
    """Randomised or post-only comparison: mean(treatment) - mean(control) with a Welch interval.

    Causal only when assignment was random; `period` only names the cells.
    """
    t, c = _as_sample(treatment, f"treatment_{period}"), _as_sample(control, f"control_{period}")
    diff, se, df = _welch(t, c)
    low, high = confidence_interval(diff, se, df)
    vt, vc = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    lift, lift_low, lift_high = _ratio_lift(t.mean(), vt, c.mean(), vc)
    cells = (f"treatment_{period}", f"control_{period}")
    return Estimate(
        estimator="welch_difference_in_means",
        evidence_grade="randomised",
        estimate=diff,
        std_error=se,
        df=df,
        ci_low=low,
        ci_high=high,
        n={cells[0]: t.size, cells[1]: c.size},
        means={cells[0]: float(t.mean()), cells[1]: float(c.mean())},
        mean_std_errors={cells[0]: float(np.sqrt(vt)), cells[1]: float(np.sqrt(vc))},
        relative_lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        notes=_notes_for_zero_variance(se),
    )


def before_after(pre: ArrayLike, post: ArrayLike, *, group: str = "treatment") -> Estimate:
    """No control group: mean(post) - mean(pre) with a Welch interval. Not causal.

    Pre and post are treated as independent samples, which is conservative when the same units were
    measured twice and their values are positively correlated.
    """
    a, b = _as_sample(pre, f"{group}_pre"), _as_sample(post, f"{group}_post")
    diff, se, df = _welch(b, a)
    low, high = confidence_interval(diff, se, df)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    lift, lift_low, lift_high = _ratio_lift(b.mean(), vb, a.mean(), va)
    return Estimate(
        estimator="before_after_difference_in_means",
        evidence_grade="before_after",
        estimate=diff,
        std_error=se,
        df=df,
        ci_low=low,
        ci_high=high,
        n={f"{group}_pre": a.size, f"{group}_post": b.size},
        means={f"{group}_pre": float(a.mean()), f"{group}_post": float(b.mean())},
        mean_std_errors={f"{group}_pre": float(np.sqrt(va)), f"{group}_post": float(np.sqrt(vb))},
        relative_lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        notes=_notes_for_zero_variance(se),
    )


def _prepare(observations: pd.DataFrame) -> pd.DataFrame:
    """Validate an observations frame and return it with raw-table column names."""
    frame = observations.rename(columns={k: v for k, v in _COLUMN_ALIASES.items() if k in observations})
    missing = [c for c in ("unit_id", "group_name", "period", "metric_value") if c not in frame]
    if missing:
        raise ValueError(f"observations lack column(s) {missing}")
    if "metric" in frame and frame["metric"].nunique(dropna=False) > 1:
        raise ValueError(f"observations mix metrics {sorted(frame['metric'].astype(str).unique())}; pass one")
    for column, allowed in (("group_name", GROUPS), ("period", PERIODS)):
        # unique() first: iterating a column of Arrow strings costs ~1 us a row (3 s at 50M events).
        bad = sorted(set(frame[column].astype(str).unique()) - set(allowed))
        if bad:
            raise ValueError(f"{column} must be one of {allowed}, got {bad}")
    if frame["metric_value"].isna().any():
        raise ValueError(f"metric_value is missing in {int(frame['metric_value'].isna().sum())} row(s)")
    groups_per_unit = frame.groupby("unit_id")["group_name"].nunique()
    if (groups_per_unit > 1).any():
        units = list(groups_per_unit[groups_per_unit > 1].index[:5])
        raise ValueError(f"unit(s) {units} appear in both treatment and control")
    return frame


def _check_cells(frame: pd.DataFrame, cells: list[tuple[str, str]]) -> None:
    counts = frame.groupby(["group_name", "period"]).size()
    short = {f"{g}_{p}": int(counts.get((g, p), 0)) for g, p in cells if counts.get((g, p), 0) < 2}
    if short:
        detail = ", ".join(f"{cell} has {n}" for cell, n in short.items())
        raise ValueError(f"every cell needs at least 2 observations: {detail}")


def panel_did(observations: pd.DataFrame) -> Estimate:
    """Panel difference-in-differences: Welch comparison of per-unit changes (post - pre).

    Only units observed in both periods enter (Card & Krueger's balanced sample); each unit must have
    at most one row per period. Cell means are over those units, so the estimate equals
    (treatment_post - treatment_pre) - (control_post - control_pre).
    """
    frame = _prepare(observations)
    if frame.duplicated(["unit_id", "period"]).any():
        raise ValueError("panel_did needs one row per unit and period; aggregate repeated rows first")
    wide = frame.pivot(index="unit_id", columns="period", values="metric_value")
    group = frame.drop_duplicates("unit_id").set_index("unit_id")["group_name"]
    complete = wide.reindex(columns=list(PERIODS)).dropna()
    dropped = len(wide) - len(complete)
    by_group = {g: complete[group.loc[complete.index] == g] for g in GROUPS}
    for g in GROUPS:
        if len(by_group[g]) < 2:
            raise ValueError(
                f"{g} has {len(by_group[g])} unit(s) observed in both periods; at least 2 needed"
            )
    changes = {g: (by_group[g]["post"] - by_group[g]["pre"]).to_numpy() for g in GROUPS}
    did, se, df = _welch(changes["treatment"], changes["control"])
    low, high = confidence_interval(did, se, df)

    n, means, ses, cov_blocks, params = {}, {}, {}, [], []
    for g in GROUPS:
        values = by_group[g][list(PERIODS)].to_numpy()
        size = values.shape[0]
        cov = np.cov(values, rowvar=False, ddof=1) / size
        cov_blocks.append(cov)
        params.extend(values.mean(axis=0))
        for i, p in enumerate(PERIODS):
            n[f"{g}_{p}"] = size
            means[f"{g}_{p}"] = float(values[:, i].mean())
            ses[f"{g}_{p}"] = float(np.sqrt(cov[i, i]))
        means[f"{g}_change"] = float(changes[g].mean())
        ses[f"{g}_change"] = float(changes[g].std(ddof=1) / np.sqrt(size))

    # Lift against the counterfactual treated post mean: treatment_pre + control change.
    t_pre, t_post, c_pre, c_post = params
    counterfactual = t_pre + c_post - c_pre
    lift = lift_low = lift_high = None
    if counterfactual != 0:
        ratio = t_post / counterfactual
        gradient = np.array([-ratio, 1.0, ratio, -ratio]) / counterfactual
        cov = np.zeros((4, 4))
        cov[:2, :2], cov[2:, 2:] = cov_blocks
        lift, lift_low, lift_high = _lift(ratio, gradient, cov)

    notes = _notes_for_zero_variance(se)
    if dropped:
        notes += (f"{dropped} unit(s) observed in one period only were left out",)
    return Estimate(
        estimator="panel_difference_in_differences",
        evidence_grade="diff_in_diff",
        estimate=did,
        std_error=se,
        df=df,
        ci_low=low,
        ci_high=high,
        n=n,
        means=means,
        mean_std_errors=ses,
        relative_lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        notes=notes,
    )


def ols_robust(
    X: np.ndarray, y: np.ndarray, *, weights: np.ndarray | None = None, clusters: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """(W)LS coefficients, robust covariance and inference df.

    HC1 (df = N - K) without clusters; CR1 with factor G/(G-1)*(N-1)/(N-K) and df = G - 1 with
    clusters, as statsmodels' cov_type='HC1' / 'cluster' defaults. Weights are analytic (WLS).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if weights is not None:
        root = np.sqrt(np.asarray(weights, dtype=float))
        X, y = X * root[:, None], y * root
    n_obs, k = X.shape
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ (X.T @ y)
    scores = X * (y - X @ beta)[:, None]
    if clusters is None:
        meat = scores.T @ scores
        factor, df = n_obs / (n_obs - k), float(n_obs - k)
    else:
        codes = pd.factorize(np.asarray(clusters))[0]
        n_groups = int(codes.max()) + 1
        if n_groups < 2:
            raise ValueError("cluster-robust errors need at least 2 clusters")
        summed = np.zeros((n_groups, k))
        np.add.at(summed, codes, scores)
        meat = summed.T @ summed
        factor = n_groups / (n_groups - 1) * (n_obs - 1) / (n_obs - k)
        df = float(n_groups - 1)
    return beta, factor * bread @ meat @ bread, df


def ols_did(observations: pd.DataFrame, *, cluster: bool | None = None, weighted: bool = False) -> Estimate:
    """Repeated cross-sections: y ~ treated + post + treated:post with robust standard errors.

    `cluster=None` clusters by unit_id when any unit has more than one row, else uses HC1.
    `weighted=True` fits WLS with the `weight` column as analytic weights.
    """
    frame = _prepare(observations)
    _check_cells(frame, [(g, p) for g in GROUPS for p in PERIODS])
    if cluster is None:
        cluster = bool(frame["unit_id"].duplicated().any())
    treated = (frame["group_name"] == "treatment").to_numpy(dtype=float)
    post = (frame["period"] == "post").to_numpy(dtype=float)
    X = np.column_stack([np.ones_like(treated), treated, post, treated * post])
    weights = None
    if weighted:
        if "weight" not in frame:
            raise ValueError("weighted=True needs a weight column")
        weights = frame["weight"].to_numpy(dtype=float)
        if np.isnan(weights).any() or (weights < 0).any():
            raise ValueError("weight must be present and non-negative on every row for a weighted fit")
    clusters = frame["unit_id"].to_numpy() if cluster else None
    y = frame["metric_value"].to_numpy(dtype=float)
    beta, cov, df = ols_robust(X, y, weights=weights, clusters=clusters)
    se = float(np.sqrt(cov[3, 3]))
    low, high = confidence_interval(float(beta[3]), se, df)

    # The saturated model's cell means and group changes are linear combinations of the coefficients.
    combos = {
        "control_pre": [1, 0, 0, 0],
        "treatment_pre": [1, 1, 0, 0],
        "control_post": [1, 0, 1, 0],
        "treatment_post": [1, 1, 1, 1],
        "control_change": [0, 0, 1, 0],
        "treatment_change": [0, 0, 1, 1],
    }
    means = {k: float(np.dot(c, beta)) for k, c in combos.items()}
    ses = {k: float(np.sqrt(np.asarray(c) @ cov @ np.asarray(c))) for k, c in combos.items()}
    counts = frame.groupby(["group_name", "period"]).size()
    n = {f"{g}_{p}": int(counts[(g, p)]) for g in GROUPS for p in PERIODS}

    counterfactual = float(beta[0] + beta[1] + beta[2])
    lift = lift_low = lift_high = None
    if counterfactual != 0:
        ratio = means["treatment_post"] / counterfactual
        gradient = np.array([-beta[3], -beta[3], -beta[3], counterfactual]) / counterfactual**2
        lift, lift_low, lift_high = _lift(ratio, gradient, cov)

    kind = "cluster-robust (CR1) by unit" if cluster else "HC1"
    return Estimate(
        estimator=f"{'wls' if weighted else 'ols'}_difference_in_differences",
        evidence_grade="diff_in_diff",
        estimate=float(beta[3]),
        std_error=se,
        df=df,
        ci_low=low,
        ci_high=high,
        n=n,
        means=means,
        mean_std_errors=ses,
        relative_lift=lift,
        lift_ci_low=lift_low,
        lift_ci_high=lift_high,
        notes=(f"standard errors: {kind}", *_notes_for_zero_variance(se)),
    )


def _weighted(frame: pd.DataFrame) -> bool:
    """True when a usable, non-constant weight column is present."""
    if "weight" not in frame or frame["weight"].isna().all():
        return False
    if frame["weight"].isna().any():
        raise ValueError("weight is given on some rows only; give it on every row or on none")
    return frame["weight"].nunique() > 1


def _values(frame: pd.DataFrame, group: str, period: str) -> np.ndarray:
    mask = (frame["group_name"] == group) & (frame["period"] == period)
    return frame.loc[mask, "metric_value"].to_numpy(dtype=float)


def estimate_value_chain(
    observations: pd.DataFrame, design: str, *, min_panel_share: float = 0.8
) -> Estimate:
    """Pick and run the estimator for a value chain's observations of one metric.

    Columns: unit_id, group_name ('treatment'|'control'), period ('pre'|'post'), metric_value,
    optional weight (contract names `group`, `value` are accepted too). Rules:

    * 'randomised': Welch comparison of the post cells; pre rows are not used.
    * 'diff_in_diff': panel DiD when no unit repeats within a period and at least `min_panel_share`
      of the units are observed in both periods (the others are left out and named in the notes);
      otherwise OLS on all rows, clustered by unit when a unit has several rows, else HC1. With
      non-constant weights: WLS, with the same clustering rule.
    * 'before_after': Welch comparison of the treatment group's post and pre cells. Not causal.

    Weights are supported for 'diff_in_diff' only; elsewhere they raise rather than being ignored.
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    frame = _prepare(observations)
    weighted = _weighted(frame)
    if weighted and design != "diff_in_diff":
        raise ValueError(f"weights are supported for the diff_in_diff design only, not {design!r}")

    if design == "diff_in_diff":
        _check_cells(frame, [(g, p) for g in GROUPS for p in PERIODS])
        repeats_within_period = frame.duplicated(["unit_id", "period"]).any()
        periods_per_unit = frame.groupby("unit_id")["period"].nunique()
        panel_share = float((periods_per_unit == 2).mean())
        if not weighted and not repeats_within_period and panel_share >= min_panel_share:
            return panel_did(frame)
        return ols_did(frame, weighted=weighted)

    if frame.duplicated(["unit_id", "period"]).any():
        raise ValueError(f"{design} needs one row per unit and period; aggregate repeated rows first")
    if design == "randomised":
        _check_cells(frame, [(g, "post") for g in GROUPS])
        return welch_difference(_values(frame, "treatment", "post"), _values(frame, "control", "post"))

    _check_cells(frame, [("treatment", p) for p in PERIODS])
    estimate = before_after(_values(frame, "treatment", "pre"), _values(frame, "treatment", "post"))
    if (frame["group_name"] == "control").any():
        note = "control rows were ignored: with a control group, use the diff_in_diff design"
        estimate = replace(estimate, notes=(*estimate.notes, note))
    return estimate
