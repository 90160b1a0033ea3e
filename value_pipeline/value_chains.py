"""Value chains: insight -> action -> KPI change against a control group -> business impact.

One row per registry value chain: the estimate of the metric change credited to the action (n per
cell, estimator, SE, 95% interval, evidence grade), the change in money net of the action's cost
with the interval carried through, and the framework's four sentences. Rejected chains get a row
with the registry's reason. The sentences are written here and nowhere else.

Inputs are the dbt models ``intermediate.int_value_chains`` (registry design, unit value and action
cost in reporting currency) and ``intermediate.int_value_chain_observations`` (the evidence fact),
and ``raw.registry_value_chain_rejections``; the output is ``stats.value_chain_estimates``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from value_pipeline.engines.base import Engine
from value_pipeline.engines.frames import as_engine, typed_table
from value_pipeline.stats import Estimate, estimate_value_chain, to_money
from value_pipeline.stats.estimators import confidence_interval, lift_against
from value_pipeline.stats.interrupted_time_series import interrupted_time_series, series_from_observations
from value_pipeline.stats.power import DESIGN_CELLS, PlannedPower, minimum_detectable_effect
from value_pipeline.stats.staggered import callaway_santanna, panel_from_observations
from value_pipeline.stats.synthetic_control import outcomes_from_observations, synthetic_control

# The one metric the warehouse evidence is derived for (int_value_chain_observations).
WAREHOUSE_METRICS = ("cycle_hours",)
METRIC_LABELS = {"enps": "eNPS", "nps": "NPS", "csat": "CSAT", "ces": "CES"}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
CELLS = ("treatment_pre", "treatment_post", "control_pre", "control_post")

# Name and DuckDB type of every column of stats.value_chain_estimates, in order.
COLUMNS: list[tuple[str, str]] = [
    ("value_chain_id", "VARCHAR"),
    ("value_chain_name", "VARCHAR"),
    ("status", "VARCHAR"),
    ("status_reason", "VARCHAR"),
    ("insight_text", "VARCHAR"),
    ("insight_evidence_source", "VARCHAR"),
    ("action_text", "VARCHAR"),
    ("action_kind", "VARCHAR"),
    ("action_owner", "VARCHAR"),
    ("action_start_date", "DATE"),
    ("metric", "VARCHAR"),
    ("metric_class", "VARCHAR"),
    ("direction", "VARCHAR"),
    ("design_type", "VARCHAR"),
    ("evidence_source", "VARCHAR"),
    ("use_case_id", "VARCHAR"),
    ("estimator", "VARCHAR"),
    ("evidence_grade", "VARCHAR"),
    ("is_causal", "BOOLEAN"),
    *[(f"n_{cell}", "INTEGER") for cell in CELLS],
    ("treatment_clusters", "INTEGER"),
    ("control_clusters", "INTEGER"),
    ("cluster_kind", "VARCHAR"),
    ("design_assumption", "VARCHAR"),
    ("pretrend_p_value", "DOUBLE"),
    ("naive_twfe_estimate", "DOUBLE"),
    ("pre_rmspe", "DOUBLE"),
    ("placebo_p_value", "DOUBLE"),
    ("hac_lags", "INTEGER"),
    ("planned_mde", "DOUBLE"),
    *[(f"mean_{cell}", "DOUBLE") for cell in CELLS],
    ("estimate", "DOUBLE"),
    ("std_error", "DOUBLE"),
    ("degrees_of_freedom", "DOUBLE"),
    ("ci_low", "DOUBLE"),
    ("ci_high", "DOUBLE"),
    ("improvement", "DOUBLE"),
    ("improvement_ci_low", "DOUBLE"),
    ("improvement_ci_high", "DOUBLE"),
    ("relative_change", "DOUBLE"),
    ("relative_change_ci_low", "DOUBLE"),
    ("relative_change_ci_high", "DOUBLE"),
    ("reporting_currency", "VARCHAR"),
    ("exposure", "DOUBLE"),
    ("exposure_unit", "VARCHAR"),
    ("unit_value", "DOUBLE"),
    ("unit_value_currency", "VARCHAR"),
    ("unit_value_reporting", "DOUBLE"),
    ("action_cost_reporting", "DOUBLE"),
    ("business_impact", "DOUBLE"),
    ("business_impact_ci_low", "DOUBLE"),
    ("business_impact_ci_high", "DOUBLE"),
    ("business_impact_null_reason", "VARCHAR"),
    ("insight_sentence", "VARCHAR"),
    ("action_sentence", "VARCHAR"),
    ("result_sentence", "VARCHAR"),
    ("impact_sentence", "VARCHAR"),
    ("notes", "VARCHAR"),
    ("estimated_at", "TIMESTAMP"),
]
COLUMN_NAMES = [name for name, _ in COLUMNS]

# The designs' detail tables (stats.<name>), each keyed by value_chain_id.
DETAIL_TABLES: dict[str, list[tuple[str, str]]] = {
    "value_chain_staggered_effects": [
        ("value_chain_id", "VARCHAR"),
        ("aggregation", "VARCHAR"),
        ("cohort", "DATE"),
        ("period", "DATE"),
        ("event_time", "INTEGER"),
        ("estimate", "DOUBLE"),
        ("std_error", "DOUBLE"),
        ("ci_low", "DOUBLE"),
        ("ci_high", "DOUBLE"),
        ("n_treated", "INTEGER"),
        ("n_control", "INTEGER"),
    ],
    "value_chain_synthetic_weights": [
        ("value_chain_id", "VARCHAR"),
        ("unit_id", "VARCHAR"),
        ("weight", "DOUBLE"),
    ],
    "value_chain_period_gaps": [
        ("value_chain_id", "VARCHAR"),
        ("estimator", "VARCHAR"),
        ("period", "DATE"),
        ("observed", "DOUBLE"),
        ("counterfactual", "DOUBLE"),
        ("gap", "DOUBLE"),
        ("is_post", "BOOLEAN"),
    ],
}

# What each evidence grade assumes, said in every estimated chain's result sentence.
ASSUMPTIONS = {
    "randomised": "assignment to the action was random",
    "diff_in_diff": "without the action, treatment and control would have changed alike (parallel trends)",
    "staggered_adoption": (
        "without the action, each cohort would have changed like the comparison units (parallel trends),"
        " and no unit changed in anticipation of its adoption"
    ),
    "synthetic_control": (
        "without the action, the treated unit would have followed the weighted donors that tracked it"
        " before, and no donor was affected by the action"
    ),
    "interrupted_time_series": (
        "without the action, the pre-period level and trend would have continued: nothing else changed"
        " at the action date"
    ),
    "before_after": "nothing else changed between the periods",
    "self_reported": "the reported figures are accurate",
}
REGISTRY_COLUMNS = (
    "value_chain_id",
    "value_chain_name",
    "insight_text",
    "insight_evidence_source",
    "action_text",
    "action_kind",
    "action_owner",
    "action_start_date",
    "metric",
    "metric_class",
    "direction",
    "design_type",
    "evidence_source",
    "use_case_id",
    "reporting_currency",
    "exposure",
    "exposure_unit",
    "unit_value",
    "unit_value_currency",
    "unit_value_reporting",
    "action_cost_reporting",
)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _value(value: Any) -> Any:
    return None if _missing(value) else value


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric.lower(), metric.replace("_", " "))


def format_money(amount: float, currency: str) -> str:
    """Short money figure: ``$4.0M``, ``-€12.5K``, ``£950``; unknown currencies are prefixed by code."""
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    size = abs(amount)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= threshold:
            text = f"{size / threshold:.1f}{suffix}"
            break
    else:
        text = f"{size:.0f}"
    # Amounts that round to zero print without a sign.
    return f"{'-' if amount < 0 and text != '0' else ''}{symbol}{text}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _cell_counts(evidence: pd.DataFrame, estimate: Estimate) -> dict[str, int | None]:
    """n per cell: the estimator's own counts, or for the panel designs without cells (staggered
    adoption, synthetic control, time series) the evidence rows of each group and period."""
    if any(cell in estimate.n for cell in CELLS):
        return {f"n_{cell}": estimate.n.get(cell) for cell in CELLS}
    counts = evidence.groupby(["group_name", "period"]).size()
    return {
        f"n_{g}_{p}": int(counts[(g, p)]) if (g, p) in counts else None
        for g, p in (c.split("_") for c in CELLS)
    }


def _used_rows(frame: pd.DataFrame, estimate: Estimate) -> pd.DataFrame:
    """The evidence rows the estimator used, to count the clusters behind the estimate."""
    if estimate.estimator == "welch_difference_in_means":
        return frame[frame["period"] == "post"]
    if estimate.estimator.endswith("before_after_difference_in_means"):
        return frame[frame["group_name"] == "treatment"]
    if estimate.estimator == "panel_difference_in_differences":
        periods = frame.groupby("unit_id")["period"].nunique()
        return frame[frame["unit_id"].isin(periods[periods == 2].index)]
    return frame


@dataclass(frozen=True)
class DesignRun:
    """One chain's estimate with its design diagnostics (COLUMNS) and detail rows (DETAIL_TABLES)."""

    estimate: Estimate
    diagnostics: dict[str, Any] = field(default_factory=dict)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    # The design and its diagnostics in words, for the result sentence (the newer designs only).
    phrase: str | None = None


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(observed_on=pd.to_datetime(frame["observed_on"]))


