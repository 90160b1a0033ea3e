"""The report charts as PNG bytes, drawn on matplotlib's Agg canvas (no pyplot, no display needed)."""

from __future__ import annotations

import math
from collections.abc import Callable
from io import BytesIO
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from value_pipeline.reports.content import ChartData, Kpi, candidate_label, missing_rate, use_case_label
from value_pipeline.value_chains import format_money

VALUE_COLOUR = "#1f4e79"
GLIDE_COLOUR = "#7f7f7f"
TARGET_COLOUR = "#2e7d32"
ESTIMATED_COLOUR = "#9ecae1"
GRADE_COLOURS = {
    "randomised": "#1b5e20",
    "diff_in_diff": "#2e7d32",
    "staggered_adoption": "#2e7d32",
    "synthetic_control": "#2e7d32",
    "interrupted_time_series": "#ef6c00",
    "before_after": "#f9a825",
}
OTHER_GRADE_COLOUR = "#c62828"


def _figure(width: float = 10, height: float = 5.5) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = BytesIO()
    # No "Software" stamp, so the same data gives the same bytes.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _axis_formatter(unit: str, currency: str) -> Callable:
    if unit == "ratio":
        return PercentFormatter(1.0, decimals=0)
    if unit == "currency":
        return FuncFormatter(lambda v, _: format_money(v, currency))
    return FuncFormatter(lambda v, _: f"{v:,.2f}")


def _empty(fig: Figure, message: str) -> bytes:
    fig.text(0.5, 0.5, message, ha="center", va="center", fontsize=14, color=GLIDE_COLOUR)
    return _png(fig)


def _series(rows: list[dict[str, Any]], column: str) -> list[float]:
    return [math.nan if r[column] is None else r[column] for r in rows]


def kpi_trend_png(chart: ChartData, kpis: dict[str, Kpi], currency: str) -> bytes:
    """Small multiples, one per KPI: value against glide path and target over the periods."""
    by_kpi: dict[str, list[dict]] = {}
    for row in chart.rows:
        by_kpi.setdefault(row["kpi_id"], []).append(row)
    cols = 3
    rows_n = max(1, math.ceil(len(by_kpi) / cols))
    fig = _figure(12, 3.2 * rows_n + 0.6)
    if not by_kpi:
        return _empty(fig, "no portfolio KPI rows yet")
    fig.suptitle(chart.title, fontsize=13)
    for i, (kpi_id, points) in enumerate(sorted(by_kpi.items())):
        kpi = kpis[kpi_id]
        ax = fig.add_subplot(rows_n, cols, i + 1)
        x = [r["period_start"] for r in points]
        ax.plot(x, _series(points, "value"), color=VALUE_COLOUR, marker="o", markersize=3, label="actual")
        ax.plot(
            x, _series(points, "glide_path_value"), color=GLIDE_COLOUR, linestyle="--", label="glide path"
        )
        ax.plot(x, _series(points, "target_value"), color=TARGET_COLOUR, linestyle=":", label="target")
        ax.set_title(kpi.name, fontsize=10)
        ax.yaxis.set_major_formatter(_axis_formatter(kpi.unit, currency))
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="best")
    return _png(fig)


def value_vs_target_png(chart: ChartData, currency: str) -> bytes:
    """Cumulative value realised (validated and estimated, stacked) against the glide path and target."""
    fig = _figure()
    if not chart.rows:
        return _empty(fig, "no value tracked yet")
    ax = fig.add_subplot()
    x = [r["period_start"] for r in chart.rows]
    validated = [r["value_validated"] or 0.0 for r in chart.rows]
    estimated = [r["value_estimated"] or 0.0 for r in chart.rows]
    ax.bar(x, validated, width=20, color=VALUE_COLOUR, label="validated by Finance")
    ax.bar(x, estimated, width=20, bottom=validated, color=ESTIMATED_COLOUR, label="estimated")
    ax.plot(
        x, _series(chart.rows, "glide_path_value"), color=GLIDE_COLOUR, linestyle="--", label="glide path"
    )
    ax.plot(x, _series(chart.rows, "target_value"), color=TARGET_COLOUR, linestyle=":", label="target")
    ax.set_title(chart.title)
    ax.set_ylabel(f"cumulative value ({currency})")
    ax.yaxis.set_major_formatter(_axis_formatter("currency", currency))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left")
    return _png(fig)


