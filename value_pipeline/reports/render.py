"""Write a cadence report: ``report.html`` (self-contained), one PNG per chart and ``figures.json``.

The HTML inlines its CSS and embeds the same PNG bytes written beside it, so it opens without a
network. Each printed figure is a ``data-figure`` element whose id ``figures.json`` resolves to a
mart, column and key; each chart lists the query over the marts its points came from.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from value_pipeline.config import PROJECT_ROOT
from value_pipeline.reports.charts import (
    adoption_png,
    kpi_trend_png,
    pain_to_value_png,
    top_blockers_png,
    value_chain_intervals_png,
    value_vs_target_png,
)
from value_pipeline.reports.content import BUILDERS, DEFAULT_MIN_CASES, ChartData, Figure, Report
from value_pipeline.reports.marts import connect_marts

TEMPLATES = PROJECT_ROOT / "assets" / "report_templates"
TEMPLATE = "report.html.j2"
HTML_NAME = "report.html"
SIDECAR_NAME = "figures.json"


@dataclass(frozen=True)
class WrittenReport:
    report: Report
    publish_id: str
    folder: Path
    html: Path
    sidecar: Path
    pngs: list[Path]


def chart_png(chart: ChartData, report: Report) -> bytes:
    """The PNG of one of the report's charts, by the chart's name."""
    if chart.name == "kpi_trend":
        return kpi_trend_png(chart, report.kpis, report.currency)
    if chart.name == "value_vs_target":
        return value_vs_target_png(chart, report.currency)
    if chart.name == "adoption":
        return adoption_png(chart)
    if chart.name == "value_chain_intervals":
        return value_chain_intervals_png(chart)
    if chart.name == "top_blockers":
        return top_blockers_png(chart)
    if chart.name == "pain_to_value":
        return pain_to_value_png(chart, report.currency)
    raise ValueError(f"no drawing for chart {chart.name!r}")


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def _figure_entry(figure: Figure) -> dict[str, Any]:
    """A figure as its sidecar entry: its n by figure id, and the status as printed beside the mart's."""
    entry = asdict(figure)
    entry["count"] = figure.count.figure_id if figure.count else None
    entry["shown_status"] = figure.shown_status
    return entry


def sidecar(report: Report, publish_id: str) -> dict[str, Any]:
    """The machine-readable twin of the HTML: each figure with its mart cell, each chart's query and rows."""
    return {
        "cadence": report.cadence,
        "title": report.title,
        "audience": report.audience,
        "period": report.period_label,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "currency": report.currency,
        "publish_id": publish_id,
        "partial": report.partial,
        "running_period": (
            {
                "period": report.running.label,
                "period_start": report.running.start,
                "period_end": report.running.end,
                "days": report.running.days,
            }
            if report.running
            else None
        ),
        "min_cases_to_judge": report.min_cases,
        "figures": [_figure_entry(f) for f in report.figures()],
        "charts": [
            {"name": c.name, "file": f"{c.name}.png", "title": c.title, "query": c.query, "rows": c.rows}
            for c in report.charts
        ],
    }


def render_html(report: Report, pngs: dict[str, bytes], publish_id: str) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    charts = [(c, base64.b64encode(pngs[c.name]).decode("ascii")) for c in report.charts]
    return env.get_template(TEMPLATE).render(report=report, charts=charts, publish_id=publish_id)


def write_report(
    cadence: str, marts_dir: Path, reports_root: Path, min_cases: int = DEFAULT_MIN_CASES
) -> WrittenReport:
    """Build the report of ``cadence`` from ``marts_dir`` into ``<reports_root>/<cadence>/<period>``
    (``<period>`` is the last complete period); a rate over fewer than ``min_cases`` cases is not judged."""
    con = connect_marts(marts_dir)
    try:
        report = BUILDERS[cadence](con, min_cases)
    finally:
        con.close()
    folder = reports_root / cadence / report.period_label
    folder.mkdir(parents=True, exist_ok=True)
    pngs = {c.name: chart_png(c, report) for c in report.charts}
    png_paths = []
    for name, data in pngs.items():
        path = folder / f"{name}.png"
        path.write_bytes(data)
        png_paths.append(path)
    publish_id = marts_dir.name
    sidecar_path = folder / SIDECAR_NAME
    sidecar_path.write_text(json.dumps(sidecar(report, publish_id), indent=1, default=_json_default))
    html_path = folder / HTML_NAME
    html_path.write_text(render_html(report, pngs, publish_id), encoding="utf-8")
    return WrittenReport(report, publish_id, folder, html_path, sidecar_path, png_paths)