# Fewer units than this and errors clustered by unit are unreliable (a rule of thumb; the notes say so).
FEW_CLUSTERS = 20


def _staggered(frame: pd.DataFrame, control_group: str, noun: str = "unit") -> DesignRun:
    result = callaway_santanna(panel_from_observations(_dated(frame)), control_group=control_group)
    cells = result.group_time
    rows = [
        cells.assign(aggregation="group_time", estimate=cells["att"]),
        result.by_cohort.assign(aggregation="cohort", n_treated=result.by_cohort["units"]),
        result.by_event_time.assign(aggregation="event_time"),
    ]
    effects = pd.concat(rows, ignore_index=True).reindex(
        columns=[c for c, _ in DETAIL_TABLES["value_chain_staggered_effects"]]
    )
    comparison = (
        f"the {noun}s not yet treated"
        if control_group == "not_yet_treated"
        else _plural(result.n_never_treated, f"never-treated {noun}")
    )
    pretrend = "not computed" if result.pretrend_p_value is None else f"p = {result.pretrend_p_value:.2f}"
    if result.pretrend_p_value is not None and result.pretrend_p_value < 0.05:
        pretrend += ", so parallel trends are in doubt"
    phrase = (
        f"staggered adoption: {_plural(sum(result.cohort_sizes.values()), noun)} adopting in"
        f" {_plural(len(result.cohort_sizes), 'cohort')}, against {comparison}"
        f" (Callaway & Sant'Anna), pre-trend test {pretrend}"
    )
    units = sum(result.cohort_sizes.values()) + result.n_never_treated
    estimate = result.overall
    if units < FEW_CLUSTERS:
        note = (
            f"only {_plural(units, noun)}: errors clustered by {noun} are unreliable with fewer than"
            f" {FEW_CLUSTERS}, so the interval may be too narrow"
        )
        estimate = replace(estimate, notes=(*estimate.notes, note))
    return DesignRun(
        estimate,
        {
            "pretrend_p_value": result.pretrend_p_value,
            "naive_twfe_estimate": result.twfe_estimate,
        },
        {"value_chain_staggered_effects": effects},
        phrase,
    )