def adoption_png(chart: ChartData) -> bytes:
    """The adoption curve of the portfolio (bold, with its glide path) and of each business unit."""
    fig = _figure()
    if not chart.rows:
        return _empty(fig, "no AI tool adoption rows yet")
    ax = fig.add_subplot()
    by_scope: dict[tuple[str, str], list[dict]] = {}
    for row in chart.rows:
        by_scope.setdefault((row["scope_type"], row["scope_name"]), []).append(row)
    for (scope_type, name), points in by_scope.items():
        x = [r["period_start"] for r in points]
        if scope_type == "portfolio":
            ax.plot(x, _series(points, "value"), color=VALUE_COLOUR, linewidth=3, label="portfolio")
            ax.plot(
                x, _series(points, "glide_path_value"), color=GLIDE_COLOUR, linestyle="--", label="glide path"
            )
        else:
            ax.plot(x, _series(points, "value"), linewidth=1.2, label=name)
    ax.set_title(chart.title)
    ax.set_ylabel("eligible people using AI tools")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def value_chain_intervals_png(chart: ChartData) -> bytes:
    """Each estimated value chain's relative change with its 95% interval, coloured by evidence grade."""
    fig = _figure(10, 1.0 + 0.55 * max(len(chart.rows), 3))
    if not chart.rows:
        return _empty(fig, "no estimated value chain yet")
    ax = fig.add_subplot()
    for y, row in enumerate(reversed(chart.rows)):
        point = row["relative_change"]
        low, high = row["relative_change_ci_low"], row["relative_change_ci_high"]
        colour = GRADE_COLOURS.get(row["evidence_grade"], OTHER_GRADE_COLOUR)
        ax.errorbar(
            point, y, xerr=[[point - low], [high - point]], fmt="o", color=colour, capsize=4, markersize=6
        )
    better = {"lower_is_better": "lower is better", "higher_is_better": "higher is better"}
    ax.set_yticks(
        range(len(chart.rows)),
        [
            f"{r['value_chain_id']} {r['metric']} ({better.get(r['direction'], r['direction'])}, "
            f"{r['evidence_grade']})"
            for r in reversed(chart.rows)
        ],
        fontsize=8,
    )
    ax.axvline(0, color=GLIDE_COLOUR, linewidth=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("relative change of the metric (95% interval)")
    ax.set_title(chart.title)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def _label(row: dict[str, Any], subject: str) -> str:
    return f"{use_case_label(row)}\n{subject}"


def top_blockers_png(chart: ChartData) -> bytes:
    """Each use case's top blocker: its median wait at baseline and now, labelled with the rise."""
    fig = _figure(10, 1.8 + 0.6 * max(len(chart.rows), 2))
    if not chart.rows:
        return _empty(fig, "no blocker: no judged transition waits much longer than at baseline")
    ax = fig.add_subplot()
    rows = list(reversed(chart.rows))  # largest rise on top
    y = range(len(rows))
    half = 0.38
    now = [r["post_median_wait_hours"] for r in rows]
    ax.barh(
        [i + half / 2 for i in y],
        [r["baseline_median_wait_hours"] for r in rows],
        half,
        color=GLIDE_COLOUR,
        label="baseline",
    )
    ax.barh([i - half / 2 for i in y], now, half, color=VALUE_COLOUR, label="now (post go-live)")
    for i, row in enumerate(rows):
        ax.annotate(
            f"+{row['wait_rise_hours']:,.1f} h",
            (now[i], i - half / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(
        list(y), [_label(r, f"{r['from_activity']} -> {r['to_activity']}") for r in rows], fontsize=8
    )
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.margins(x=0.12)  # room for the rise beside the longest bar
    ax.set_xlabel("median wait (hours)")
    ax.set_title(chart.title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _png(fig)


def pain_to_value_png(chart: ChartData, currency: str) -> bytes:
    """Each use case's largest candidate: hours per month (left) and the base monthly opportunity with
    its low to high range (right), or why there is no money."""
    fig = _figure(12, 1.8 + 0.6 * max(len(chart.rows), 2))
    if not chart.rows:
        return _empty(fig, "no pain-to-value candidate yet")
    rows = list(reversed(chart.rows))  # largest on top
    y = list(range(len(rows)))
    hours_ax, money_ax = fig.subplots(1, 2, sharey=True)
    hours_ax.barh(y, [r["monthly_hours"] for r in rows], height=0.6, color=GLIDE_COLOUR)
    hours_ax.set_ylim(-0.7, len(rows) - 0.3)
    hours_ax.set_xlabel("hours per month")
    hours_ax.set_yticks(y, [_label(r, candidate_label(r)) for r in rows], fontsize=8)
    for i, row in enumerate(rows):
        base = row["opportunity_base"]
        if base is None:
            why = missing_rate(row) if row["monthly_cost"] is None else "no share assumed"
            money_ax.annotate(
                why,
                (0, i),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=GLIDE_COLOUR,
            )
            continue
        money_ax.barh(i, base, height=0.6, color=VALUE_COLOUR)
        money_ax.errorbar(
            base,
            i,
            xerr=[[base - row["opportunity_low"]], [row["opportunity_high"] - base]],
            fmt="none",
            color="black",
            capsize=4,
        )
    money_ax.set_xlabel(f"opportunity per month ({currency}), base with low to high")
    money_ax.xaxis.set_major_formatter(_axis_formatter("currency", currency))
    for ax in (hours_ax, money_ax):
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(chart.title, fontsize=13)
    return _png(fig)
