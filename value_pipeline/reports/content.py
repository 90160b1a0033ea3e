"""What each cadence report says, read from the marts: every figure keeps the mart cell it came from.

A ``Figure`` names its mart, column and key (the mart's grain), so ``figures.json`` lets anyone look
each printed number up in the published marts; a ``ChartData`` keeps the query its points came from.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import duckdb

from value_pipeline.summary import format_value

PERIOD_KEY = ("kpi_id", "period_start", "scope_type", "scope_id")
SCORECARD_KEY = ("kpi_id", "month_start", "scope_type", "scope_id")
ALERT_KEY = ("kpi_id", "date_day", "scope_type", "scope_id")
VALUE_CHAIN_KEY = ("value_chain_id",)
BLOCKER_KEY = ("use_case_id", "from_activity", "to_activity")
# A candidate's grain in marts.pain_to_value_map: an activity row has no from_activity.
CANDIDATE_KEY = {
    "transition": ("use_case_id", "subject_kind", "from_activity", "activity"),
    "activity": ("use_case_id", "subject_kind", "activity"),
}
# Rows shown per use case: transitions whose wait rose most, candidates of the pain-to-value map.
BLOCKERS_SHOWN = 3
CANDIDATES_SHOWN = 3
ALERTS_SHOWN = 10
ADOPTION_KPI = "ai_tool_adoption"
VALUE_KPI = "value_tracked"
# The registry setting (``settings:``) below which a rate over cases is not judged, and its default.
MIN_CASES_SETTING = "min_cases_to_judge"
DEFAULT_MIN_CASES = 20
TOO_FEW = "too_few_to_judge"
# What a KPI's denominator counts: the n printed beside its value. value_tracked has no denominator
# and sentiment_lift's is the earlier wave's mean score (its small groups are suppressed in the marts).
COUNTED = {
    "sla_compliance": "cases",
    "cycle_time_reduction": "cases",
    "ai_tool_adoption": "eligible users",
    "automation_coverage": "use cases",
}
# Rates over cases: on fewer than the minimum their status (and any alert) reads "too few to judge".
JUDGED_ON_CASES = {"sla_compliance", "cycle_time_reduction"}
# Display names of the scopes of a period fact (kpi_scorecard and kpi_variance_alerts carry their own).
SCOPE_NAME = """coalesce(
    (select use_case_name from marts.dim_use_case
     where use_case_id = f.scope_id and f.scope_type = 'use_case'),
    (select team_name from marts.dim_team where team_id = f.scope_id and f.scope_type = 'team'),
    (select business_unit_name from marts.dim_business_unit
     where business_unit_id = f.scope_id and f.scope_type = 'business_unit'),
    f.scope_id)"""


@dataclass(frozen=True)
class Figure:
    """One value printed in a report and the mart cell it was read from (``status``: same row's status)."""

    figure_id: str
    label: str
    value: float | str | bool | None
    display: str
    mart: str
    column: str
    key: dict[str, str]
    status: str | None = None
    count: Figure | None = None
    count_unit: str = ""
    too_few: bool = False

    @property
    def shown_status(self) -> str | None:
        """The status as printed: the mart's, unless there are too few cases to judge it."""
        return TOO_FEW if self.too_few and self.status else self.status


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[str | Figure]]
    note: str = ""


@dataclass(frozen=True)
class ChartData:
    """The points of one chart and the query over the marts that returned them."""

    name: str
    title: str
    caption: str
    query: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Kpi:
    kpi_id: str
    name: str
    unit: str
    direction: str


@dataclass(frozen=True)
class Report:
    cadence: str
    title: str
    audience: str
    period_label: str
    period_start: date
    period_end: date
    currency: str
    kpis: dict[str, Kpi]
    headline: list[Figure]
    tables: list[Table]
    charts: list[ChartData] = field(default_factory=list)
    min_cases: int = DEFAULT_MIN_CASES
    # True only when no complete period exists yet: the report's own period is still running.
    partial: bool = False
    # The running period shown beside the headline (None when the latest period is complete).
    running: RunningPeriod | None = None

    def figures(self) -> list[Figure]:
        """Every figure printed (each followed by its n): the headline, the running period's headline,
        then the tables' cells in reading order."""
        cells = [c for t in self.tables for row in t.rows for c in row if isinstance(c, Figure)]
        running = self.running.headline if self.running else []
        return [g for f in self.headline + running + cells for g in (f, f.count) if g is not None]


