"""Cadence reports on a few hand-made published marts: periods, figures, provenance, self-containment."""

import base64
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from value_pipeline.config import DEMO_REGISTRY
from value_pipeline.registry import Registry, RegistryError, load_registry, parse_registry
from value_pipeline.reports.charts import (
    adoption_png,
    pain_to_value_png,
    top_blockers_png,
    value_chain_intervals_png,
)
from value_pipeline.reports.content import (
    ChartData,
    format_change,
    is_partial,
    min_cases_setting,
    period_end,
    period_label,
)
from value_pipeline.reports.hypotheses import hypothesis_drafts, write_hypothesis_drafts
from value_pipeline.reports.marts import connect_marts, current_publish_dir
from value_pipeline.reports.render import write_report

D = date.fromisoformat
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _period_rows(starts: list[tuple[str, str]]) -> pd.DataFrame:
    """Adoption (of 40 eligible users) and SLA compliance (of 27 cases in the portfolio, 4 in the team)
    for the portfolio and a team, value for the portfolio and a use case, per period."""
    rows = []
    for i, (start, end) in enumerate(starts):
        adoption = 0.5 + 0.125 * i
        for scope_type, scope_id in (("portfolio", "portfolio"), ("team", "fin_ap")):
            rows.append(
                ("ai_tool_adoption", start, end, scope_type, scope_id, adoption, 0.4, 0.8, "on_track")
            )
        rows.append(("sla_compliance", start, end, "portfolio", "portfolio", 22 / 27, 0.9, 0.95, "off_track"))
        rows.append(("sla_compliance", start, end, "team", "fin_ap", 0.0, 0.9, 0.95, "off_track"))
        for scope_type, scope_id in (("portfolio", "portfolio"), ("use_case", "UC01")):
            rows.append(
                (
                    "value_tracked",
                    start,
                    end,
                    scope_type,
                    scope_id,
                    1000.0 + 500 * i,
                    2000.0,
                    3000.0,
                    "off_track",
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "kpi_id",
            "period_start",
            "period_end",
            "scope_type",
            "scope_id",
            "value",
            "glide_path_value",
            "target_value",
            "status",
        ],
    )
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.date
    frame["denominator"] = [
        {"ai_tool_adoption": 40.0, "sla_compliance": 27.0 if scope == "portfolio" else 4.0}.get(kpi)
        for kpi, scope in zip(frame["kpi_id"], frame["scope_type"], strict=True)
    ]
    frame["numerator"] = frame["value"] * frame["denominator"]
    is_value = frame["kpi_id"] == "value_tracked"
    frame["value_validated"] = frame["value"].where(is_value) - 250
    frame["value_estimated"] = 250.0
    frame.loc[~is_value, "value_estimated"] = None
    return frame


WAIT_CHANGE_COLUMNS = [
    "use_case_id",
    "from_activity",
    "to_activity",
    "baseline_transitions",
    "post_transitions",
    "baseline_cases",
    "post_cases",
    "baseline_median_wait_hours",
    "post_median_wait_hours",
    "wait_rise_hours",
    "is_judged",
    "is_blocker",
    "rise_rank",
]


def _wait_changes() -> pd.DataFrame:
    """UC01: two blockers around a judged rise too small to block (it ranks between them), a judged
    fall and an unjudged rework loop that rose most; UC02: too few cases in a window; UC03: no
    post-go-live cases; UC04: judged, but its only wait fell."""
    frame = pd.DataFrame(
        [
            ("UC01", "Match", "Pay", 40, 36, 30, 28, 5.0, 7.0, 2.0, True, True, 3),
            ("UC01", "Receive", "Match", 44, 40, 30, 28, 10.0, 14.5, 4.5, True, True, 1),
            ("UC01", "Open", "Receive", 30, 28, 30, 28, 40.0, 43.0, 3.0, True, False, 2),
            ("UC01", "Pay", "Close", 30, 28, 30, 28, 3.0, 2.0, -1.0, True, False, 4),
            ("UC01", "Match", "Match", 6, 9, 5, 8, 1.0, 51.0, 50.0, False, False, None),
            ("UC02", "Open", "Route", 3, 2, 3, 2, 2.0, 9.0, 7.0, False, False, None),
            ("UC03", "Open", "Close", 25, 0, 25, 0, 4.0, None, None, False, False, None),
            ("UC04", "Open", "Close", 25, 25, 25, 25, 4.0, 3.0, -1.0, True, False, 1),
        ],
        columns=WAIT_CHANGE_COLUMNS,
    )
    return frame.astype({"rise_rank": "Int64"})