def _synthetic(frame: pd.DataFrame, noun: str = "unit") -> DesignRun:
    outcomes, treated, first_post, notes = outcomes_from_observations(_dated(frame))
    result = synthetic_control(outcomes, treated, first_post)
    estimate = replace(result.overall, notes=(*result.overall.notes, *notes))
    gaps = result.gaps.rename(
        columns={"treated": "observed", "synthetic": "counterfactual", "post": "is_post"}
    )
    phrase = (
        f"synthetic control of one {noun} from {_plural(len(result.weights), 'donor ' + noun)},"
        f" pre-period RMSPE {result.pre_rmspe:.3g}, placebo p = {result.placebo_p_value:.2f}"
    )
    if result.placebo_p_value <= 1 / len(result.placebo) + 1e-12:
        phrase += f" (the lowest possible with {_plural(len(result.weights), 'donor')})"
    return DesignRun(
        estimate,
        {"pre_rmspe": result.pre_rmspe, "placebo_p_value": result.placebo_p_value},
        {
            "value_chain_synthetic_weights": result.weights.assign(
                unit_id=result.weights["unit_id"].astype(str)
            ),
            "value_chain_period_gaps": gaps.assign(estimator=estimate.estimator),
        },
        phrase,
    )


def _time_series(frame: pd.DataFrame) -> DesignRun:
    series, first_post, notes = series_from_observations(_dated(frame))
    result = interrupted_time_series(series, first_post)
    estimate = replace(result.overall, notes=(*result.overall.notes, *notes))
    fitted = result.fitted
    gaps = fitted.assign(gap=fitted["observed"] - fitted["counterfactual"], is_post=fitted["post"])
    phrase = (
        f"interrupted time series over {_plural(estimate.n['pre_periods'], 'pre-period')} and"
        f" {_plural(estimate.n['post_periods'], 'post-period')},"
        f" Newey-West errors with {result.hac_lags} lag(s)"
    )
    return DesignRun(
        estimate,
        {"hac_lags": result.hac_lags},
        {"value_chain_period_gaps": gaps.assign(estimator=estimate.estimator)},
        phrase,
    )