@dataclass(frozen=True)
class RunningPeriod:
    """The period still running (its last day is the as-of date, before the period's own end)."""

    label: str
    start: date
    end: date
    days: int
    headline: list[Figure]


def period_end(cadence: str, start: date) -> date:
    """The last day of the full week, month or quarter starting on ``start``."""
    if cadence == "weekly":
        return start + timedelta(days=6)
    last_month = start.month if cadence == "monthly" else start.month + 2
    return date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])


def is_partial(cadence: str, start: date, end: date) -> bool:
    """A period whose last day in the marts is before its own end is still running."""
    return end < period_end(cadence, start)


def min_cases_setting(settings: Mapping[str, Any]) -> int:
    """The registry's minimum number of cases to judge a rate over cases (default 20)."""
    value = settings.get(MIN_CASES_SETTING, DEFAULT_MIN_CASES)
    # A setting may arrive as YAML's int or as the text of the registry_settings table.
    whole = not isinstance(value, bool) and isinstance(value, int | str) and str(value).strip().isdigit()
    if not whole or int(value) < 1:
        raise ValueError(f"registry settings: {MIN_CASES_SETTING} must be a whole number >= 1, got {value!r}")
    return int(value)


def format_change(value: float | None, unit: str, currency: str) -> str:
    """A signed difference: percentage points for ratios, signed money for currency KPIs."""
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value * 100:+.1f} pp"
    if unit == "currency":
        return f"{currency} {value:+,.0f}"
    return f"{value:+,.2f}"


def date_literal(day: date) -> str:
    """A date written into a chart's recorded query, so the query runs as it stands in figures.json."""
    return f"date '{day.isoformat()}'"