PAIN_TO_VALUE_COLUMNS = [
    "use_case_id",
    "use_case_name",
    "subject_kind",
    "from_activity",
    "activity",
    "hours_basis",
    "months_observed",
    "monthly_volume",
    "monthly_hours",
    "rework_count",
    "handoff_count",
    "reporting_currency",
    "monthly_cost",
    "automation_share_low",
    "automation_share_base",
    "automation_share_high",
    "opportunity_low",
    "opportunity_base",
    "opportunity_high",
    "opportunity_rank",
    "mean_hours",
    "costed_hours_share",
]


def _candidate(use_case, kind, source, activity, hours, cost, shares, rank, name, costed=None):
    """A pain_to_value_map row: ``hours`` a month at ``cost``, valued at ``shares`` (low, base, high);
    ``costed``: the share of the hours with a cost rate (all of them when there is a cost)."""
    opportunity = [None if cost is None or s is None else cost * s for s in shares]
    basis = "waiting" if kind == "transition" else "handling"
    costed = 1.0 if cost is not None else costed
    volume = 2.5 * hours
    return (
        use_case,
        name,
        kind,
        source,
        activity,
        basis,
        12,
        volume,
        hours,
        0,
        3,
        "USD",
        cost,
        *shares,
        *opportunity,
        rank,
        hours / volume,
        costed,
    )


def _pain_to_value() -> pd.DataFrame:
    """UC01: a valued wait, a handling without an automation share, a third and a fourth candidate;
    UC02: a wait whose team has no cost rate; UC03: a handling with rates for part of its hours."""
    valued, unvalued, uc01 = (0.25, 0.5, 0.75), (None, None, None), "Invoice matching"
    rows = [
        _candidate("UC01", "transition", "Receive", "Match", 120.0, 6000.0, valued, 1, uc01),
        _candidate("UC01", "activity", None, "Match", 80.0, 4000.0, unvalued, 2, uc01),
        _candidate("UC01", "transition", "Pay", "Close", 20.0, 1000.0, valued, 3, uc01),
        _candidate("UC01", "transition", "Match", "Pay", 10.0, 500.0, valued, 4, uc01),
        _candidate("UC02", "transition", "Open", "Route", 50.0, None, valued, 1, "Ticket triage", 0.0),
        _candidate("UC03", "activity", None, "Reset", 8.0, None, valued, 1, "Password reset", 0.5),
    ]
    return pd.DataFrame(rows, columns=PAIN_TO_VALUE_COLUMNS)