def team_months(cases: pd.DataFrame) -> pd.DataFrame:
    """Warehouse case rows of a monthly design as one row per team and month: the teams' monthly mean
    (``metric_value``, what the estimators compare), the month's cases and their variance."""
    month = pd.to_datetime(cases["observed_on"]).dt.to_period("M").dt.to_timestamp()
    grouped = cases.assign(observed_on=month).groupby(
        ["cluster_id", "group_name", "period", "observed_on"], as_index=False
    )["metric_value"]
    frame = grouped.agg(metric_value="mean", cases="size", variance="var")
    return frame.assign(unit_id=frame["cluster_id"])


def case_sampling_se(
    months: pd.DataFrame, design: Callable[[pd.DataFrame], DesignRun], base: float | None = None
) -> float:
    """Standard error of the design's estimate from the sampling noise of the team-month means, the
    cases independent: the estimate's sensitivity to each mean (the estimators are linear in the means,
    synthetic control given its weights) times that mean's standard error. A month with one case takes
    the median variance of the others. ``base``: the design's estimate on ``months``, when known."""
    variance = months["variance"].fillna(months["variance"].median()).fillna(0.0)
    base = design(months).estimate.estimate if base is None else base
    total = 0.0
    for i in range(len(months)):
        step = 1e-3 * (1.0 + abs(float(months["metric_value"].iloc[i])))
        bumped = months.copy()
        bumped.iloc[i, bumped.columns.get_loc("metric_value")] += step
        slope = (design(bumped).estimate.estimate - base) / step
        total += slope**2 * float(variance.iloc[i]) / float(months["cases"].iloc[i])
    return math.sqrt(total)


def _with_std_error(estimate: Estimate, se: float, note: str) -> Estimate:
    """The estimate with a larger standard error: its interval and relative change's interval redrawn
    (same degrees of freedom, the counterfactual mean unchanged)."""
    low, high = (float(x) for x in confidence_interval(estimate.estimate, se, estimate.df))
    lift = (estimate.relative_lift, None, None)
    if estimate.relative_lift:
        lift = lift_against(estimate.estimate, low, high, estimate.estimate / estimate.relative_lift)
    return replace(
        estimate,
        std_error=se,
        ci_low=low,
        ci_high=high,
        relative_lift=lift[0],
        lift_ci_low=lift[1],
        lift_ci_high=lift[2],
        notes=(*estimate.notes, note),
    )


def _warehouse_series(cases: pd.DataFrame, design: Callable[[pd.DataFrame], DesignRun]) -> DesignRun:
    """A monthly design on the warehouse's cases: the design on the teams' monthly means, its standard
    error the larger of the design's own and the cases' sampling error (with few teams the design's
    misses the noise of the means: a team alone in its cohort adds nothing to the unit-clustered one)."""
    months = team_months(cases)
    run = design(months)
    sampling = case_sampling_se(months, design, run.estimate.estimate)
    design_se = run.estimate.std_error
    if sampling > design_se:
        note = (
            f"standard error {sampling:.3g} from the cases' sampling noise in the {len(months)} team-month"
            f" means (cases independent), larger than the design's own {design_se:.3g}"
        )
        return replace(run, estimate=_with_std_error(run.estimate, sampling, note))
    note = f"the design's standard error {design_se:.3g} is at least the cases' sampling error {sampling:.3g}"
    return replace(run, estimate=replace(run.estimate, notes=(*run.estimate.notes, note)))


def _dated_pre_periods(frame: pd.DataFrame) -> int:
    treated = frame[frame["group_name"] == "treatment"]
    if "observed_on" not in frame or treated["observed_on"].isna().any():
        return 0
    return int(treated.loc[treated["period"] == "pre", "observed_on"].nunique())


