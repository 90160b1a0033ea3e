"""The pandas reference on the small demo landing root recovers the generator's ground truth."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from tests.reference.kpis import compute_kpis
from tests.reference.landing_reader import read_landing_rows

generator = pytest.importorskip(
    "value_pipeline.generator", reason="the demo generator (value_pipeline.generator) is not available"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "landing"
    generator.generate(root, size="small", seed=42)
    truth = json.loads((root / "ground_truth.json").read_text())
    return root, truth, compute_kpis(root)


def _daily(result: dict, kpi_id: str, scope_type: str, on: str | pd.Timestamp) -> pd.DataFrame:
    daily = result["daily"]
    rows = daily[(daily.kpi_id == kpi_id) & (daily.scope_type == scope_type) & (daily.date_day == on)]
    return rows.set_index("scope_id")


def test_landing_rows_and_cases(demo):
    root, truth, result = demo
    events = truth["workflow_events"]
    landed = read_landing_rows(root, "workflow_events")
    assert len(landed) == events["rows_written"]
    rejected = landed["reject_reason"].notna().sum()
    assert rejected == events["rows_failing_contract"] + events["rows_by_class"]["duplicate_row_in_file"]
    cases = result["cases"]
    assert len(cases) == events["cases"]
    assert cases["resolved_at"].notna().sum() == events["resolved_cases"]
    assert cases["is_touchless"].sum() == events["touchless_cases"]
    by_use_case = cases.groupby("use_case_id").agg(
        cases=("case_id", "size"), resolved=("resolved_at", "count"), touchless=("is_touchless", "sum")
    )
    for use_case_id, expected in truth["use_cases"].items():
        got = by_use_case.loc[use_case_id]
        assert (got.cases, got.resolved, got.touchless) == (
            expected["cases"],
            expected["resolved_cases"],
            expected["touchless_cases"],
        ), use_case_id


def test_sla_compliance_over_the_whole_period(demo):
    _, truth, result = demo
    sla = truth["workflow_events"]["sla"]
    quarters = result["quarterly"]
    portfolio = quarters[(quarters.kpi_id == "sla_compliance") & (quarters.scope_type == "portfolio")]
    assert portfolio["denominator"].sum() == sla["resolved_with_policy"]
    assert portfolio["numerator"].sum() == sla["sla_met"]


def test_cycle_time_windows_and_injected_effects(demo):
    _, truth, result = demo
    as_of = result["daily"]["date_day"].max()
    windows = result["case_windows"].set_index(["use_case_id", "window"])
    reduction = _daily(result, "cycle_time_reduction", "use_case", as_of)
    checked = 0
    for use_case_id, expected in truth["use_cases"].items():
        end = expected.get("as_of_end")
        if not end:
            continue
        baseline, post = windows.loc[(use_case_id, "baseline")], windows.loc[(use_case_id, "post")]
        assert (baseline.cases, baseline.resolved_cases) == (end["baseline_cases"], end["baseline_resolved"])
        assert (post.cases, post.resolved_cases) == (end["post_cases"], end["post_resolved"])
        assert baseline.median_cycle_hours == pytest.approx(end["baseline_median_cycle_hours"])
        assert post.median_cycle_hours == pytest.approx(end["post_median_cycle_hours"])
        assert reduction.loc[use_case_id, "value"] == pytest.approx(end["cycle_time_reduction"])
        injected = expected["injected"]
        # The injected median multiplier, recovered within the generator's tolerance.
        ratio = 1 - reduction.loc[use_case_id, "value"]
        assert abs(ratio - injected["median_multiplier"]) <= end["median_ratio_tolerance"], use_case_id
        # Injected touchless shares, within four binomial standard errors.
        for window, share in (
            ("baseline", injected["touchless_share_before_go_live"]),
            ("post", injected["touchless_share_after_go_live"]),
        ):
            row = windows.loc[(use_case_id, window)]
            tolerance = 4 * math.sqrt(share * (1 - share) / row.cases)
            assert abs(row.touchless_share - share) <= tolerance, (use_case_id, window)
        checked += 1
    assert checked >= 5


def test_adoption_value_and_sentiment(demo):
    _, truth, result = demo
    usage = truth["ai_usage"]
    for day, expected in usage["adoption_kpi"].items():
        row = _daily(result, "ai_tool_adoption", "portfolio", day).loc["portfolio"]
        assert (row.numerator, row.denominator) == (expected["numerator"], expected["denominator"])
    six_months = pd.Timestamp(usage["rollout_date"]) + pd.Timedelta(days=184)
    adoption = _daily(result, "ai_tool_adoption", "portfolio", six_months).loc["portfolio", "value"]
    injected = usage["injected"]
    assert abs(adoption - injected["expected_adoption_six_months_after_rollout"]) <= injected["tolerance"]

    as_of = result["daily"]["date_day"].max()
    finance = truth["finance"]
    value = _daily(result, "value_tracked", "use_case", as_of)
    for use_case_id, expected in finance["value_tracked_by_use_case"].items():
        got = value.loc[use_case_id, ["value", "value_validated", "value_estimated"]].tolist()
        assert got == pytest.approx([expected["total"], expected["validated"], expected["estimated"]])
    portfolio = _daily(result, "value_tracked", "portfolio", as_of).loc["portfolio", "value"]
    assert portfolio == pytest.approx(finance["value_tracked_total"])

    survey = truth["survey_responses"]
    for scope_type, groups in survey["realised"].items():
        lift = _daily(result, "sentiment_lift", scope_type, as_of)
        for scope_id, expected in groups.items():
            assert lift.loc[scope_id, "is_suppressed"] == expected["suppressed"], scope_id
            if not expected["suppressed"]:
                assert lift.loc[scope_id, "value"] == pytest.approx(expected["lift"]), scope_id
    assert survey["realised"]["team"][survey["small_team"]]["suppressed"]


def test_automation_coverage_from_the_registry(demo):
    _, _, result = demo
    as_of = result["daily"]["date_day"].max()
    row = _daily(result, "automation_coverage", "portfolio", as_of).loc["portfolio"]
    # Demo registry: UC01-UC07 automated and live; UC01-UC09 not retired and identified by the as-of date.
    assert (row.numerator, row.denominator) == (7, 9)