def _marts() -> dict[str, pd.DataFrame]:
    monthly = _period_rows([("2026-05-01", "2026-05-31"), ("2026-06-01", "2026-06-30")])
    scorecard = monthly.rename(
        columns={"period_start": "month_start", "period_end": "month_end", "value": "actual_value"}
    )
    scorecard["scope_name"] = scorecard["scope_id"].map(
        {"portfolio": "Portfolio", "fin_ap": "Accounts Payable", "UC01": "Invoice matching"}
    )
    scorecard["trend_vs_previous_month"] = 0.125
    scorecard["delta_vs_baseline"] = 0.25
    return {
        "dim_kpi": pd.DataFrame(
            [
                ("ai_tool_adoption", "AI-tool adoption", "ratio", "higher_is_better"),
                ("value_tracked", "Value tracked", "currency", "higher_is_better"),
                ("sla_compliance", "SLA compliance", "ratio", "higher_is_better"),
            ],
            columns=["kpi_id", "kpi_name", "unit", "direction"],
        ),
        "dim_use_case": pd.DataFrame({"use_case_id": ["UC01"], "use_case_name": ["Invoice matching"]}),
        "dim_team": pd.DataFrame({"team_id": ["fin_ap"], "team_name": ["Accounts Payable"]}),
        "dim_business_unit": pd.DataFrame({"business_unit_id": ["fin"], "business_unit_name": ["Finance"]}),
        "fct_value_tracked": pd.DataFrame({"reporting_currency": ["USD"]}),
        "fct_kpi_weekly": _period_rows([("2026-06-22", "2026-06-28"), ("2026-06-29", "2026-06-30")]),
        "fct_kpi_monthly": monthly,
        "fct_kpi_quarterly": _period_rows([("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30")]),
        "kpi_scorecard": scorecard,
        "kpi_variance_alerts": pd.DataFrame(
            [
                (
                    "sla_compliance",
                    D("2026-06-28"),
                    "team",
                    "fin_ap",
                    "Accounts Payable",
                    0.0,
                    0.9,
                    -0.9,
                    True,
                    1,
                    "off_track",
                    0.0,
                    3.0,
                ),
                (
                    "value_tracked",
                    D("2026-06-28"),
                    "use_case",
                    "UC01",
                    "Invoice matching",
                    1500.0,
                    2000.0,
                    -500.0,
                    True,
                    2,
                    "off_track",
                    1500.0,
                    None,
                ),
            ],
            columns=[
                "kpi_id",
                "date_day",
                "scope_type",
                "scope_id",
                "scope_name",
                "value",
                "glide_path_value",
                "drift",
                "is_unfavourable",
                "alert_rank",
                "status",
                "numerator",
                "denominator",
            ],
        ),
        "process_wait_changes": _wait_changes(),
        "pain_to_value_map": _pain_to_value(),
        "value_chain": pd.DataFrame(
            [
                (
                    "VC01",
                    "Reply suggestions",
                    "estimated",
                    None,
                    "randomised",
                    True,
                    "handle_minutes",
                    "lower_is_better",
                    -0.1,
                    -0.15,
                    -0.05,
                    "USD",
                    "We learned <b>this</b>",
                    "We acted",
                    "Handle time fell 10%",
                    None,
                ),
                (
                    "VC02",
                    None,
                    "rejected",
                    "a survey is not an action",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ),
            ],
            columns=[
                "value_chain_id",
                "value_chain_name",
                "status",
                "status_reason",
                "evidence_grade",
                "is_causal",
                "metric",
                "direction",
                "relative_change",
                "relative_change_ci_low",
                "relative_change_ci_high",
                "reporting_currency",
                "insight_sentence",
                "action_sentence",
                "result_sentence",
                "impact_sentence",
            ],
        ),
    }


@pytest.fixture
def serving(tmp_path: Path) -> Path:
    """A serving root as the publish step leaves it: one publish folder and CURRENT naming it."""
    root = tmp_path / "serving"
    folder = root / "2026-07-01T02-00-00.000000Z"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    for name, frame in _marts().items():
        con.register("frame", frame)
        con.execute(f"copy (select * from frame) to '{folder / name}.parquet' (format parquet)")
        con.unregister("frame")
    (root / "CURRENT").write_text(f"{folder.name}\n")
    return root


def _figures_in_html(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))


def test_period_labels():
    assert period_label("weekly", D("2026-06-29")) == "2026-W27"
    assert period_label("weekly", D("2024-12-30")) == "2025-W01"  # ISO year, not calendar year
    assert period_label("monthly", D("2026-06-01")) == "2026-06"
    assert period_label("quarterly", D("2026-04-01")) == "2026-Q2"