def run_estimator(
    frame: pd.DataFrame, design: str, evidence_source: str, options: Mapping[str, Any] | None = None
) -> DesignRun:
    """The design's estimator on one chain's evidence, with the choices made recorded in the notes.

    * randomised, diff_in_diff, before_after: ``estimate_value_chain`` (see its rules).
    * staggered_adoption, synthetic_control, interrupted_time_series: their estimators in
      value_pipeline.stats on the dated rows (observations, or the warehouse's team-months).
    * before_after on observations with at least ``min_pre_periods`` dated pre-periods: an
      interrupted time series of the treatment rows instead.
    * self_reported: the before/after comparison of the treatment group, graded self_reported.
    * Weights are used by diff_in_diff only; elsewhere they are dropped and the notes say so.
    * Warehouse rows are cases of a handful of teams: their errors treat cases as independent.
    """
    options = options or {}
    noun = "team" if evidence_source == "warehouse" else "unit"
    min_pre = options.get("design_min_pre_periods") or 8
    dated_pre = (
        _dated_pre_periods(frame) if design == "before_after" and evidence_source == "observations" else 0
    )
    if dated_pre >= min_pre:
        run = _time_series(frame)
        note = (
            f"{dated_pre} dated pre-periods (at least {min_pre}): "
            "an interrupted time series, not before/after"
        )
        return replace(run, estimate=replace(run.estimate, notes=(*run.estimate.notes, note)))
    series_designs: dict[str, Callable[[pd.DataFrame], DesignRun]] = {
        "staggered_adoption": lambda rows: _staggered(
            rows, options.get("design_control_group") or "never_treated", noun
        ),
        "synthetic_control": lambda rows: _synthetic(rows, noun),
        "interrupted_time_series": _time_series,
    }
    if design in series_designs and evidence_source == "warehouse":
        return _warehouse_series(frame, series_designs[design])
    if design in series_designs:
        return series_designs[design](frame)

    notes: list[str] = []
    columns = ["unit_id", "group_name", "period", "metric_value"]
    weights = frame["weight"].dropna() if "weight" in frame else pd.Series(dtype=float)
    if design == "diff_in_diff" and not weights.empty:
        columns.append("weight")
    elif weights.nunique() > 1:
        notes.append(f"weights were not used: the {design} comparison weights every unit equally")
    data = frame[columns]
    if design == "self_reported":
        estimate = estimate_value_chain(data, "before_after")
        estimate = replace(
            estimate, estimator=f"self_reported_{estimate.estimator}", evidence_grade="self_reported"
        )
    else:
        estimate = estimate_value_chain(data, design)
    if evidence_source == "warehouse" and design == "diff_in_diff":
        teams = frame.groupby("group_name")["cluster_id"].nunique()
        notes.append(
            f"cases are treated as independent: {_plural(int(teams.get('treatment', 0)), 'treatment team')}"
            f" and {_plural(int(teams.get('control', 0)), 'control team')} are too few for team-clustered"
            " errors, so shocks common to a team's cases are not in the interval"
        )
    if estimate.evidence_grade in ("before_after", "self_reported"):
        notes.append("no control group: the change includes everything else that changed between the periods")
    return DesignRun(replace(estimate, notes=(*estimate.notes, *notes)))


def _sized_change(word: str, size: str, relative: bool) -> str:
    if relative:
        return f"a {size} {word}"
    return f"{'an' if word == 'increase' else 'a'} {word} of {size}"


def _change_phrase(chain: Mapping[str, Any], row: Mapping[str, Any]) -> str:
    """'a 15.2% reduction in handle minutes (95% CI 11.0% to 19.4%' (the caller closes it).

    Relative for business metrics; absolute for experience metrics (scores such as eNPS can be zero
    or negative, so a percentage of them means nothing) and when the relative change is undefined.
    """
    relative = row["relative_change"] is not None and chain["metric_class"] != "experience"
    if relative:
        point, low, high = (row[f"relative_change{part}"] for part in ("", "_ci_low", "_ci_high"))
    else:
        point, low, high = row["estimate"], row["ci_low"], row["ci_high"]

    def size(x: float) -> str:
        return f"{100 * abs(x):.1f}%" if relative else f"{abs(x):,.2f}"

    word, other = ("reduction", "increase") if point < 0 else ("increase", "reduction")
    sign = -1.0 if point < 0 else 1.0
    low, high = sorted((sign * low, sign * high))
    if low >= 0:
        interval = f"95% CI {size(low)} to {size(high)}"
    else:
        lower, upper = _sized_change(other, size(low), relative), _sized_change(word, size(high), relative)
        interval = f"95% CI from {lower} to {upper}"
    return f"{_sized_change(word, size(point), relative)} in {metric_label(chain['metric'])} ({interval}"


def _design_phrase(row: Mapping[str, Any]) -> str:
    noun = "team" if row["cluster_kind"] == "team" else "unit"
    grade = row["evidence_grade"]
    if grade == "randomised":
        return (
            f"randomised comparison of {_plural(row['treatment_clusters'], 'treatment ' + noun)}"
            f" with {_plural(row['control_clusters'], 'control ' + noun)}"
        )
    if grade == "diff_in_diff":
        return f"difference-in-differences against {_plural(row['control_clusters'], 'control ' + noun)}"
    if grade == "self_reported":
        return "self-reported figures, not a measured comparison: not evidence that the action caused it"
    return "before/after comparison without a control group: not evidence that the action caused it"


def result_sentence(
    chain: Mapping[str, Any], row: Mapping[str, Any], design_phrase: str | None = None
) -> str:
    """The third sentence; only causal evidence grades say the action 'resulted in'.

    The newer designs (staggered adoption, synthetic control, interrupted time series) give their own
    phrase with their diagnostics, followed by what they assume.
    """
    if design_phrase is None:
        design = _design_phrase(row)
    else:
        design = f"{design_phrase}; assuming {ASSUMPTIONS[row['evidence_grade']]}"
        if not row["is_causal"]:
            design += ": not evidence that the action caused it"
    phrase = f"{_change_phrase(chain, row)}; {design})"
    if row["is_causal"]:
        return f"This action resulted in {phrase}"
    return f"This action was followed by {phrase}"


