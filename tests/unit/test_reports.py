"""Cadence reports on a few hand-made published marts: periods, figures, provenance, self-containment."""

import base64
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from value_pipeline.registry import RegistryError, load_registry
from value_pipeline.reports.charts import adoption_png, value_chain_intervals_png
from value_pipeline.reports.content import (
    ChartData,
    format_change,
    is_partial,
    min_cases_setting,
    period_end,
    period_label,
)
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
        "value_chain_intervals.png",
        "value_vs_target.png",
    ]


def test_charts_draw_without_rows():
    empty = ChartData("adoption", "AI tool adoption", "", "select 1", [])
    assert adoption_png(empty).startswith(PNG_MAGIC)
    assert value_chain_intervals_png(empty).startswith(PNG_MAGIC)


def test_an_empty_fact_is_refused_with_its_name(serving: Path, tmp_path: Path):
    marts_dir = current_publish_dir(serving)
    weekly = marts_dir / "fct_kpi_weekly.parquet"
    duckdb.execute(
        f"copy (select * from '{weekly}' limit 0) to '{tmp_path / 'empty.parquet'}' (format parquet)"
    )
    (tmp_path / "empty.parquet").replace(weekly)
    with pytest.raises(ValueError, match=r"marts.fct_kpi_weekly is empty"):
        write_report("weekly", marts_dir, tmp_path / "reports")