def test_changes_are_signed_points_or_money():
    assert format_change(0.0125, "ratio", "USD") == "+1.2 pp"
    assert format_change(-500.0, "currency", "EUR") == "EUR -500"
    assert format_change(None, "ratio", "USD") == "-"


def test_current_publish_dir_follows_the_pointer(serving: Path, tmp_path: Path):
    assert current_publish_dir(serving) == serving / "2026-07-01T02-00-00.000000Z"
    with pytest.raises(FileNotFoundError, match="no published marts"):
        current_publish_dir(tmp_path / "never_published")


def test_connect_marts_exposes_each_parquet_as_a_view(serving: Path):
    con = connect_marts(current_publish_dir(serving))
    assert con.execute("select count(*) from marts.fct_kpi_weekly").fetchone()[0] == 12
    con.close()


def test_weekly_snapshot_reports_the_last_complete_week_with_the_running_one_beside(
    serving: Path, tmp_path: Path
):
    """The marts' latest week (2026-06-29 .. the as-of date 06-30) is two days of seven: the headline is
    the week before, the running week is shown beside it, labelled partial."""
    written = write_report("weekly", current_publish_dir(serving), tmp_path / "reports")
    assert written.html == tmp_path / "reports" / "weekly" / "2026-W26" / "report.html"
    html = written.html.read_text()
    shown = _figures_in_html(html)
    assert shown["headline.ai_tool_adoption.2026-06-22.portfolio.portfolio.value"] == "50.0%"
    assert shown["running.ai_tool_adoption.2026-06-29.portfolio.portfolio.value"] == "62.5%"
    assert shown["headline.value_tracked.2026-06-22.portfolio.portfolio.value"] == "USD 1,000"
    assert shown["alert.value_tracked.2026-06-28.use_case.UC01.drift"] == "USD -500"
    assert shown["alert.value_tracked.2026-06-28.use_case.UC01.is_unfavourable"] == "behind"
    assert 'Headline: 2026-W26 <span class="partial-label">(complete)</span>' in html
    assert (
        'Running: 2026-W27 <span class="partial-label">(partial: 2 days so far, 2026-06-29 to 2026-06-30)'
        in html
    )
    sidecar = json.loads(written.sidecar.read_text())
    assert (sidecar["period_start"], sidecar["period_end"], sidecar["partial"]) == (
        "2026-06-22",
        "2026-06-28",
        False,
    )
    assert sidecar["running_period"] == {
        "period": "2026-W27",
        "period_start": "2026-06-29",
        "period_end": "2026-06-30",
        "days": 2,
    }


def test_a_complete_latest_period_is_reported_without_a_running_one(serving: Path, tmp_path: Path):
    written = write_report("monthly", current_publish_dir(serving), tmp_path / "reports")
    report = written.report
    assert (report.period_label, report.partial, report.running) == ("2026-06", False, None)
    assert "Running:" not in written.html.read_text()


def test_only_a_running_period_is_reported_and_labelled_partial(serving: Path, tmp_path: Path):
    marts_dir = current_publish_dir(serving)
    weekly = marts_dir / "fct_kpi_weekly.parquet"
    duckdb.execute(
        f"copy (select * from '{weekly}' where period_start = date '2026-06-29') "
        f"to '{tmp_path / 'running.parquet'}' (format parquet)"
    )
    (tmp_path / "running.parquet").replace(weekly)
    written = write_report("weekly", marts_dir, tmp_path / "reports")
    assert (written.report.period_label, written.report.partial, written.report.running) == (
        "2026-W27",
        True,
        None,
    )
    html = written.html.read_text()
    assert "<h1>Weekly dashboard snapshot: 2026-W27 (partial)</h1>" in html
    assert "still running: the figures cover only the days so far" in html