def impact_sentence(row: Mapping[str, Any]) -> str:
    """The fourth sentence: the money, or why there is none."""
    currency = row["reporting_currency"]
    if row["business_impact"] is None:
        cost = row["action_cost_reporting"]
        spent = f" (action cost {format_money(cost, currency)})" if cost is not None else ""
        return f"Not converted to money: {row['business_impact_null_reason']}{spent}"
    money = (
        f"{format_money(row['business_impact'], currency)} net of "
        f"{format_money(row['action_cost_reporting'], currency)} cost "
        f"(95% CI {format_money(row['business_impact_ci_low'], currency)} to "
        f"{format_money(row['business_impact_ci_high'], currency)})"
    )
    if row["is_causal"]:
        return f"This equates to a cash-flow impact of {money}"
    return f"Only if the action caused the whole change would it equate to a cash-flow impact of {money}"


def _money(chain: Mapping[str, Any], estimate: Estimate) -> dict[str, Any]:
    """Business impact and its interval, or the reason it is NULL."""
    blank = {"business_impact": None, "business_impact_ci_low": None, "business_impact_ci_high": None}
    if chain["metric_class"] == "experience":
        reason = f"{metric_label(chain['metric'])} is an experience metric, never converted to money"
        return {**blank, "business_impact_null_reason": reason}
    missing = [name for name in ("exposure", "unit_value") if chain[name] is None]
    if missing:
        reason = f"the registry gives no {' or '.join(missing)} for this value chain"
        return {**blank, "business_impact_null_reason": reason}
    if chain["unit_value_reporting"] is None:
        reason = f"no FX rate converts the unit value from {chain['unit_value_currency']}"
        return {**blank, "business_impact_null_reason": reason}
    if chain["action_cost_reporting"] is None:
        reason = (
            f"no complete action cost in reporting currency for action_cost_ref {chain['action_cost_ref']!r}"
            " (no Finance cost line, or a line without an FX rate)"
        )
        return {**blank, "business_impact_null_reason": reason}
    try:
        impact = to_money(
            estimate,
            exposure=float(chain["exposure"]),
            unit_value=float(chain["unit_value_reporting"]),
            action_cost=float(chain["action_cost_reporting"]),
            direction=chain["direction"],
        )
    except ValueError as exc:
        return {**blank, "business_impact_null_reason": str(exc)}
    return {
        "business_impact": impact.point,
        "business_impact_ci_low": impact.low,
        "business_impact_ci_high": impact.high,
        "business_impact_null_reason": None,
    }


def _framework_sentences(chain: Mapping[str, Any]) -> dict[str, str]:
    insight = chain["insight_text"] or "(no insight recorded)"
    source = chain["insight_evidence_source"]
    learned = f"Based on {source}, we learned that {insight}" if source else f"We learned that {insight}"
    return {"insight_sentence": learned, "action_sentence": f"In response, we {chain['action_text']}"}


# The cells a planned design compares, by design (staggered adoption is planned as a DiD of its
# adopters against the comparison units).
PLANNED_CELLS = {**DESIGN_CELLS, "staggered_adoption": DESIGN_CELLS["diff_in_diff"]}


def planned_power(evidence: pd.DataFrame, design: str) -> PlannedPower | None:
    """The MDE of a chain not measured yet: its evidence has pre-period rows and no post-period row.

    The spread is the pooled within-group standard deviation of the pre rows; each post cell is
    expected to be as large as the same group's pre cell (the same window again, or the same units).
    """
    if design not in PLANNED_CELLS or evidence.empty or (evidence["period"] == "post").any():
        return None
    groups = {cell.split("_")[0] for cell in PLANNED_CELLS[design]}
    pre = evidence[evidence["period"] == "pre"]
    sizes = pre.groupby("group_name").size()
    if any(sizes.get(g, 0) < 2 for g in groups):
        return None
    within = pre[pre["group_name"].isin(groups)].groupby("group_name")["metric_value"]
    pooled = float(np.sqrt((within.var(ddof=1) * (within.size() - 1)).sum() / (within.size() - 1).sum()))
    cells = {cell: int(sizes[cell.split("_")[0]]) for cell in PLANNED_CELLS[design]}
    return minimum_detectable_effect(pooled, cells)


