"""The pandas reference (tests/reference) on small hand-built landing roots, values worked out by hand."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.reference.kpis import compute_kpis
from tests.reference.landing_reader import read_landing_rows, read_source

REGISTRY = {
    "registry_version": 1,
    "reporting_currency": "USD",
    "source_time_zone": "UTC",
    "business_units": [{"id": "bu_a"}, {"id": "bu_b"}],
    "teams": [
        {"id": "t1", "business_unit": "bu_a"},
        {"id": "t2", "business_unit": "bu_a"},
        {"id": "t3", "business_unit": "bu_b"},
    ],
    "use_cases": [
        {"id": "UA", "teams": ["t1"], "business_unit": "bu_a", "status": "automated",
         "identified_date": "2025-01-01", "go_live_date": "2025-03-01", "baseline_days": 30},
        {"id": "UB", "teams": ["t3"], "business_unit": "bu_b", "status": "automated",
         "identified_date": "2025-01-01", "go_live_date": "2025-03-03", "baseline_days": 10},
        {"id": "UC", "teams": ["t3"], "business_unit": "bu_b", "status": "retired",
         "identified_date": "2024-01-01"},
        {"id": "UD", "teams": ["t2"], "business_unit": "bu_a", "status": "in_progress",
         "identified_date": "2025-03-05"},
    ],
    "kpis": [{"id": "sentiment_lift", "question_id": "q1"}],
    "sla_policies": [
        {"priority": "P1", "sla_hours": 10},
        {"priority": "P1", "use_case_id": "UA", "sla_hours": 20},
    ],
}  # fmt: skip


def _event(event_id, case_id, use_case, event_type, ts, actor="human", team="t1", priority="P1"):
    return {
        "event_id": event_id,
        "case_id": case_id,
        "use_case_id": use_case,
        "event_type": event_type,
        "event_ts": ts,
        "actor_type": actor,
        "team": team,
        "priority": priority,
    }


def _case(case_id, use_case, opened, resolved, team="t1", priority="P1", actor="human"):
    """Events of a simple case: opened, then resolved (when given)."""
    rows = [_event(f"{case_id}-o", case_id, use_case, "opened", opened, actor, team, priority)]
    if resolved:
        rows.append(_event(f"{case_id}-r", case_id, use_case, "resolved", resolved, actor, team, priority))
    return rows


def write_landing(root: Path, events: list[dict], files: dict[str, pd.DataFrame] | None = None) -> Path:
    """A landing root: the test registry, workflow events in one partition, and extra CSV files."""
    (root / "registry").mkdir(parents=True)
    (root / "registry" / "registry.yml").write_text(yaml.safe_dump(REGISTRY))
    folder = root / "workflow_events" / "dt=2025-03-10"
    folder.mkdir(parents=True)
    pd.DataFrame(events).to_csv(folder / "events.csv", index=False)
    for relative, frame in (files or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(root / relative, index=False)
    return root


def kpi(result: dict, kpi_id: str, scope_type: str, scope_id: str, table: str = "daily") -> pd.DataFrame:
    frame = result[table]
    rows = frame[(frame.kpi_id == kpi_id) & (frame.scope_type == scope_type) & (frame.scope_id == scope_id)]
    return rows.set_index("date_day" if table == "daily" else "period_start")


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- landing reader -------------------------------------------------------------------------------


def test_reader_formats_validation_and_redelivery(tmp_path):
    write_landing(tmp_path, _case("C0", "UA", "2025-03-01T00:00:00", None))
    header = "\ufeff Event_ID ;CASE_ID;use_case_id;event_type;event_ts;actor_type;team;priority\n"
    rows = [
        "e1;C1;UA;opened;2025-03-01T10:00:00+02:00;human;t1;P1",  # offset -> 08:00 UTC
        "e2;C1;UA;resolved;2025-03-01T12:00:00;human;;P1",
        "e3;C1;UA;opened;2025-03-01T12:00:00;robot;t1;P1",  # enum outside the contract
        "e4;C1;UX;opened;2025-03-01T12:00:00;human;t1;P1",  # use case not in the registry
        "e5;C1;UA;opened;not-a-time;human;t1;P1",  # unparseable timestamp
        "e6;;UA;opened;2025-03-01T12:00:00;human;t1;P1",  # missing required case_id
        "e1;C1;UA;worked;2025-03-01T13:00:00;human;t1;P1",  # duplicate key in the same file
    ]
    first = tmp_path / "workflow_events" / "dt=2025-03-01" / "part.csv.gz"
    first.parent.mkdir(parents=True)
    first.write_bytes(gzip.compress((header + "\n".join(rows) + "\n").encode()))
    later = tmp_path / "workflow_events" / "dt=2025-03-02"
    later.mkdir(parents=True)
    redelivered = _event("e2", "C1", "UA", "resolved", "2025-03-01T14:00:00Z", team="t1")
    pd.DataFrame([redelivered]).to_json(later / "part.jsonl", orient="records", lines=True)

    landed = read_landing_rows(tmp_path, "workflow_events")
    rejected = landed[landed["reject_reason"].notna() & (landed["_source_file"].str.endswith(".gz"))]
    assert sorted(rejected["event_id"].fillna("?")) == ["e1", "e3", "e4", "e5", "e6"]
    assert rejected.set_index("_source_line").loc[8, "reject_reason"] == "duplicate key within the file"

    events = read_source(tmp_path, "workflow_events").set_index("event_id")
    assert sorted(events.index) == ["C0-o", "e1", "e2"]
    assert events.loc["e1", "event_ts"] == day("2025-03-01 08:00")
    assert events.loc["e2", "event_ts"] == day("2025-03-01 14:00")  # the later partition's copy
    assert events.loc["e2", "_partition_date"] == day("2025-03-02")


def test_reader_snapshot_parquet_xlsx_and_minimum(tmp_path):
    root = write_landing(tmp_path, _case("C0", "UA", "2025-03-01T00:00:00", None))
    old = pd.DataFrame(
        {"user_id": ["u9"], "team": ["t1"], "ai_eligible": ["true"], "start_date": ["2024-01-01"]}
    )
    new = pd.DataFrame(
        {
            "USER_ID": ["u1", "u2"],
            "Team": ["t1", "t2"],
            "ai_eligible": [True, False],
            "start_date": ["2024-01-01"] * 2,
        }
    )
    (root / "hr_roster" / "dt=2025-02-01").mkdir(parents=True)
    (root / "hr_roster" / "dt=2025-03-01").mkdir(parents=True)
    old.to_csv(root / "hr_roster" / "dt=2025-02-01" / "roster.csv", index=False)
    new.to_parquet(root / "hr_roster" / "dt=2025-03-01" / "roster.parquet")
    roster = read_source(root, "hr_roster")
    assert roster["user_id"].tolist() == ["u1", "u2"]
    assert roster["ai_eligible"].tolist() == [True, False]

    (root / "finance").mkdir()
    with pd.ExcelWriter(root / "finance" / "finance.xlsx") as book:
        pd.DataFrame(
            {
                "currency": ["EUR", "GBP"],
                "rate_date": [pd.Timestamp("2025-01-01")] * 2,
                "rate_to_reporting": [1.1, 0],
            }
        ).to_excel(book, sheet_name="fx_rates", index=False)
    fx = read_source(root, "finance_fx_rates")
    assert fx["currency"].tolist() == ["EUR"]  # a rate of 0 fails the exclusive minimum

    usage = pd.DataFrame(
        {
            "user_id": ["u1", "u1"],
            "event_ts": ["2025-03-01T09:00:00"] * 2,
            "tool": ["x", "x"],
            "duration_s": [5, -1],
        }
    )
    (root / "ai_usage" / "dt=2025-03-01").mkdir(parents=True)
    usage.to_csv(root / "ai_usage" / "dt=2025-03-01" / "usage.csv", index=False, sep=";")
    assert read_source(root, "ai_usage")["duration_s"].tolist() == [5.0]


# --- cases, cycle time, SLA -----------------------------------------------------------------------


def test_reopened_case_is_resolved_at_its_last_resolution(tmp_path):
    events = [
        _event("a1", "A", "UA", "opened", "2025-03-02T08:00:00"),
        _event("a2", "A", "UA", "resolved", "2025-03-02T12:00:00"),
        _event("a3", "A", "UA", "reopened", "2025-03-03T09:00:00"),
        _event("a4", "A", "UA", "resolved", "2025-03-04T08:00:00"),
        _event("b1", "B", "UA", "opened", "2025-03-02T08:00:00"),
        _event("b2", "B", "UA", "resolved", "2025-03-02T09:00:00"),
        _event("b3", "B", "UA", "reopened", "2025-03-03T09:00:00"),  # reopened, not resolved again
        _event("c1", "C", "UA", "opened", "2025-03-02T08:00:00"),
        _event("c2", "C", "UA", "closed", "2025-03-03T08:00:00"),
    ]
    cases = compute_kpis(write_landing(tmp_path, events))["cases"].set_index("case_id")
    assert cases.loc["A", "resolved_at"] == day("2025-03-04 08:00")
    assert cases.loc["A", "cycle_hours"] == 48.0
    assert pd.isna(cases.loc["B", "resolved_at"]) and pd.isna(cases.loc["B", "cycle_hours"])
    assert cases.loc["C", "cycle_hours"] == 24.0  # closed when never resolved


def test_case_straddling_go_live_stays_in_the_baseline(tmp_path):
    events = [
        *_case("Y", "UA", "2025-02-10T00:00:00", "2025-02-10T10:00:00"),  # baseline, 10 h
        *_case(
            "X", "UA", "2025-02-27T10:00:00", "2025-03-02T10:00:00"
        ),  # baseline, resolved after go-live, 72 h
        *_case("O", "UA", "2025-01-20T00:00:00", "2025-01-20T01:00:00"),  # before the 30-day baseline
        *_case("P1", "UA", "2025-03-03T00:00:00", "2025-03-03T06:00:00"),  # post, 6 h
        *_case("P2", "UA", "2025-03-04T00:00:00", "2025-03-04T12:00:00"),  # post, 12 h
        *_case("Q", "UA", "2025-03-04T00:00:00", None),  # post, open
        *_case("BB", "UB", "2025-02-25T00:00:00", "2025-02-25T20:00:00", team="t3"),  # UB baseline, 20 h
        *_case("BP", "UB", "2025-03-03T00:00:00", "2025-03-03T10:00:00", team="t3"),  # UB post, 10 h
    ]
    result = compute_kpis(write_landing(tmp_path, events))
    windows = result["cases"].set_index("case_id")["window"].fillna("none")
    assert windows.to_dict() == {
        "BB": "baseline", "BP": "post", "O": "none", "P1": "post", "P2": "post", "Q": "post", "X": "baseline",
        "Y": "baseline",
    }  # fmt: skip
    ua = kpi(result, "cycle_time_reduction", "use_case", "UA")
    assert list(ua.index) == [day("2025-03-03"), day("2025-03-04")]  # none until a post case is resolved
    # baseline median over Y and X = 41 h once X is resolved (2025-03-02)
    assert ua.loc[day("2025-03-03"), "numerator"] == pytest.approx(1 * (1 - 6 / 41))
    assert ua.loc[day("2025-03-04"), "value"] == pytest.approx(1 - 9 / 41)
    assert ua.loc[day("2025-03-04"), "denominator"] == 2
    portfolio = kpi(result, "cycle_time_reduction", "portfolio", "portfolio").loc[day("2025-03-03")]
    assert portfolio["numerator"] == pytest.approx((1 - 6 / 41) + (1 - 10 / 20))
    assert portfolio["denominator"] == 2
    assert portfolio["value"] == pytest.approx(((1 - 6 / 41) + 0.5) / 2)
    case_windows = result["case_windows"].set_index(["use_case_id", "window"])
    assert case_windows.loc[("UA", "baseline"), "median_cycle_hours"] == 41.0
    assert case_windows.loc[("UA", "post"), "resolved_cases"] == 2
    assert case_windows.loc[("UA", "post"), "cases"] == 3


def test_sla_uses_the_use_case_specific_policy(tmp_path):
    events = [
        *_case("A", "UA", "2025-03-05T00:00:00", "2025-03-05T15:00:00"),  # UA P1 policy 20 h: met
        *_case("B", "UB", "2025-03-05T00:00:00", "2025-03-05T15:00:00", team="t3"),  # general P1 10 h: missed
        *_case(
            "C", "UB", "2025-03-05T00:00:00", "2025-03-05T01:00:00", team="t3", priority="P9"
        ),  # no policy
        _event("d1", "D", "UB", "opened", "2025-03-04T00:00:00", team="t3", priority=None),
        _event(
            "d2", "D", "UB", "worked", "2025-03-04T01:00:00", actor="automation", team="t3", priority="P1"
        ),
        _event(
            "d3", "D", "UB", "resolved", "2025-03-05T02:00:00", actor="automation", team="t3", priority="P1"
        ),
    ]
    result = compute_kpis(write_landing(tmp_path, events))
    cases = result["cases"].set_index("case_id")
    assert cases.loc["A", "sla_hours"] == 20 and cases.loc["B", "sla_hours"] == 10
    assert cases.loc["D", "priority"] == "P1" and not cases.loc["D", "sla_met"]  # priority of a later event
    assert pd.isna(cases.loc["C", "sla_hours"])
    expected = {
        ("portfolio", "portfolio"): (1, 3),
        ("use_case", "UA"): (1, 1),
        ("use_case", "UB"): (0, 2),
        ("business_unit", "bu_a"): (1, 1),
        ("team", "t3"): (0, 2),
    }
    for (scope_type, scope_id), (met, total) in expected.items():
        row = kpi(result, "sla_compliance", scope_type, scope_id).loc[day("2025-03-05")]
        assert (row["numerator"], row["denominator"]) == (met, total)
        assert row["value"] == pytest.approx(met / total)
    quiet_day = kpi(result, "sla_compliance", "portfolio", "portfolio").loc[day("2025-03-04")]
    assert quiet_day["denominator"] == 0 and pd.isna(quiet_day["value"])
    assert not cases.loc["A", "is_touchless"]


# --- adoption, coverage ---------------------------------------------------------------------------


def test_adoption_with_a_leaver_and_a_joiner(tmp_path):
    events = [_event(f"e{d}", f"C{d}", "UA", "opened", f"2025-03-0{d}T00:00:00") for d in range(1, 6)]
    roster = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u4"],
            "team": ["t1", "t1", "t1", "t3"],
            "ai_eligible": ["true", "true", "false", "true"],
            "start_date": ["2024-01-01", "2024-01-01", "2024-01-01", "2025-03-04"],
            "end_date": [None, "2025-03-03", None, None],
        }
    )
    stale = pd.DataFrame(
        {"user_id": ["u5"], "team": ["t1"], "ai_eligible": ["true"], "start_date": ["2024-01-01"]}
    )
    usage = pd.DataFrame(
        {"user_id": ["u1", "u2", "u3"], "tool": ["copilot"] * 3,
         "event_ts": ["2025-02-05T10:00:00", "2025-03-01T10:00:00", "2025-03-01T10:00:00"]}
    )  # fmt: skip
    files = {
        "hr_roster/dt=2025-03-05/roster.csv": roster,
        "hr_roster/dt=2025-02-01/roster.csv": stale,
        "ai_usage/dt=2025-03-01/usage.csv": usage,
    }
    result = compute_kpis(write_landing(tmp_path, events, files))
    portfolio = kpi(result, "ai_tool_adoption", "portfolio", "portfolio")
    pairs = list(zip(portfolio["numerator"], portfolio["denominator"], strict=True))
    # 03-01..03-03: u1 (used 02-05) and u2 (leaves 03-03); 03-04: u1 and the joiner u4;
    # 03-05: u1's last use is 28 days old
    assert pairs == [(2, 2), (2, 2), (2, 2), (1, 2), (0, 2)]
    on_0304 = day("2025-03-04")
    assert kpi(result, "ai_tool_adoption", "team", "t1").loc[
        on_0304, ["numerator", "denominator"]
    ].tolist() == [1, 1]
    assert kpi(result, "ai_tool_adoption", "business_unit", "bu_b").loc[on_0304, "value"] == 0


def test_automation_coverage(tmp_path):
    events = [_event(f"e{d}", f"C{d}", "UA", "opened", f"2025-03-0{d}T00:00:00") for d in range(1, 6)]
    result = compute_kpis(write_landing(tmp_path, events))
    portfolio = kpi(result, "automation_coverage", "portfolio", "portfolio")
    # UA live 03-01, UB live 03-03, UC retired, UD identified 03-05
    assert portfolio.loc[day("2025-03-02"), ["numerator", "denominator"]].tolist() == [1, 2]
    assert portfolio.loc[day("2025-03-05"), ["numerator", "denominator"]].tolist() == [2, 3]
    assert kpi(result, "automation_coverage", "business_unit", "bu_a").loc[day("2025-03-05"), "value"] == 0.5


# --- value ----------------------------------------------------------------------------------------


def test_value_tracked_cost_rate_change_and_fx_month(tmp_path):
    events = [
        _event("e1", "C1", "UA", "opened", "2025-02-20T00:00:00"),
        _event("e2", "C1", "UA", "resolved", "2025-03-05T00:00:00"),
    ]
    benefits = pd.DataFrame(
        [
            ("UA", "2025-01-01", "hours_saved", 10, "hours", "validated"),  # 10 h x 50 USD
            ("UA", "2025-02-01", "hours_saved", 10, "hours", "estimated"),  # rate change on 02-15 not yet
            ("UA", "2025-03-01", "hours_saved", 10, "hours", "validated"),  # 10 h x 60 EUR x 1.20
            ("UA", "2025-03-01", "cost_saving", 100, "EUR", "validated"),  # x 1.20 (March rate)
            ("UA", "2025-02-01", "revenue", 100, "GBP", "estimated"),  # x 1.25
            ("UA", "2025-04-01", "cost_saving", 1000, "USD", "validated"),  # after the as-of month
            ("UB", "2025-01-01", "cost_avoidance", 200, "USD", "estimated"),
        ],
        columns=["use_case_id", "period_month", "benefit_type", "amount", "unit", "status"],
    )
    cost_rates = pd.DataFrame(
        {"team": ["t1", "t1"], "hourly_cost": [50, 60], "currency": ["USD", "EUR"],
         "valid_from": ["2025-01-01", "2025-02-15"]}
    )  # fmt: skip
    fx = pd.DataFrame(
        {"currency": ["EUR", "EUR", "EUR", "GBP"], "rate_to_reporting": [1.10, 1.20, 1.30, 1.25],
         "rate_date": ["2025-01-01", "2025-03-01", "2025-03-02", "2025-02-01"]}
    )  # fmt: skip
    files = {
        "finance/dt=2025-03-01/benefits.csv": benefits,
        "finance/dt=2025-03-01/cost_rates.csv": cost_rates,
        "finance/fx_rates.csv": fx,
    }
    result = compute_kpis(write_landing(tmp_path, events, files))
    ua = kpi(result, "value_tracked", "use_case", "UA")
    feb = ua.loc[day("2025-02-28")]
    assert (feb["value"], feb["value_validated"], feb["value_estimated"]) == pytest.approx((1125, 500, 625))
    march = ua.loc[day("2025-03-05")]
    assert (march["value"], march["value_validated"], march["value_estimated"]) == pytest.approx(
        (1965, 1340, 625)
    )
    assert pd.isna(march["denominator"])
    assert kpi(result, "value_tracked", "portfolio", "portfolio").loc[day("2025-03-05"), "value"] == 2165
    monthly = kpi(result, "value_tracked", "business_unit", "bu_a", "monthly")
    assert monthly.loc[day("2025-03-01"), ["period_end", "value"]].tolist() == [day("2025-03-05"), 1965]


# --- sentiment ------------------------------------------------------------------------------------


def test_sentiment_lift_suppresses_a_team_of_four(tmp_path):
    events = [_event(f"e{d}", f"C{d}", "UA", "opened", f"2025-02-2{d}T00:00:00") for d in range(7, 10)]
    events += [_event("e10", "C10", "UA", "opened", "2025-03-02T00:00:00")]
    rows = []

    def wave(date, team, respondents, score):
        for r in respondents:
            rows.append((f"{date}-{r}", r, "pulse", date, "q1", score, 1, 5, team))
            rows.append((f"{date}-{r}-other", r, "pulse", date, "q2", 1, 1, 5, team))  # another question

    wave("2024-03-01", "t1", ["a1", "a2", "a3", "a4", "a5"], 3)  # 0.5
    wave("2025-03-01", "t1", ["a1", "a2", "a3", "a4", "a5"], 4)  # 0.75
    wave("2024-03-01", "t2", ["b1", "b2", "b3", "b4", "b5"], 1)  # 0.0
    wave("2025-03-01", "t2", ["b1", "b2", "b3", "b4"], 5)  # 1.0, only 4 respondents
    columns = ["response_id", "respondent_id", "survey_id", "wave_date", "question_id", "score", "scale_min",
               "scale_max", "team"]  # fmt: skip
    files = {"survey_responses/dt=2025-03-01/responses.csv": pd.DataFrame(rows, columns=columns)}
    result = compute_kpis(write_landing(tmp_path, events, files))
    t1 = kpi(result, "sentiment_lift", "team", "t1")
    assert list(t1.index) == [day("2025-03-01"), day("2025-03-02")]  # none before the second wave
    assert t1.loc[day("2025-03-01"), "value"] == pytest.approx((0.75 - 0.5) / 0.5)
    t2 = kpi(result, "sentiment_lift", "team", "t2").loc[day("2025-03-01")]
    assert t2["is_suppressed"] and pd.isna(t2["numerator"]) and pd.isna(t2["value"])
    bu = kpi(result, "sentiment_lift", "business_unit", "bu_a").loc[day("2025-03-02")]
    assert not bu["is_suppressed"]  # 10 and 9 respondents
    assert bu["denominator"] == pytest.approx(0.25)
    assert bu["numerator"] == pytest.approx(7.75 / 9 - 0.25)


# --- periods --------------------------------------------------------------------------------------


def test_periods_re_add_the_daily_figures(tmp_path):
    rng = np.random.default_rng(7)
    events = []
    for i in range(300):
        opened = day("2025-01-02") + pd.Timedelta(hours=int(rng.integers(0, 24 * 100)))
        resolved = opened + pd.Timedelta(hours=float(rng.uniform(0.5, 30)))
        use_case, team = ("UA", "t1") if i % 2 else ("UB", "t3")
        events += _case(f"K{i}", use_case, opened.isoformat(), resolved.isoformat(), team=team)
    result = compute_kpis(write_landing(tmp_path, events))
    daily = result["daily"]
    as_of = daily["date_day"].max()
    for table, period in (("weekly", "W-SUN"), ("monthly", "M"), ("quarterly", "Q")):
        spans = daily["date_day"].dt.to_period(period)
        keyed = daily.assign(period_start=spans.dt.start_time.astype("datetime64[us]"))
        keys = ["kpi_id", "scope_type", "scope_id", "period_start"]
        rolled = result[table].set_index(keys)
        flow = keyed[keyed.kpi_id == "sla_compliance"].groupby(keys)[["numerator", "denominator"]].sum()
        pd.testing.assert_frame_equal(rolled.loc[flow.index, ["numerator", "denominator"]], flow)
        stock = keyed[keyed.kpi_id != "sla_compliance"].sort_values("date_day").groupby(keys).tail(1)
        stock = stock.set_index(keys)
        got = rolled.loc[stock.index]
        np.testing.assert_allclose(got["numerator"], stock["numerator"])
        np.testing.assert_allclose(got["value"], stock["value"])
        assert len(rolled) == len(flow) + len(stock)
        assert (rolled["period_end"] <= as_of).all()
        values = rolled["numerator"] / rolled["denominator"].where(rolled["denominator"] != 0)
        checked = rolled.index.get_level_values("kpi_id") != "value_tracked"
        np.testing.assert_allclose(rolled["value"][checked], values[checked])
    week = kpi(result, "sla_compliance", "portfolio", "portfolio", "weekly")
    assert week["denominator"].sum() == 300