def test_each_rate_shows_its_n_and_too_few_cases_are_not_judged(serving: Path, tmp_path: Path):
    """SLA compliance over 27 cases keeps its status; over 4 cases (a team) and an alert over 3 cases
    read too few to judge, and that alert goes after the judged one although the mart ranks it first."""
    written = write_report("weekly", current_publish_dir(serving), tmp_path / "reports")
    html = written.html.read_text()
    shown = _figures_in_html(html)
    portfolio = "headline.sla_compliance.2026-06-22.portfolio.portfolio"
    assert (shown[f"{portfolio}.value"], shown[f"{portfolio}.denominator"]) == ("81.5%", "27")
    assert shown["headline.ai_tool_adoption.2026-06-22.portfolio.portfolio.denominator"] == "40"
    assert "headline.value_tracked.2026-06-22.portfolio.portfolio.denominator" not in shown
    cards = re.findall(r'<div class="card status-([a-z_]+)">\s*<span class="label">([^<]+)</span>', html)
    assert ("off_track", "SLA compliance") in cards
    team = "team.sla_compliance.2026-06-22.team.fin_ap"
    assert shown[f"{team}.denominator"] == "4"
    cell = re.search(rf'<td class="status-([a-z_]+)"><span class="figure" data-figure="{team}.value">', html)
    assert cell and cell[1] == "too_few_to_judge"
    alerts = [
        f for f in json.loads(written.sidecar.read_text())["figures"] if f["figure_id"].startswith("alert.")
    ]
    values = [(f["key"]["kpi_id"], f["shown_status"]) for f in alerts if f["column"] == "value"]
    assert values == [("value_tracked", "off_track"), ("sla_compliance", "too_few_to_judge")]
    sla_alert = next(
        f for f in alerts if f["figure_id"] == "alert.sla_compliance.2026-06-28.team.fin_ap.value"
    )
    assert (sla_alert["status"], sla_alert["count"]) == (
        "off_track",
        "alert.sla_compliance.2026-06-28.team.fin_ap.denominator",
    )
    assert "too few to judge" in html and "n = <span" in html


def test_the_minimum_of_cases_is_configurable(serving: Path, tmp_path: Path):
    written = write_report("weekly", current_publish_dir(serving), tmp_path / "reports", min_cases=3)
    figures = {f.figure_id: f for f in written.report.figures()}
    assert figures["alert.sla_compliance.2026-06-28.team.fin_ap.value"].shown_status == "off_track"
    assert figures["team.sla_compliance.2026-06-22.team.fin_ap.value"].shown_status == "off_track"
    strict = write_report("weekly", current_publish_dir(serving), tmp_path / "strict", min_cases=28)
    figures = {f.figure_id: f for f in strict.report.figures()}
    assert (
        figures["headline.sla_compliance.2026-06-22.portfolio.portfolio.value"].shown_status
        == "too_few_to_judge"
    )
    assert (
        figures["headline.ai_tool_adoption.2026-06-22.portfolio.portfolio.value"].shown_status == "on_track"
    ), "adoption counts eligible users, not cases: the minimum does not apply"


def test_min_cases_setting_defaults_to_20_and_refuses_nonsense():
    assert min_cases_setting({}) == 20
    assert min_cases_setting({"min_cases_to_judge": 50}) == 50
    for bad in (0, -5, "many", 2.5, True, None):
        with pytest.raises(ValueError, match="min_cases_to_judge must be a whole number >= 1"):
            min_cases_setting({"min_cases_to_judge": bad})


def test_the_registry_sets_the_minimum(landing: Path):
    """`min_cases_to_judge` is a top-level registry setting; the registry refuses one below 1 before any
    load, naming the file."""
    registry = landing / "registry" / "registry.yml"
    assert min_cases_setting(load_registry(landing).settings) == 20
    demo = registry.read_text()
    registry.write_text(f"min_cases_to_judge: 50\n{demo}")
    assert min_cases_setting(load_registry(landing).settings) == 50
    registry.write_text(f"min_cases_to_judge: 0\n{demo}")
    with pytest.raises(RegistryError, match=r"registry.yml: min_cases_to_judge must be at least 1"):
        load_registry(landing)