def period_label(cadence: str, start: date) -> str:
    """``2026-W26``, ``2026-06`` or ``2026-Q2``: the folder name of a report period."""
    if cadence == "weekly":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if cadence == "monthly":
        return f"{start:%Y-%m}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def query_rows(
    con: duckdb.DuckDBPyConnection, query: str, params: Iterable[Any] = ()
) -> list[dict[str, Any]]:
    """The rows ``query`` returns, each a dict by column name (NULL as None)."""
    cursor = con.execute(query, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _key_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _hours(value: float) -> str:
    return f"{value:,.1f}"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def use_case_label(row: Mapping[str, Any]) -> str:
    """``Invoice matching (UC01)``, or the id alone when the use case has no other name."""
    name, use_case_id = row["use_case_name"], row["use_case_id"]
    return f"{name} ({use_case_id})" if name and name != use_case_id else use_case_id


def missing_rate(row: Mapping[str, Any]) -> str:
    """Why a pain-to-value candidate has hours but no cost: money needs a rate for every hour."""
    if row["costed_hours_share"]:
        return "part of its hours have no cost rate"
    return "no cost rate for its team"


def candidate_label(row: Mapping[str, Any]) -> str:
    """What a pain-to-value candidate is: the wait between two steps or the handling of one."""
    if row["subject_kind"] == "transition":
        return f"wait {row['from_activity']} -> {row['activity']}"
    return f"handling {row['activity']}"


class _Reader:
    """Reads the marts and turns cells into ``Figure`` objects with their provenance."""

    def __init__(self, con: duckdb.DuckDBPyConnection, min_cases: int):
        self.con = con
        self.min_cases = min_cases
        self.kpis = {
            r["kpi_id"]: Kpi(r["kpi_id"], r["kpi_name"], r["unit"], r["direction"])
            for r in query_rows(
                con, "select kpi_id, kpi_name, unit, direction from marts.dim_kpi order by kpi_id"
            )
        }
        currencies = query_rows(
            con,
            "select reporting_currency from marts.fct_value_tracked union "
            "select reporting_currency from marts.value_chain where reporting_currency is not null",
        )
        self.currency = currencies[0]["reporting_currency"] if currencies else ""

    def rows(self, query: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return query_rows(self.con, query, params)

    def figure(
        self,
        section: str,
        label: str,
        row: dict[str, Any],
        mart: str,
        key: tuple[str, ...],
        column: str,
        formatter: Callable[[Any], str],
    ) -> Figure:
        key_values = {k: _key_text(row[k]) for k in key}
        value = row[column]
        return Figure(
            figure_id=".".join([section, *key_values.values(), column]),
            label=label,
            value=value,
            display="-" if value is None else formatter(value),
            mart=mart,
            column=column,
            key=key_values,
            status=row.get("status") if column in {"value", "actual_value"} else None,
        )

    def kpi_figure(
        self, section: str, row: dict[str, Any], mart: str, key: tuple[str, ...], column: str, change=False
    ) -> Figure:
        kpi = self.kpis[row["kpi_id"]]
        fmt = format_change if change else format_value
        is_value = column in {"value", "actual_value"}
        label = kpi.name if is_value else f"{kpi.name}: {column.replace('_', ' ')}"
        figure = self.figure(
            section, label, row, mart, key, column, lambda v: fmt(v, kpi.unit, self.currency)
        )
        n = row.get("denominator")
        if not is_value or kpi.kpi_id not in COUNTED or n is None:
            return figure
        unit = COUNTED[kpi.kpi_id]
        count = self.figure(
            section, f"{kpi.name}: {unit}", row, mart, key, "denominator", lambda v: f"{v:,.0f}"
        )
        return replace(
            figure, count=count, count_unit=unit, too_few=kpi.kpi_id in JUDGED_ON_CASES and n < self.min_cases
        )

    def periods(self, cadence: str, mart: str, start: str, end: str) -> tuple[date, date | None]:
        """The period to report (the last complete one) and the running period beside it, if any.

        Only when the marts hold no complete period is the running one reported (``Report.partial``).
        Refuses marts without rows (nothing to report on).
        """
        latest = self.rows(
            f"select {start} as period_start, max({end}) as period_end from marts.{mart} "
            f"group by {start} order by {start} desc limit 2"
        )
        if not latest:
            raise ValueError(f"marts.{mart} is empty in the published marts: nothing to report")
        newest = latest[0]
        if len(latest) == 2 and is_partial(cadence, newest["period_start"], newest["period_end"]):
            return latest[1]["period_start"], newest["period_start"]
        return newest["period_start"], None

    def running(
        self,
        cadence: str,
        start: date | None,
        rows: list[dict],
        mart: str,
        key: tuple,
        column: str,
        end_column: str,
    ) -> RunningPeriod | None:
        """The running period's portfolio headline (``rows``: that period's rows), with its days so far."""
        if start is None:
            return None
        end = max(r[end_column] for r in rows)
        return RunningPeriod(
            label=period_label(cadence, start),
            start=start,
            end=end,
            days=(end - start).days + 1,
            headline=_headline(self, _scope(rows, "portfolio"), mart, key, column, section="running"),
        )

    def chart(self, name: str, title: str, caption: str, query: str) -> ChartData:
        return ChartData(name, title, caption, " ".join(query.split()), self.rows(query))

    def period_rows(self, fact: str, start: date, scope_type: str | None = None) -> list[dict[str, Any]]:
        scope = "and f.scope_type = ?" if scope_type else ""
        return self.rows(
            f"select f.*, {SCOPE_NAME} as scope_name from marts.{fact} f "
            f"where f.period_start = ? {scope} order by f.scope_type, f.scope_id, f.kpi_id",
            [start, scope_type] if scope_type else [start],
        )

    def scope_table(
        self, title: str, section: str, rows: list[dict], mart: str, key: tuple, column: str = "value"
    ) -> Table | None:
        """Scopes down, KPIs across: each cell the KPI value with its status (None without rows)."""
        if not rows:
            return None
        kpi_ids = sorted({r["kpi_id"] for r in rows})
        by_scope: dict[tuple[str, str], dict[str, dict]] = {}
        for r in rows:
            by_scope.setdefault((r["scope_id"], r["scope_name"]), {})[r["kpi_id"]] = r
        body: list[list[str | Figure]] = []
        for (scope_id, scope_name), cells in sorted(by_scope.items()):
            label = scope_name if scope_name == scope_id else f"{scope_name} ({scope_id})"
            body.append(
                [label]
                + [
                    self.kpi_figure(section, cells[k], mart, key, column) if k in cells else "-"
                    for k in kpi_ids
                ]
            )
        return Table(title, [section.replace("_", " ")] + [self.kpis[k].name for k in kpi_ids], body)

    def value_chain_table(self) -> Table:
        """Every value chain as its four sentences (insight, action, result, impact), as published."""
        rows = self.rows(
            """
            select value_chain_id, coalesce(evidence_grade, status) as evidence, status, status_reason,
                   insight_sentence, action_sentence, result_sentence, impact_sentence
            from marts.value_chain order by value_chain_id
            """
        )
        body: list[list[str | Figure]] = []
        for r in rows:
            text = {
                c: self.figure("value_chain", c.replace("_", " "), r, "value_chain", VALUE_CHAIN_KEY, c, str)
                for c in ("insight_sentence", "action_sentence", "result_sentence", "impact_sentence")
            }
            result = (
                text["result_sentence"] if r["result_sentence"] else f"{r['status']}: {r['status_reason']}"
            )
            body.append(
                [
                    r["value_chain_id"],
                    r["evidence"],
                    text["insight_sentence"],
                    text["action_sentence"],
                    result,
                    text["impact_sentence"],
                ]
            )
        return Table(
            "Value chains: insight, action, result against control, business impact",
            ["chain", "evidence", "insight", "action", "result", "impact"],
            body,
            "Business impact is net of the action's cost, with its 95% interval; only randomised and "
            "difference-in-differences evidence is causal.",
        )

    def kpi_trend(self, fact: str, end: date, grain: str) -> ChartData:
        return self.chart(
            "kpi_trend",
            f"Portfolio KPIs against their glide path ({grain})",
            f"marts.{fact}, portfolio scope, every {grain} up to {end.isoformat()}: the KPI value (line), "
            "its glide path (dashed) and target (dotted).",
            f"""
            select kpi_id, period_start, period_end, value, glide_path_value, target_value, status
            from marts.{fact}
            where scope_type = 'portfolio' and period_start <= {date_literal(end)}
            order by kpi_id, period_start
            """,
        )

    def adoption(self, fact: str, end: date, grain: str) -> ChartData:
        return self.chart(
            "adoption",
            f"AI tool adoption ({grain})",
            f"marts.{fact}, {ADOPTION_KPI}: share of eligible people using an AI tool in the 28 days to "
            "the period's last day, for the portfolio and each business unit, with the glide path.",
            f"""
            select f.scope_type, f.scope_id, {SCOPE_NAME} as scope_name, f.period_start, f.value,
                   f.glide_path_value
            from marts.{fact} f
            where f.kpi_id = '{ADOPTION_KPI}' and f.scope_type in ('portfolio', 'business_unit')
              and f.period_start <= {date_literal(end)}
            order by f.scope_type desc, f.scope_id, f.period_start
            """,
        )

    def value_vs_target(self, end: date) -> ChartData:
        return self.chart(
            "value_vs_target",
            "Value realised against target",
            f"marts.fct_kpi_monthly, {VALUE_KPI} at portfolio scope up to {end.isoformat()}: cumulative "
            f"value in {self.currency} (validated by Finance and estimated), the glide path and the target.",
            f"""
            select period_start, period_end, value, value_validated, value_estimated, glide_path_value,
                   target_value
            from marts.fct_kpi_monthly
            where kpi_id = '{VALUE_KPI}' and scope_type = 'portfolio' and period_start <= {date_literal(end)}
            order by period_start
            """,
        )

    def top_blockers(self) -> ChartData:
        return self.chart(
            "top_blockers",
            "Top blocker per use case: median wait, baseline against now",
            "marts.process_wait_changes: per use case the blocker whose median wait rose most from its "
            "baseline cases to its post-go-live cases (to the as-of date); bars are the median wait in "
            "hours, the label the rise.",
            """
            select w.use_case_id, coalesce(u.use_case_name, w.use_case_id) as use_case_name,
                   w.from_activity, w.to_activity, w.baseline_median_wait_hours, w.post_median_wait_hours,
                   w.wait_rise_hours
            from marts.process_wait_changes w
            left join marts.dim_use_case u using (use_case_id)
            where w.is_blocker
            qualify row_number() over (
                partition by w.use_case_id order by w.rise_rank, w.from_activity, w.to_activity) = 1
            order by w.wait_rise_hours desc, w.use_case_id
            """,
        )

    def pain_to_value(self) -> ChartData:
        return self.chart(
            "pain_to_value",
            "Largest candidate per use case: hours and opportunity per month",
            "marts.pain_to_value_map, opportunity rank 1 of each use case (last 12 months to the as-of "
            f"date): hours waited or handled per month, and the base monthly opportunity in {self.currency} "
            "with its low to high range; a candidate without a cost rate or an automation share has hours "
            "but no money.",
            """
            select use_case_id, use_case_name, subject_kind, from_activity, activity, monthly_hours,
                   monthly_cost, costed_hours_share, reporting_currency, opportunity_low, opportunity_base,
                   opportunity_high
            from marts.pain_to_value_map
            where opportunity_rank = 1
            order by opportunity_base desc nulls last, monthly_hours desc, use_case_id
            """,
        )

    def value_chain_intervals(self) -> ChartData:
        return self.chart(
            "value_chain_intervals",
            "Value chains: estimated change with 95% interval",
            "marts.value_chain, estimated chains: relative change of the metric credited to the action, with "
            "its 95% interval; the label says which direction is better and the evidence grade.",
            """
            select value_chain_id, value_chain_name, metric, evidence_grade, is_causal, direction,
                   relative_change, relative_change_ci_low, relative_change_ci_high
            from marts.value_chain
            where status = 'estimated' and relative_change is not null
            order by value_chain_id
            """,
        )


def _by_kpi(rows: list[dict]) -> dict[str, dict]:
    return {r["kpi_id"]: r for r in rows}


def _scope(rows: list[dict], scope_type: str) -> list[dict]:
    return [r for r in rows if r["scope_type"] == scope_type]


def _portfolio_table(reader: _Reader, title: str, rows: list[dict], previous: list[dict], mart: str) -> Table:
    """KPIs down: this period's value (with status), the previous period's, the glide path and the target."""
    before = _by_kpi(previous)
    body: list[list[str | Figure]] = []
    for kpi_id, r in sorted(_by_kpi(rows).items()):
        prev = before.get(kpi_id)
        body.append(
            [
                reader.kpis[kpi_id].name,
                reader.kpi_figure("portfolio", r, mart, PERIOD_KEY, "value"),
                reader.kpi_figure("previous", prev, mart, PERIOD_KEY, "value") if prev else "-",
                reader.kpi_figure("portfolio", r, mart, PERIOD_KEY, "glide_path_value"),
                reader.kpi_figure("portfolio", r, mart, PERIOD_KEY, "target_value"),
            ]
        )
    return Table(title, ["KPI", "this period", "previous period", "glide path", "target"], body)


def _headline(
    reader: _Reader, rows: list[dict], mart: str, key: tuple, column: str, section: str = "headline"
) -> list[Figure]:
    return [reader.kpi_figure(section, r, mart, key, column) for _, r in sorted(_by_kpi(rows).items())]


def _alerts_table(reader: _Reader, day: date) -> Table:
    mart = "kpi_variance_alerts"
    alerts = [
        (reader.kpi_figure("alert", a, mart, ALERT_KEY, "value"), a)
        for a in reader.rows(f"select * from marts.{mart} where date_day = ? order by alert_rank", [day])
    ]
    # Alerts on too few cases to judge go after the judged ones (a stable sort keeps the rank).
    alerts = sorted(alerts, key=lambda pair: pair[0].too_few)[:ALERTS_SHOWN]
    body: list[list[str | Figure]] = [
        [
            reader.kpis[a["kpi_id"]].name,
            f"{a['scope_type'].replace('_', ' ')}: {a['scope_name']}",
            value,
            reader.kpi_figure("alert", a, mart, ALERT_KEY, "glide_path_value"),
            reader.kpi_figure("alert", a, mart, ALERT_KEY, "drift", change=True),
            reader.figure(
                "alert",
                "direction of the drift",
                a,
                mart,
                ALERT_KEY,
                "is_unfavourable",
                lambda v: "behind" if v else "ahead",
            ),
        ]
        for value, a in alerts
    ]
    return Table(
        f"Variance alerts on {day.isoformat()}, most urgent first",
        ["KPI", "scope", "value", "glide path", "drift", "vs glide path"],
        body,
        f"The {ALERTS_SHOWN} highest-ranked KPI x scope drifts beyond the tolerance band around the glide "
        "path (marts.kpi_variance_alerts); none listed means every KPI is within its band. A rate over "
        f"fewer than {reader.min_cases} cases reads too few to judge and comes after the judged alerts.",
    )


def _unjudged_reason(rows: list[dict]) -> str:
    """Why a use case has no judged transition: a window without transitions, or too few in one."""
    if not any(r["post_transitions"] for r in rows):
        return "no post-go-live cases yet"
    if not any(r["baseline_transitions"] for r in rows):
        return "no baseline cases"
    return TOO_FEW.replace("_", " ")


def _blockers_table(reader: _Reader) -> Table:
    """Per use case the blockers (judged transitions whose median wait rose by more than the mart's
    threshold) that rose most since the baseline, the use case with the largest rise first; a use case
    without a judged transition says why."""
    mart = "process_wait_changes"
    rows = reader.rows(
        f"""
        select w.*, coalesce(u.use_case_name, w.use_case_id) as use_case_name
        from marts.{mart} w left join marts.dim_use_case u using (use_case_id)
        order by w.use_case_id, w.rise_rank nulls last, w.from_activity, w.to_activity
        """
    )
    by_use_case: dict[str, list[dict]] = {}
    for r in rows:
        by_use_case.setdefault(r["use_case_id"], []).append(r)
    rising: list[list[dict]] = []
    unjudged: list[list[dict]] = []
    for use_case_rows in by_use_case.values():
        judged = [r for r in use_case_rows if r["is_judged"]]
        top = [r for r in judged if r["is_blocker"]][:BLOCKERS_SHOWN]
        if top:
            rising.append(top)
        elif not judged:
            unjudged.append(use_case_rows)
    rising.sort(key=lambda top: -top[0]["wait_rise_hours"])
    body: list[list[str | Figure]] = []
    for top in rising:
        for r in top:
            transition = f"{r['from_activity']} -> {r['to_activity']}"

            def figure(name: str, column: str, fmt: Callable[[Any], str], r=r, label=transition) -> Figure:
                return reader.figure("blocker", f"{label}: {name}", r, mart, BLOCKER_KEY, column, fmt)

            body.append(
                [
                    use_case_label(r),
                    transition,
                    figure("baseline median wait", "baseline_median_wait_hours", _hours),
                    figure("median wait now", "post_median_wait_hours", _hours),
                    figure("rise", "wait_rise_hours", lambda v: f"{v:+,.1f}"),
                    figure("baseline transitions", "baseline_transitions", _count),
                    figure("transitions now", "post_transitions", _count),
                    figure("baseline cases", "baseline_cases", _count),
                    figure("cases now", "post_cases", _count),
                ]
            )
    for use_case_rows in unjudged:
        body.append([use_case_label(use_case_rows[0]), _unjudged_reason(use_case_rows), *["-"] * 7])
    return Table(
        "Top blockers: transitions whose median wait rose most since the baseline",
        [
            "use case",
            "from -> to",
            "baseline median wait h",
            "median wait now h",
            "rise h",
            "baseline transitions",
            "transitions now",
            "baseline cases",
            "cases now",
        ],
        body,
        f"Per use case, the up to {BLOCKERS_SHOWN} blockers whose median wait rose most from the use "
        "case's baseline cases (opened before go-live) to its post-go-live cases, to the as-of date "
        "(marts.process_wait_changes, the use case with the largest rise first). A blocker is a "
        "transition (one step directly followed by another) whose median wait rose by more than the "
        "registry's blocker_min_wait_rise share of its baseline median (default 20%), as in the operator "
        f"tracker. A transition is judged only when at least {reader.min_cases} cases have it in each "
        "window: a use case with none reads too few to judge (or names the window it has no cases in). A "
        "use case not listed has no blocker.",
    )


def _pain_to_value_table(reader: _Reader) -> Table:
    """The pain-to-value map's top candidates per use case, the use case with the largest opportunity
    first; where money is missing the hours stay and the cell says why."""
    mart = "pain_to_value_map"
    rows = reader.rows(
        f"""
        with ranked as (
            select *, max(opportunity_base) over (partition by use_case_id) as best_opportunity,
                   max(monthly_hours) over (partition by use_case_id) as most_hours
            from marts.{mart}
            where opportunity_rank <= {CANDIDATES_SHOWN}
        )
        select * from ranked
        order by best_opportunity desc nulls last, most_hours desc, use_case_id, opportunity_rank
        """
    )
    body: list[list[str | Figure]] = []
    for r in rows:
        label = candidate_label(r)
        currency = r["reporting_currency"] or reader.currency

        def figure(name: str, column: str, fmt: Callable[[Any], str], r=r, label=label) -> Figure:
            return reader.figure(
                "candidate", f"{label}: {name}", r, mart, CANDIDATE_KEY[r["subject_kind"]], column, fmt
            )

        def money(v: float, currency=currency) -> str:
            return format_value(v, "currency", currency)

        if r["monthly_cost"] is None:
            cost: str | Figure = missing_rate(r)
            opportunity: list[str | Figure] = ["-"] * 3
        else:
            cost = figure("cost per month", "monthly_cost", money)
            opportunity = [
                figure(f"opportunity {level}", f"opportunity_{level}", money)
                if r[f"opportunity_{level}"] is not None
                else "no share assumed"
                for level in ("low", "base", "high")
            ]
        body.append(
            [
                use_case_label(r),
                figure("rank", "opportunity_rank", _count),
                label,
                figure("months observed", "months_observed", _count),
                figure("per month", "monthly_volume", _hours),
                figure("hours per month", "monthly_hours", _hours),
                cost,
                *opportunity,
            ]
        )
    return Table(
        f"Pain-to-value ranking: where hours go and what automating them could be worth per month "
        f"({reader.currency})",
        [
            "use case",
            "rank",
            "candidate",
            "months observed",
            "per month",
            "hours per month",
            "cost per month",
            "opportunity low",
            "opportunity base",
            "opportunity high",
        ],
        body,
        f"The up to {CANDIDATES_SHOWN} largest candidates per use case over the last 12 months to the "
        "as-of date (marts.pain_to_value_map): waiting between two steps, or handling an activity from "
        "its start to its completion. Per month: the occurrences; cost: the hours at the team's hourly "
        "cost in reporting currency; opportunity: the cost times the automation share assumed in the "
        "registry (`assumptions`, low / base / high). Money needs an hourly cost (finance cost rates) "
        "and an FX rate for every hour of the candidate; where some are missing only the hours are "
        "shown and the cell says so. No share assumed: no registry `automation_share` assumption "
        "applies to the candidate.",
    )


def weekly_snapshot(con: duckdb.DuckDBPyConnection, min_cases: int = DEFAULT_MIN_CASES) -> Report:
    """The last complete ISO week for workstream leads (the running week's headline beside it): KPIs
    by portfolio, use case and team, and the alerts."""
    reader = _Reader(con, min_cases)
    mart = "fct_kpi_weekly"
    start, running = reader.periods("weekly", mart, "period_start", "period_end")
    rows = reader.period_rows(mart, start)
    end = max(r["period_end"] for r in rows)
    label = period_label("weekly", start)
    tables = [
        _portfolio_table(
            reader,
            f"Portfolio KPIs, week {label}",
            _scope(rows, "portfolio"),
            reader.period_rows(mart, start - timedelta(days=7), "portfolio"),
            mart,
        ),
        reader.scope_table("Use cases this week", "use_case", _scope(rows, "use_case"), mart, PERIOD_KEY),
        reader.scope_table("Teams this week", "team", _scope(rows, "team"), mart, PERIOD_KEY),
        _alerts_table(reader, end),
        _blockers_table(reader),
    ]
    return Report(
        cadence="weekly",
        title="Weekly dashboard snapshot",
        audience="Workstream leads",
        period_label=label,
        period_start=start,
        period_end=end,
        currency=reader.currency,
        kpis=reader.kpis,
        headline=_headline(reader, _scope(rows, "portfolio"), mart, PERIOD_KEY, "value"),
        tables=[t for t in tables if t is not None],
        charts=[
            reader.kpi_trend(mart, end, "week"),
            reader.adoption(mart, end, "week"),
            reader.top_blockers(),
        ],
        min_cases=min_cases,
        partial=is_partial("weekly", start, end),
        running=reader.running(
            "weekly",
            running,
            reader.period_rows(mart, running, "portfolio") if running else [],
            mart,
            PERIOD_KEY,
            "value",
            "period_end",
        ),
    )


def monthly_scorecard(con: duckdb.DuckDBPyConnection, min_cases: int = DEFAULT_MIN_CASES) -> Report:
    """The last complete month's scorecard for the steering committee (the running month's headline
    beside it), value against target, the value chains."""
    reader = _Reader(con, min_cases)
    mart = "kpi_scorecard"
    start, running = reader.periods("monthly", mart, "month_start", "month_end")

    def month(first: date | None) -> list[dict]:
        return reader.rows(
            f"select * from marts.{mart} where month_start = ? order by scope_type, scope_id, kpi_id", [first]
        )

    rows = month(start)
    end = max(r["month_end"] for r in rows)
    portfolio: list[list[str | Figure]] = []
    for kpi_id, r in sorted(_by_kpi(_scope(rows, "portfolio")).items()):
        portfolio.append(
            [reader.kpis[kpi_id].name]
            + [
                reader.kpi_figure(
                    "portfolio", r, mart, SCORECARD_KEY, column, change=column.startswith(("delta", "trend"))
                )
                for column in (
                    "actual_value",
                    "glide_path_value",
                    "target_value",
                    "trend_vs_previous_month",
                    "delta_vs_baseline",
                )
            ]
        )
    value_rows: list[list[str | Figure]] = [
        [f"{r['scope_name']} ({r['scope_id']})"]
        + [
            reader.kpi_figure("value", r, mart, SCORECARD_KEY, column)
            for column in ("actual_value", "value_validated", "value_estimated", "target_value")
        ]
        for r in _scope(rows, "use_case")
        if r["kpi_id"] == VALUE_KPI
    ]
    tables = [
        Table(
            f"Portfolio scorecard, {start:%B %Y}",
            ["KPI", "actual", "glide path", "target", "vs previous month", "vs baseline"],
            portfolio,
        ),
        reader.scope_table(
            "Business units",
            "business_unit",
            _scope(rows, "business_unit"),
            mart,
            SCORECARD_KEY,
            "actual_value",
        ),
        Table(
            f"Value realised against target per use case ({reader.currency}, cumulative)",
            ["use case", "realised", "validated by Finance", "estimated", "target"],
            value_rows,
        ),
        _pain_to_value_table(reader),
        reader.value_chain_table(),
    ]
    return Report(
        cadence="monthly",
        title="Monthly KPI scorecard",
        audience="Steering committee",
        period_label=period_label("monthly", start),
        period_start=start,
        period_end=end,
        currency=reader.currency,
        kpis=reader.kpis,
        headline=_headline(reader, _scope(rows, "portfolio"), mart, SCORECARD_KEY, "actual_value"),
        tables=[t for t in tables if t is not None],
        charts=[
            reader.kpi_trend("fct_kpi_monthly", end, "month"),
            reader.value_vs_target(end),
            reader.pain_to_value(),
            reader.value_chain_intervals(),
        ],
        min_cases=min_cases,
        partial=is_partial("monthly", start, end),
        running=reader.running(
            "monthly", running, month(running), mart, SCORECARD_KEY, "actual_value", "month_end"
        ),
    )


def quarterly_summary(con: duckdb.DuckDBPyConnection, min_cases: int = DEFAULT_MIN_CASES) -> Report:
    """The last complete quarter for the all-hands (the running quarter's headline beside it): KPIs
    quarter by quarter, value, adoption, the value chains."""
    reader = _Reader(con, min_cases)
    mart = "fct_kpi_quarterly"
    start, running = reader.periods("quarterly", mart, "period_start", "period_end")
    history = reader.rows(
        f"select * from marts.{mart} where scope_type = 'portfolio' order by period_start, kpi_id"
    )
    current = [r for r in history if r["period_start"] == start]
    end = max(r["period_end"] for r in current)
    quarters = sorted({r["period_start"] for r in history})
    cells = {(r["kpi_id"], r["period_start"]): r for r in history}
    by_quarter: list[list[str | Figure]] = [
        [kpi.name]
        + [
            reader.kpi_figure("quarter", cells[kpi_id, q], mart, PERIOD_KEY, "value")
            if (kpi_id, q) in cells
            else "-"
            for q in quarters
        ]
        for kpi_id, kpi in sorted(reader.kpis.items())
    ]
    tables = [
        Table(
            "Portfolio KPIs quarter by quarter",
            ["KPI"]
            + [f"{period_label('quarterly', q)}{' (partial)' if q == running else ''}" for q in quarters],
            by_quarter,
            "Flow KPIs add up the quarter's days; stock KPIs are the quarter's last day with a value. A "
            "quarter still running is marked partial.",
        ),
        reader.scope_table(
            f"Business units, {period_label('quarterly', start)}",
            "business_unit",
            reader.period_rows(mart, start, "business_unit"),
            mart,
            PERIOD_KEY,
        ),
        reader.value_chain_table(),
    ]
    return Report(
        cadence="quarterly",
        title="Quarterly all-hands summary",
        audience="All hands",
        period_label=period_label("quarterly", start),
        period_start=start,
        period_end=end,
        currency=reader.currency,
        kpis=reader.kpis,
        headline=_headline(reader, current, mart, PERIOD_KEY, "value"),
        tables=[t for t in tables if t is not None],
        charts=[
            reader.kpi_trend("fct_kpi_monthly", end, "month"),
            reader.value_vs_target(end),
            reader.adoption("fct_kpi_monthly", end, "month"),
            reader.value_chain_intervals(),
        ],
        min_cases=min_cases,
        partial=is_partial("quarterly", start, end),
        running=reader.running(
            "quarterly",
            running,
            [r for r in history if r["period_start"] == running],
            mart,
            PERIOD_KEY,
            "value",
            "period_end",
        ),
    )


BUILDERS: dict[str, Callable[[duckdb.DuckDBPyConnection, int], Report]] = {
    "weekly": weekly_snapshot,
    "monthly": monthly_scorecard,
    "quarterly": quarterly_summary,
}
