"""The demo run's cadence reports: every figure and chart point equals the published marts, and each
report opens offline in headless chromium without console errors.

Set VALUE_PIPELINE_UPDATE_SCREENSHOTS=1 to refresh docs/img/report_<cadence>.png from this run.
"""

import base64
import json
import math
import os
import re
import shutil
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.browser import capture, chromium_path, is_blank
from value_pipeline.config import PROJECT_ROOT
from value_pipeline.registry import parse_registry

pytestmark = pytest.mark.integration

REPORT_ASSETS = {
    "weekly": "weekly_snapshot",
    "monthly": "monthly_scorecard",
    "quarterly": "quarterly_summary",
}
# The last complete period of each cadence (its last day is the period's own last day) and the latest
# period, straight from the published marts.
COMPLETE_PERIOD = {
    "weekly": "select max(period_start) from marts.fct_kpi_weekly where period_end = period_start + 6",
    "monthly": "select max(month_start) from marts.kpi_scorecard where month_end = last_day(month_start)",
    "quarterly": "select max(period_start) from marts.fct_kpi_quarterly "
    "where period_end = last_day(period_start + interval 2 month)",
}
LATEST_PERIOD = {
    "weekly": "select max(period_start), max(period_end) from marts.fct_kpi_weekly",
    "monthly": "select max(month_start), max(month_end) from marts.kpi_scorecard",
    "quarterly": "select max(period_start), max(period_end) from marts.fct_kpi_quarterly",
}
DISPLAYED_NUMBER = re.compile(r"^(?:[A-Z]{3} )?(?P<number>[+-]?[\d,]+(?:\.\d+)?)(?P<suffix>%| pp)?$")
SCREENSHOTS = PROJECT_ROOT / "docs" / "img"


class _Page(HTMLParser):
    """The figures, images and anything that would load from the network in a report's HTML."""

    def __init__(self):
        super().__init__()
        self.figures: dict[str, str] = {}
        self.images: dict[str, str] = {}
        self.external: list[str] = []
        self.forbidden_tags: list[str] = []
        self._figure: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "link", "iframe", "object", "embed"}:
            self.forbidden_tags.append(tag)
        for name in ("src", "href"):
            if (attrs.get(name) or "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[name])
        if "data-figure" in attrs:
            self._figure = attrs["data-figure"]
            self.figures[self._figure] = ""
        if tag == "img":
            self.images[attrs["data-chart"]] = attrs["src"]

    def handle_data(self, data):
        if self._figure is not None:
            self.figures[self._figure] += data

    def handle_endtag(self, tag):
        self._figure = None


def _metadata(demo_run, name: str) -> dict:
    events = [
        e
        for e in demo_run.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["reports", name])
    ]
    assert len(events) == 1, f"reports/{name} was not materialized once by the demo run"
    return events[0].materialization.metadata


@pytest.fixture(scope="module")
def published(settings, demo_run) -> Path:
    """The publish folder CURRENT names, read here without the report code."""
    return settings.serving_root / (settings.serving_root / "CURRENT").read_text().strip()


@pytest.fixture(scope="module")
def marts(published: Path):
    con = duckdb.connect()
    con.execute("create schema marts")
    for file in published.glob("*.parquet"):
        con.execute(f"create view marts.{file.stem} as select * from '{file}'")
    yield con
    con.close()


@pytest.fixture(scope="module", params=sorted(REPORT_ASSETS))
def report(request, demo_run) -> dict:
    cadence = request.param
    metadata = _metadata(demo_run, REPORT_ASSETS[cadence])
    html = Path(metadata["report"].value)
    return {
        "cadence": cadence,
        "metadata": metadata,
        "html": html,
        "sidecar": json.loads((html.parent / "figures.json").read_text()),
    }


def _same(value, expected) -> bool:
    if isinstance(value, float) and isinstance(expected, float):
        return math.isclose(value, expected, rel_tol=1e-12, abs_tol=1e-12)
    return value == expected


def _display_matches(figure: dict) -> bool:
    """The printed text is the figure's value at the precision shown (or the text itself)."""
    value, display = figure["value"], figure["display"]
    if value is None:
        return display == "-"
    if isinstance(value, bool):
        return display == ("behind" if value else "ahead")
    if isinstance(value, str):
        return display == value
    match = DISPLAYED_NUMBER.match(display)
    assert match, f"{figure['figure_id']}: cannot read a number in {display!r}"
    number = float(match["number"].replace(",", ""))
    if match["suffix"]:
        return abs(number / 100 - value) <= 0.0005 + 1e-9
    decimals = len(match["number"].partition(".")[2])
    return abs(number - value) <= 0.5 * 10**-decimals + 1e-9