def test_period_ends_and_partial_periods():
    assert period_end("weekly", D("2026-06-29")) == D("2026-07-05")
    assert period_end("monthly", D("2024-02-01")) == D("2024-02-29")
    assert period_end("quarterly", D("2026-10-01")) == D("2026-12-31")
    assert is_partial("monthly", D("2026-06-01"), D("2026-06-29"))
    assert not is_partial("quarterly", D("2026-04-01"), D("2026-06-30"))


def test_every_printed_figure_names_its_published_cell(serving: Path, tmp_path: Path):
    marts_dir = current_publish_dir(serving)
    con = duckdb.connect()
    for cadence in ("weekly", "monthly", "quarterly"):
        written = write_report(cadence, marts_dir, tmp_path / "reports")
        sidecar = json.loads(written.sidecar.read_text())
        assert sidecar["publish_id"] == marts_dir.name
        html = written.html.read_text()
        assert _figures_in_html(html) == {
            f["figure_id"]: f["display"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            for f in sidecar["figures"]
        }
        for figure in sidecar["figures"]:
            where = " and ".join(f"cast({k} as varchar) = ?" for k in figure["key"])
            rows = con.execute(
                f"select {figure['column']} from '{marts_dir / figure['mart']}.parquet' where {where}",
                list(figure["key"].values()),
            ).fetchall()
            assert rows == [(figure["value"],)], figure["figure_id"]


def test_report_is_self_contained_and_escapes_text(serving: Path, tmp_path: Path):
    written = write_report("monthly", current_publish_dir(serving), tmp_path / "reports")
    html = written.html.read_text()
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "We learned &lt;b&gt;this&lt;/b&gt;" in html
    assert "rejected: a survey is not an action" in html
    embedded = dict(re.findall(r'src="data:image/png;base64,([^"]+)"[^>]*data-chart="([^"]+)"', html))
    assert {name: base64.b64decode(data) for data, name in embedded.items()} == {
        p.stem: p.read_bytes() for p in written.pngs
    }
    assert sorted(p.name for p in written.pngs) == [
        "kpi_trend.png",
        "pain_to_value.png",
        "value_chain_intervals.png",
        "value_vs_target.png",
    ]


def test_charts_draw_without_rows():
    empty = ChartData("adoption", "AI tool adoption", "", "select 1", [])
    assert adoption_png(empty).startswith(PNG_MAGIC)
    assert value_chain_intervals_png(empty).startswith(PNG_MAGIC)
    assert top_blockers_png(empty).startswith(PNG_MAGIC)
    assert pain_to_value_png(empty, "USD").startswith(PNG_MAGIC)


def _table(report, title: str):
    (table,) = [t for t in report.tables if t.title.startswith(title)]
    return table


def _cells(table) -> list[list[str]]:
    return [[c if isinstance(c, str) else c.display for c in row] for row in table.rows]


def test_top_blockers_rank_judged_rises_and_say_why_a_use_case_is_not_judged(serving: Path, tmp_path: Path):
    """UC01 lists its two blockers in rise order: not its unjudged rework loop that rose most, its
    judged rise too small to block, nor its wait that fell; UC02 has too few cases, UC03 no
    post-go-live case; UC04 (only a fall) is not listed."""
    written = write_report("weekly", current_publish_dir(serving), tmp_path / "reports")
    table = _table(written.report, "Top blockers")
    assert _cells(table) == [
        ["Invoice matching (UC01)", "Receive -> Match", "10.0", "14.5", "+4.5", "44", "40", "30", "28"],
        ["Invoice matching (UC01)", "Match -> Pay", "5.0", "7.0", "+2.0", "40", "36", "30", "28"],
        ["UC02", "too few to judge", *["-"] * 7],
        ["UC03", "no post-go-live cases yet", *["-"] * 7],
    ]
    assert "at least 20 cases have it in each window" in table.note
    shown = _figures_in_html(written.html.read_text())
    assert shown["blocker.UC01.Receive.Match.wait_rise_hours"] == "+4.5"
    (chart,) = [c for c in written.report.charts if c.name == "top_blockers"]
    assert [(r["use_case_id"], r["from_activity"], r["wait_rise_hours"]) for r in chart.rows] == [
        ("UC01", "Receive", 4.5)
    ]
    assert (written.folder / "top_blockers.png").read_bytes().startswith(PNG_MAGIC)


def test_pain_to_value_ranking_shows_hours_and_says_why_money_is_missing(serving: Path, tmp_path: Path):
    """Top three candidates per use case, the use case with the largest opportunity first, then the
    most hours: UC01's handling has no automation share (cost, no opportunity); UC02's team has no cost
    rate and UC03 has rates for part of its hours only (hours, no money)."""
    written = write_report("monthly", current_publish_dir(serving), tmp_path / "reports")
    table = _table(written.report, "Pain-to-value ranking")
    uc01 = "Invoice matching (UC01)"
    money = ["USD 6,000", "USD 1,500", "USD 3,000", "USD 4,500"]
    no_rate, partial_rate, missing = (
        "no cost rate for its team",
        "part of its hours have no cost rate",
        ["-"] * 3,
    )
    assert _cells(table) == [
        [uc01, "1", "wait Receive -> Match", "12", "300.0", "120.0", *money],
        [uc01, "2", "handling Match", "12", "200.0", "80.0", "USD 4,000", *["no share assumed"] * 3],
        [uc01, "3", "wait Pay -> Close", "12", "50.0", "20.0", "USD 1,000", "USD 250", "USD 500", "USD 750"],
        ["Ticket triage (UC02)", "1", "wait Open -> Route", "12", "125.0", "50.0", no_rate, *missing],
        ["Password reset (UC03)", "1", "handling Reset", "12", "20.0", "8.0", partial_rate, *missing],
    ]
    assert "Money needs an hourly cost (finance cost rates) and an FX rate for every hour" in table.note
    figures = {f.figure_id: f for f in written.report.figures()}
    handling = figures["candidate.UC01.activity.Match.monthly_hours"]
    assert handling.key == {"use_case_id": "UC01", "subject_kind": "activity", "activity": "Match"}
    (chart,) = [c for c in written.report.charts if c.name == "pain_to_value"]
    assert [(r["use_case_id"], r["opportunity_base"]) for r in chart.rows] == [
        ("UC01", 3000.0),
        ("UC02", None),
        ("UC03", None),
    ]


def test_empty_process_marts_give_empty_sections(serving: Path, tmp_path: Path):
    marts_dir = current_publish_dir(serving)
    for mart in ("process_wait_changes", "pain_to_value_map"):
        path = marts_dir / f"{mart}.parquet"
        duckdb.execute(
            f"copy (select * from '{path}' limit 0) to '{tmp_path / 'empty.parquet'}' (format parquet)"
        )
        (tmp_path / "empty.parquet").replace(path)
    weekly = write_report("weekly", marts_dir, tmp_path / "reports")
    monthly = write_report("monthly", marts_dir, tmp_path / "reports")
    assert _table(weekly.report, "Top blockers").rows == []
    assert _table(monthly.report, "Pain-to-value ranking").rows == []
    html = weekly.html.read_text()
    assert "Top blockers" in html and 'data-chart="top_blockers"' in html


def test_an_empty_fact_is_refused_with_its_name(serving: Path, tmp_path: Path):
    marts_dir = current_publish_dir(serving)
    weekly = marts_dir / "fct_kpi_weekly.parquet"
    duckdb.execute(
        f"copy (select * from '{weekly}' limit 0) to '{tmp_path / 'empty.parquet'}' (format parquet)"
    )
    (tmp_path / "empty.parquet").replace(weekly)
    with pytest.raises(ValueError, match=r"marts.fct_kpi_weekly is empty"):
        write_report("weekly", marts_dir, tmp_path / "reports")


def _records(frame: pd.DataFrame) -> list[dict]:
    """The rows as the marts return them: NULL as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _pasted(drafts: str) -> Registry:
    """The demo registry with ``drafts`` pasted right under its ``hypotheses:`` line."""
    demo = DEMO_REGISTRY.read_text()
    assert demo.count("\nhypotheses:\n") == 1
    return parse_registry(demo.replace("\nhypotheses:\n", f"\nhypotheses:\n{drafts}"), "registry.yml")


def test_hypothesis_drafts_parse_under_hypotheses_and_project_only_what_has_money():
    """UC01's top three candidates (not the fourth) become one draft projecting a year of the base
    opportunities it has; UC02 and UC03 lack cost rates, so their drafts project nothing and say why."""
    registry = _pasted(hypothesis_drafts(_records(_pain_to_value()), "2026-07-01T02-00-00.000000Z"))
    drafts = {h["id"]: h for h in registry.sections["hypotheses"] if h["id"].startswith("H-DRAFT-")}
    assert drafts.keys() == {"H-DRAFT-UC01", "H-DRAFT-UC02", "H-DRAFT-UC03"}
    assert {"H-CS", "H-FIN"} <= set(registry.ids("hypotheses")), "the registry's own entries stay"
    uc01 = drafts["H-DRAFT-UC01"]
    assert (uc01["scope_type"], uc01["scope_id"]) == ("use_case", "UC01")
    assert uc01["pain_points"] == [
        "wait Receive -> Match: 120.0 h per month (300.0 times a month, 0.4 h waiting each on average, "
        "12 months observed)",
        "handling Match: 80.0 h per month (200.0 times a month, 0.4 h handling each on average, "
        "12 months observed)",
        "wait Pay -> Close: 20.0 h per month (50.0 times a month, 0.4 h waiting each on average, "
        "12 months observed)",
    ]
    assert uc01["value_drivers"] == ["cycle_time_reduction", "sla_compliance", "value_tracked"]
    assert uc01["projected_value"] == 12 * (3000 + 500)
    assert "no automation_share assumption applies" in uc01["assumptions"][1]
    assert uc01["assumptions"][-1].startswith("projected_value: 12 months of the base opportunity")
    assert [
        (d.get("projected_value"), d["assumptions"]) for d in (drafts["H-DRAFT-UC02"], drafts["H-DRAFT-UC03"])
    ] == [
        (None, ["wait Open -> Route: not valued in money, no cost rate for its team (50.0 h per month)"]),
        (
            None,
            ["handling Reset: not valued in money, part of its hours have no cost rate (8.0 h per month)"],
        ),
    ]


def test_no_candidate_drafts_nothing_and_still_pastes():
    text = hypothesis_drafts([], "2026-07-01T02-00-00.000000Z")
    assert text.startswith("# DRAFT value hypotheses to review:")
    assert "nothing to draft" in text
    demo = parse_registry(DEMO_REGISTRY.read_text(), "registry.yml")
    assert _pasted(text).ids("hypotheses") == demo.ids("hypotheses")


def test_hypothesis_drafts_are_written_from_the_published_map(serving: Path, tmp_path: Path):
    marts_dir = current_publish_dir(serving)
    path = write_hypothesis_drafts(marts_dir, tmp_path)
    assert path == tmp_path / "hypothesis_drafts.yml"
    text = path.read_text()
    assert f"# Published marts: {marts_dir.name}." in text
    assert text == hypothesis_drafts(_records(_pain_to_value()), marts_dir.name)