def planned_sentence(chain: Mapping[str, Any], planned: PlannedPower) -> str:
    """'Not measured yet: ... would detect a change of 1.2 cycle hours or more (80% power, ...)'."""
    n_pre = sum(n for cell, n in planned.cells.items() if cell.endswith("_pre"))
    return (
        f"Not measured yet: with a standard deviation of {planned.std_dev:,.3g} over {n_pre:,} pre-period"
        f" observations and as many expected after the action, the {chain['design_type']} design would"
        f" detect a change of {planned.minimum_detectable_effect:,.3g} in {metric_label(chain['metric'])}"
        f" or more ({planned.power:.0%} power, {planned.alpha:.0%} significance)"
    )


def estimate_chain(
    chain: Mapping[str, Any], evidence: pd.DataFrame, estimated_at: datetime
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """One output row (COLUMNS) for a registry value chain and its rows of the evidence fact, with the
    design's detail rows (DETAIL_TABLES) keyed by the chain."""
    chain = {k: _value(v) for k, v in chain.items()}
    row: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
    row.update({k: chain[k] for k in REGISTRY_COLUMNS})
    row.update(_framework_sentences(chain), estimated_at=estimated_at)
    design, source = chain["design_type"], chain["evidence_source"]

    reason = None
    if source == "warehouse" and chain["metric"] not in WAREHOUSE_METRICS:
        reason = f"warehouse evidence exists for {', '.join(WAREHOUSE_METRICS)} only, not {chain['metric']}"
    elif evidence.empty:
        reason = f"no {source} evidence rows for metric {chain['metric']}"
    estimate = run = None
    if reason is None:
        try:
            run = run_estimator(evidence, design, source, chain)
            estimate = run.estimate
        except ValueError as exc:
            reason = str(exc)
    if estimate is None:
        row.update(
            status="not_estimated",
            status_reason=reason,
            result_sentence=f"No estimate: {reason}",
            business_impact_null_reason="there is no estimate",
        )
        planned = planned_power(evidence, design)
        if planned is not None:
            row["planned_mde"] = planned.minimum_detectable_effect
            row["result_sentence"] = planned_sentence(chain, planned)
        row["impact_sentence"] = impact_sentence(row)
        return row, {}

    used = _used_rows(evidence, estimate)
    clusters = used.groupby("group_name")["cluster_id"].nunique()
    sign = 1.0 if chain["direction"] == "higher_is_better" else -1.0
    improvement_low, improvement_high = sorted((sign * estimate.ci_low, sign * estimate.ci_high))
    row.update(
        status="estimated",
        estimator=estimate.estimator,
        evidence_grade=estimate.evidence_grade,
        is_causal=estimate.causal,
        **_cell_counts(evidence, estimate),
        **{f"mean_{cell}": estimate.means.get(cell) for cell in CELLS},
        treatment_clusters=int(clusters.get("treatment", 0)),
        control_clusters=int(clusters.get("control", 0)),
        cluster_kind="team" if source == "warehouse" else "unit",
        estimate=estimate.estimate,
        std_error=estimate.std_error,
        degrees_of_freedom=estimate.df,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        improvement=sign * estimate.estimate,
        improvement_ci_low=improvement_low,
        improvement_ci_high=improvement_high,
        relative_change=estimate.relative_lift,
        relative_change_ci_low=estimate.lift_ci_low,
        relative_change_ci_high=estimate.lift_ci_high,
        notes="; ".join(estimate.notes) or None,
        design_assumption=ASSUMPTIONS[estimate.evidence_grade],
        **run.diagnostics,
        **_money(chain, estimate),
    )
    row["result_sentence"] = result_sentence(chain, row, run.phrase)
    row["impact_sentence"] = impact_sentence(row)
    details = {
        name: frame.assign(value_chain_id=chain["value_chain_id"]) for name, frame in run.details.items()
    }
    return row, details


def estimate_value_chains(
    chains: pd.DataFrame,
    evidence: pd.DataFrame,
    rejections: pd.DataFrame | None = None,
    *,
    estimated_at: datetime | None = None,
) -> pd.DataFrame:
    """Rows of stats.value_chain_estimates: one per chain, plus one per rejected chain."""
    return estimate_with_details(chains, evidence, rejections, estimated_at=estimated_at)[0]


def estimate_with_details(
    chains: pd.DataFrame,
    evidence: pd.DataFrame,
    rejections: pd.DataFrame | None = None,
    *,
    estimated_at: datetime | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The estimates (``estimate_value_chains``) and every design's detail table (DETAIL_TABLES)."""
    estimated_at = estimated_at or datetime.now(UTC).replace(tzinfo=None)
    by_chain = dict(tuple(evidence.groupby("value_chain_id"))) if not evidence.empty else {}
    rows, details = [], {name: [] for name in DETAIL_TABLES}
    for chain in chains.to_dict("records"):
        row, chain_details = estimate_chain(
            chain, by_chain.get(chain["value_chain_id"], evidence.iloc[0:0]), estimated_at
        )
        rows.append(row)
        for name, frame in chain_details.items():
            details[name].append(frame)
    for rejected in [] if rejections is None else rejections.to_dict("records"):
        row = dict.fromkeys(COLUMN_NAMES)
        row.update(
            value_chain_id=rejected["value_chain_id"],
            status="rejected",
            status_reason=rejected["reason"],
            business_impact_null_reason="the registry rejected this value chain",
            estimated_at=estimated_at,
        )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMN_NAMES)
    tables = {
        name: pd.concat(frames, ignore_index=True).reindex(columns=[c for c, _ in DETAIL_TABLES[name]])
        if frames
        else pd.DataFrame(columns=[c for c, _ in DETAIL_TABLES[name]])
        for name, frames in details.items()
    }
    return frame.sort_values("value_chain_id", kind="stable").reset_index(drop=True), tables


def read_inputs(
    warehouse: Engine | duckdb.DuckDBPyConnection,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The registry chains, the evidence fact and the rejected chains from the warehouse (any engine)."""
    engine = as_engine(warehouse)
    chains = engine.query("select * from intermediate.int_value_chains order by value_chain_id")
    evidence = engine.query(
        "select * from intermediate.int_value_chain_observations"
        " order by value_chain_id, group_name, period, unit_id, observed_on, source_file, source_line"
    )
    rejections = engine.query("select * from raw.registry_value_chain_rejections order by value_chain_id")
    return chains, evidence, rejections


def write_estimates(
    warehouse: Engine | duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    details: Mapping[str, pd.DataFrame] | None = None,
) -> int:
    """Replace stats.value_chain_estimates with ``frame`` (and each detail table, empty when not given)
    in one transaction each; returns the estimates' row count."""
    engine = as_engine(warehouse)
    engine.write_table("stats", "value_chain_estimates", typed_table(frame, COLUMNS))
    for name, columns in DETAIL_TABLES.items():
        rows = (details or {}).get(name, pd.DataFrame(columns=[c for c, _ in columns]))
        engine.write_table("stats", name, typed_table(rows, columns))
    return len(frame)


def markdown_table(frame: pd.DataFrame) -> str:
    """The estimates as a Markdown table (Dagster metadata)."""
    lines = [
        "| value chain | status | evidence | estimator | n (t pre/post, c pre/post) | estimate [95% CI]"
        " | impact [95% CI] |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in frame.to_dict("records"):
        row = {k: _value(v) for k, v in row.items()}
        if row["status"] != "estimated":
            lines.append(f"| {row['value_chain_id']} | {row['status']}: {row['status_reason']} | | | | | |")
            continue
        counts = "/".join("-" if row[f"n_{c}"] is None else str(int(row[f"n_{c}"])) for c in CELLS)
        estimate = f"{row['estimate']:.3g} [{row['ci_low']:.3g}, {row['ci_high']:.3g}]"
        currency = row["reporting_currency"]
        if row["business_impact"] is None:
            impact = f"none: {row['business_impact_null_reason']}"
        else:
            point, low, high = (
                format_money(row[f"business_impact{part}"], currency) for part in ("", "_ci_low", "_ci_high")
            )
            impact = f"{point} [{low}, {high}]"
        lines.append(
            f"| {row['value_chain_id']} | estimated | {row['evidence_grade']} | {row['estimator']} | {counts}"
            f" | {estimate} | {impact} |"
        )
    return "\n".join(lines)


def refresh_estimates(
    warehouse: Engine | duckdb.DuckDBPyConnection,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Read the inputs, estimate every value chain, replace stats.value_chain_estimates and the detail
    tables; return the estimates and the details."""
    frame, details = estimate_with_details(*read_inputs(warehouse))
    write_estimates(warehouse, frame, details)
    return frame, details


VALUE_CHAIN_TABLE_HEADER = ("value_chain_id", "evidence_grade", "insight", "action", "result", "impact")


def value_chain_table_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """One tuple per row of marts.value_chain (VALUE_CHAIN_TABLE_HEADER), for reports and `make demo`.

    A chain without an estimate shows its status and reason as the result.
    """
    return con.execute(
        """
        select
            value_chain_id,
            coalesce(evidence_grade, status),
            insight_sentence,
            action_sentence,
            coalesce(result_sentence, status || ': ' || status_reason),
            impact_sentence
        from marts.value_chain
        order by value_chain_id
        """
    ).fetchall()