def _plain(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def test_reports_read_the_publish_of_their_run(report, published, settings):
    metadata = report["metadata"]
    assert metadata["publish_id"].value == published.name == report["sidecar"]["publish_id"]
    assert report["html"].is_relative_to(settings.reports_root / report["cadence"])
    assert report["html"].parent.name == report["sidecar"]["period"] == metadata["period"].value


def test_report_covers_the_last_complete_period_and_names_the_running_one(report, marts):
    complete = marts.execute(COMPLETE_PERIOD[report["cadence"]]).fetchone()[0]
    latest, as_of = marts.execute(LATEST_PERIOD[report["cadence"]]).fetchone()
    sidecar = report["sidecar"]
    assert sidecar["period_start"] == complete.isoformat() and sidecar["partial"] is False
    if latest == complete:
        assert sidecar["running_period"] is None
    else:
        assert (sidecar["running_period"]["period_start"], sidecar["running_period"]["period_end"]) == (
            latest.isoformat(),
            as_of.isoformat(),
        )


def test_the_demo_weekly_headline_is_the_last_full_week_with_small_counts_not_judged(demo_run):
    """The demo ends on Tuesday 2026-06-30: the weekly headline is the week to Sunday 06-28, the two
    days after it are the running week; use cases' weekly SLA rates over a handful of cases are not
    judged, the portfolio's (hundreds of cases) is."""
    html = Path(_metadata(demo_run, REPORT_ASSETS["weekly"])["report"].value)
    sidecar = json.loads((html.parent / "figures.json").read_text())
    assert (sidecar["period"], sidecar["period_end"]) == ("2026-W26", "2026-06-28")
    assert (sidecar["running_period"]["period"], sidecar["running_period"]["days"]) == ("2026-W27", 2)
    sla = {
        f["figure_id"]: f["shown_status"]
        for f in sidecar["figures"]
        if f["column"] == "value" and f["key"].get("kpi_id") == "sla_compliance"
    }
    assert sla["headline.sla_compliance.2026-06-22.portfolio.portfolio.value"] != "too_few_to_judge"
    assert "too_few_to_judge" in {s for i, s in sla.items() if i.startswith("use_case.")}


def test_every_rate_over_cases_shows_its_n_and_small_ones_are_not_judged(report, marts):
    figures = {f["figure_id"]: f for f in report["sidecar"]["figures"]}
    rates = [
        f
        for f in figures.values()
        if f["column"] in {"value", "actual_value"} and f["key"].get("kpi_id") == "sla_compliance"
    ]
    assert rates
    for figure in rates:
        count = figures[figure["count"]]
        assert count["column"] == "denominator" and count["key"] == figure["key"]
        judged = count["value"] is None or count["value"] >= report["sidecar"]["min_cases_to_judge"]
        expected = figure["status"] if judged or figure["status"] is None else "too_few_to_judge"
        assert figure["shown_status"] == expected, figure["figure_id"]


def test_every_printed_figure_equals_the_published_marts(report, marts):
    page = _Page()
    page.feed(report["html"].read_text())
    figures = report["sidecar"]["figures"]
    assert len(figures) > 20
    assert page.figures == {f["figure_id"]: f["display"] for f in figures}
    for figure in figures:
        where = " and ".join(f"cast({column} as varchar) = ?" for column in figure["key"])
        rows = marts.execute(
            f"select {figure['column']}, status from marts.{figure['mart']} where {where}"
            if figure["status"] is not None
            else f"select {figure['column']}, null from marts.{figure['mart']} where {where}",
            list(figure["key"].values()),
        ).fetchall()
        assert len(rows) == 1, f"{figure['figure_id']}: {len(rows)} mart rows for its key"
        value, status = rows[0]
        assert _same(figure["value"], value), figure["figure_id"]
        assert figure["status"] == status, figure["figure_id"]
        assert _display_matches(figure), (
            f"{figure['figure_id']}: {figure['display']!r} vs {figure['value']!r}"
        )


def test_headline_value_equals_the_scorecard(report, marts):
    """One figure cross-checked by hand: the portfolio value realised to date."""
    (headline,) = [
        f for f in report["sidecar"]["figures"] if f["figure_id"].startswith("headline.value_tracked.")
    ]
    expected = marts.execute(
        "select actual_value from marts.kpi_scorecard where kpi_id = 'value_tracked' "
        "and scope_type = 'portfolio' and month_start = (select max(month_start) from marts.kpi_scorecard)"
    ).fetchone()[0]
    assert headline["value"] == pytest.approx(expected, rel=1e-12)
    assert report["metadata"]["value_tracked"].value == pytest.approx(expected, rel=1e-12)


def test_every_chart_point_is_a_published_row(report, marts):
    folder = report["html"].parent
    for chart in report["sidecar"]["charts"]:
        cursor = marts.execute(chart["query"])
        names = [d[0] for d in cursor.description]
        rows = [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]
        assert rows == chart["rows"], chart["name"]
        assert rows, f"{chart['name']} has no points on the demo"
        assert not is_blank((folder / chart["file"]).read_bytes()), chart["name"]


def test_report_is_self_contained(report):
    page = _Page()
    page.feed(report["html"].read_text())
    assert page.forbidden_tags == [] and page.external == []
    files = {c["name"]: (report["html"].parent / c["file"]).read_bytes() for c in report["sidecar"]["charts"]}
    prefix = "data:image/png;base64,"
    assert {name: base64.b64decode(src.removeprefix(prefix)) for name, src in page.images.items()} == files
    assert all(src.startswith(prefix) for src in page.images.values())


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    shot = capture(report["html"].as_uri(), width=1400, height=900)
    assert shot.console_errors == []
    assert not is_blank(shot.screenshot)
    (tmp_path / "report.png").write_bytes(shot.screenshot)
    if os.environ.get("VALUE_PIPELINE_UPDATE_SCREENSHOTS"):
        shutil.copy(tmp_path / "report.png", SCREENSHOTS / f"report_{report['cadence']}.png")


def _figure_keys(sidecar: dict, section: str, columns: tuple[str, ...]) -> set[tuple]:
    return {
        tuple(f["key"].get(c) for c in columns)
        for f in sidecar["figures"]
        if f["figure_id"].startswith(f"{section}.")
    }


def test_the_weekly_top_blockers_are_the_blockers_of_the_marts(demo_run, marts):
    """Each use case's up to three blockers whose median wait rose most, with a chart of each use
    case's largest; unjudged transitions are never ranked."""
    html = Path(_metadata(demo_run, REPORT_ASSETS["weekly"])["report"].value)
    sidecar = json.loads((html.parent / "figures.json").read_text())
    expected = set(
        marts.execute(
            "select use_case_id, from_activity, to_activity from marts.process_wait_changes "
            "where is_blocker qualify row_number() over (partition by use_case_id order by rise_rank) <= 3"
        ).fetchall()
    )
    assert expected, "the demo has no blocker"
    assert _figure_keys(sidecar, "blocker", ("use_case_id", "from_activity", "to_activity")) == expected
    (chart,) = [c for c in sidecar["charts"] if c["name"] == "top_blockers"]
    assert {(r["use_case_id"], r["from_activity"], r["to_activity"]) for r in chart["rows"]} <= expected
    assert len(chart["rows"]) == len({key[0] for key in expected})
    assert "<h2>Top blockers: transitions whose median wait rose most since the baseline</h2>" in (
        html.read_text()
    )


def test_the_monthly_pain_to_value_ranking_and_its_hypothesis_drafts(demo_run, marts, settings):
    """The top three candidates of every use case, with a chart; beside the report the drafts, one per
    use case, parse when pasted under the registry's `hypotheses:`."""
    metadata = _metadata(demo_run, REPORT_ASSETS["monthly"])
    html = Path(metadata["report"].value)
    sidecar = json.loads((html.parent / "figures.json").read_text())
    expected = set(
        marts.execute(
            "select use_case_id, subject_kind, activity, from_activity from marts.pain_to_value_map "
            "where opportunity_rank <= 3"
        ).fetchall()
    )
    assert expected
    shown = _figure_keys(sidecar, "candidate", ("use_case_id", "subject_kind", "activity", "from_activity"))
    assert shown == expected
    (chart,) = [c for c in sidecar["charts"] if c["name"] == "pain_to_value"]
    assert len(chart["rows"]) == len({key[0] for key in expected})
    assert "Pain-to-value ranking" in html.read_text()

    drafts = Path(metadata["hypothesis_drafts"].value)
    assert drafts == html.parent / "hypothesis_drafts.yml"
    (registry_file,) = (settings.landing_root / "registry").glob("*.yml")
    own = registry_file.read_text()
    assert own.count("\nhypotheses:\n") == 1
    registry = parse_registry(
        own.replace("\nhypotheses:\n", f"\nhypotheses:\n{drafts.read_text()}"), str(registry_file)
    )
    drafted = {h["scope_id"] for h in registry.sections["hypotheses"] if h["id"].startswith("H-DRAFT-")}
    assert drafted == {key[0] for key in expected}
