"""GX suites: the committed landing suites equal their generation from the contracts, and every suite
passes a good frame and catches one bad row per kind of expectation, naming it with a sample row."""

from datetime import datetime

import duckdb
import pandas as pd
import pytest

from value_pipeline.contracts import load_contracts
from value_pipeline.quality.expectations import (
    EXPECTATIONS_DIR,
    checked_suites,
    landing_suite,
    landing_suite_name,
    load_suite,
    read_frame,
    render_suite,
    suite_columns,
    suite_parameters,
    validate,
)

NOW = datetime(2026, 1, 15, 12, 0)
PARAMETERS = suite_parameters(NOW, {"use_cases": ["UC01"], "value_chains": ["VC01"]})
# Values a landing row needs where the type's default would break a contract rule.
LANDING_VALUES = {"scale_min": 1.0, "scale_max": 5.0, "score": 3.0, "unit": "USD", "use_case_id": "UC01"}
TYPE_VALUES = {
    "string": "x",
    "timestamp": pd.Timestamp("2026-01-10 08:00"),
    "date": pd.Timestamp("2026-01-01"),
    "number": 1.0,
    "boolean": True,
}


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as DuckDB would hand them over: text columns as pandas strings even when all NULL."""
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        if frame[name].dtype == object and frame[name].map(lambda v: v is None or isinstance(v, str)).all():
            frame[name] = frame[name].astype("str")
    return frame


def _landing_row(contract) -> dict:
    row = {}
    for c in contract.columns:
        value = LANDING_VALUES.get(c.name, TYPE_VALUES[c.type])
        if c.enum:
            value = c.enum[0]
        elif c.references == "value_chains":
            value = "VC01"
        elif c.currency:
            value = "USD"
        row[c.target] = value
    meta = {
        "extra": None,
        "_source_file": "f.csv",
        "_source_line": 2,
        "_partition_date": pd.Timestamp("2026-01-10"),
        "_batch_id": "b1",
        "_loaded_at": pd.Timestamp("2026-01-10 09:00"),
    }
    return row | meta


def _failure(frame: pd.DataFrame, suite: dict, expectation: str, column: str | None):
    """The one failure of ``expectation`` (on ``column`` when given) validating ``frame``."""
    result = validate(frame, suite, PARAMETERS)
    assert result.evaluated == len(suite["expectations"])
    matches = [
        f
        for f in result.failures
        if f.expectation == expectation and column in (None, f.kwargs.get("column"))
    ]
    assert len(matches) == 1, result.failures_markdown()
    return matches[0]


@pytest.mark.parametrize("name", sorted(load_contracts()))
def test_committed_landing_suite_equals_its_generation(name):
    contract = load_contracts()[name]
    committed = (EXPECTATIONS_DIR / f"{landing_suite_name(contract)}.json").read_text()
    assert committed == render_suite(landing_suite(contract)), (
        f"expectations/landing__{name}.json is stale: run `python -m value_pipeline.quality.expectations`"
    )


@pytest.mark.parametrize("name", sorted(load_contracts()))
def test_landing_suite_passes_a_good_row(name):
    contract = load_contracts()[name]
    result = validate(_frame([_landing_row(contract)]), load_suite(landing_suite_name(contract)), PARAMETERS)
    assert result.success, result.failures_markdown()


@pytest.mark.parametrize(
    ("contract_name", "change", "expectation", "column"),
    [
        ("workflow_events", {"event_type": "deleted"}, "expect_column_values_to_be_in_set", "event_type"),
        ("workflow_events", {"case_id": None}, "expect_column_values_to_not_be_null", "case_id"),
        (
            "workflow_events",
            {"event_ts": pd.Timestamp("2026-01-17")},
            "expect_column_values_to_be_between",
            "event_ts",
        ),
        ("workflow_events", {"use_case_id": "UC99"}, "expect_column_values_to_be_in_set", "use_case_id"),
        ("finance_fx_rates", {"rate_to_reporting": 0.0}, "expect_column_values_to_be_between", None),
        ("finance_cost_rates", {"currency": "usd"}, "expect_column_values_to_match_regex", "currency"),
        (
            "hr_roster",
            {"end_date": pd.Timestamp("2025-12-31")},
            "expect_column_pair_values_a_to_be_greater_than_b",
            None,
        ),
        ("finance_benefits", {"unit": "hours"}, "expect_column_values_to_not_be_in_set", "unit"),
        (
            "finance_action_costs",
            {"use_case_id": None, "value_chain_id": None},
            "expect_column_values_to_not_be_null",
            "value_chain_id",
        ),
    ],
)
def test_landing_suite_catches_a_bad_row(contract_name, change, expectation, column):
    contract = load_contracts()[contract_name]
    good = _landing_row(contract)
    bad = good | change | {"_source_line": 3}
    failure = _failure(_frame([good, bad]), load_suite(landing_suite_name(contract)), expectation, column)
    assert failure.unexpected_count == 1
    assert [r["_source_line"] for r in failure.sample_rows] == [3]


def test_landing_suite_catches_a_duplicate_key_and_a_wrong_type():
    contract = load_contracts()["workflow_events"]
    suite = load_suite("landing__workflow_events")
    frame = _frame([_landing_row(contract), _landing_row(contract) | {"_source_line": 3}])
    assert _failure(frame, suite, "expect_compound_columns_to_be_unique", None).unexpected_count == 2
    frame["event_ts"] = frame["event_ts"].astype("str")
    assert _failure(frame, suite, "expect_column_values_to_be_of_type", "event_ts").observed == "str"


KPI_ROW = {
    "kpi_id": "sla_compliance",
    "scope_type": "portfolio",
    "scope_id": "portfolio",
    "numerator": 3.0,
    "denominator": 4.0,
    "value": 0.75,
    "status": "on_track",
    "unit": "ratio",
    "direction": "higher_is_better",
    "is_suppressed": False,
    "value_validated": None,
    "value_estimated": None,
}
VALUE_ROW = KPI_ROW | {
    "kpi_id": "value_tracked",
    "denominator": None,
    "numerator": 5000.0,
    "value": 5000.0,
    "unit": "currency",
    "value_validated": 3000.0,
    "value_estimated": 2000.0,
}
GOOD_ROWS = {
    "mart__fct_kpi_daily": [
        KPI_ROW | {"date_day": pd.Timestamp("2026-01-10")},
        VALUE_ROW | {"date_day": pd.Timestamp("2026-01-10")},
    ],
    "mart__kpi_scorecard": [
        {
            **{k: v for k, v in row.items() if k != "value"},
            "actual_value": row["value"],
            "month_start": pd.Timestamp("2026-01-01"),
            "month_end": pd.Timestamp("2026-01-10"),
        }
        for row in (KPI_ROW, VALUE_ROW)
    ],
    "mart__fct_value_tracked": [
        {
            "use_case_id": "UC01",
            "period_month": pd.Timestamp("2026-01-01"),
            "benefit_type": "hours_saved",
            "benefit_status": "validated",
            "original_amount": 10.0,
            "hours_saved": 10.0,
            "hourly_cost": 50.0,
            "fx_rate": 1.0,
            "source_currency": "USD",
            "reporting_currency": "USD",
            "amount_reporting": 500.0,
        }
    ],
    "mart__fct_case_windows": [
        {
            "use_case_id": "UC01",
            "case_window": "post",
            "window_start_date": pd.Timestamp("2025-06-01"),
            "window_end_date": pd.Timestamp("2026-01-10"),
            "opened_cases": 10,
            "resolved_cases": 8,
            "sla_cases": 6,
            "sla_met_cases": 5,
            "touchless_cases": 4,
            "sla_compliance": 5 / 6,
            "touchless_share": 0.4,
            "median_cycle_hours": 5.0,
            "mean_cycle_hours": 6.0,
        }
    ],
    "mart__value_chain": [
        {
            "value_chain_id": "VC01",
            "status": "estimated",
            "status_reason": None,
            "evidence_grade": "randomised",
            "metric_class": "business",
            "is_causal": True,
            "estimate": -0.7,
            "ci_low": -1.0,
            "ci_high": -0.4,
            "improvement_ci_low": 0.4,
            "improvement_ci_high": 1.0,
            "std_error": 0.1,
            "n_treatment_pre": None,
            "n_treatment_post": 100,
            "n_control_pre": None,
            "n_control_post": 100,
            "action_cost_reporting": 1000.0,
            "business_impact": 1e5,
            "business_impact_ci_low": 5e4,
            "business_impact_ci_high": 2e5,
            "estimated_at": pd.Timestamp("2026-01-15 11:00"),
        }
    ],
    "intermediate__int_cases": [
        {
            "case_id": "C1",
            "opened_at": pd.Timestamp("2026-01-01 08:00"),
            "resolved_at": pd.Timestamp("2026-01-01 10:00"),
            "cycle_hours": 2.0,
            "case_window": "post",
            "is_touchless": False,
        }
    ],
    "intermediate__int_value_chain_observations": [
        {
            "value_chain_id": "VC01",
            "unit_id": "C1",
            "group_name": "treatment",
            "period": "post",
            "evidence_source": "warehouse",
            "metric_value": 2.0,
            "weight": None,
        }
    ],
}
# The column that tells the bad row from the good ones in the sample rows.
MARKERS = {
    "mart__fct_kpi_daily": "scope_id",
    "mart__kpi_scorecard": "scope_id",
    "mart__fct_value_tracked": "use_case_id",
    "mart__fct_case_windows": "use_case_id",
    "mart__value_chain": "value_chain_id",
    "intermediate__int_cases": "case_id",
    "intermediate__int_value_chain_observations": "unit_id",
}
# One bad row per kind of expectation: (suite, change to the first good row, failing expectation, column).
BAD_ROWS = [
    ("mart__fct_kpi_daily", {"value": 1.25}, "expect_column_values_to_be_between", "value"),
    ("mart__fct_kpi_daily", {"numerator": 5.0}, "expect_column_pair_values_a_to_be_greater_than_b", None),
    ("mart__fct_kpi_daily", {"value": None}, "expect_column_values_to_not_be_null", "value"),
    ("mart__fct_kpi_daily", {"status": "great"}, "expect_column_values_to_be_in_set", "status"),
    (
        "mart__fct_kpi_daily",
        {"kpi_id": "value_tracked", "denominator": None, "numerator": 2e10, "value": 2e10},
        "expect_column_values_to_be_between",
        "value",
    ),
    ("mart__kpi_scorecard", {"actual_value": -0.1}, "expect_column_values_to_be_between", "actual_value"),
    (
        "mart__kpi_scorecard",
        {"month_end": pd.Timestamp("2025-12-31")},
        "expect_column_pair_values_a_to_be_greater_than_b",
        None,
    ),
    (
        "mart__kpi_scorecard",
        {"month_start": pd.Timestamp("2026-02-01")},
        "expect_column_values_to_be_between",
        "month_start",
    ),
    ("mart__fct_value_tracked", {"amount_reporting": 2e9}, "expect_column_values_to_be_between", None),
    ("mart__fct_value_tracked", {"fx_rate": 0.0}, "expect_column_values_to_be_between", "fx_rate"),
    (
        "mart__fct_value_tracked",
        {"reporting_currency": "dollars"},
        "expect_column_values_to_match_regex",
        None,
    ),
    (
        "mart__fct_case_windows",
        {"sla_met_cases": 7},
        "expect_column_pair_values_a_to_be_greater_than_b",
        None,
    ),
    ("mart__fct_case_windows", {"touchless_share": 1.5}, "expect_column_values_to_be_between", None),
    (
        "mart__value_chain",
        {"metric_class": "experience"},
        "expect_column_values_to_be_null",
        "business_impact",
    ),
    ("mart__value_chain", {"ci_high": -0.8}, "expect_column_pair_values_a_to_be_greater_than_b", None),
    (
        "mart__value_chain",
        {"status": "not_estimated"},
        "expect_column_values_to_not_be_null",
        "status_reason",
    ),
    (
        "intermediate__int_cases",
        {"resolved_at": pd.Timestamp("2026-01-01 07:00")},
        "expect_column_pair_values_a_to_be_greater_than_b",
        None,
    ),
    ("intermediate__int_cases", {"cycle_hours": -1.0}, "expect_column_values_to_be_between", "cycle_hours"),
    (
        "intermediate__int_cases",
        {"opened_at": pd.Timestamp("2026-02-01"), "resolved_at": None, "cycle_hours": None},
        "expect_column_values_to_be_between",
        "opened_at",
    ),
    (
        "intermediate__int_value_chain_observations",
        {"metric_value": -2.0},
        "expect_column_values_to_be_between",
        None,
    ),
]


def test_every_checked_suite_has_a_good_frame():
    assert {s["name"] for s in checked_suites()} == set(GOOD_ROWS)


@pytest.mark.parametrize("name", sorted(GOOD_ROWS))
def test_checked_suite_passes_a_good_frame(name):
    suite = load_suite(name)
    frame = _frame(GOOD_ROWS[name])
    assert suite_columns(suite) <= set(frame.columns)
    result = validate(frame, suite, PARAMETERS)
    assert result.success, result.failures_markdown()
    assert result.evaluated == len(suite["expectations"])


@pytest.mark.parametrize(("name", "change", "expectation", "column"), BAD_ROWS)
def test_checked_suite_catches_a_bad_row(name, change, expectation, column):
    good = GOOD_ROWS[name]
    marker = MARKERS[name]
    bad = good[0] | change | {marker: "BAD"}
    failure = _failure(_frame([*good, bad]), load_suite(name), expectation, column)
    assert failure.unexpected_count == 1
    assert [r[marker] for r in failure.sample_rows] == ["BAD"]


def test_failures_render_as_markdown_with_sample_rows():
    suite = load_suite("intermediate__int_cases")
    bad = GOOD_ROWS["intermediate__int_cases"][0] | {"case_id": "C2", "cycle_hours": -1.0}
    result = validate(_frame([bad]), suite, PARAMETERS)
    assert not result.success
    assert "| expect_column_values_to_be_between |" in result.failures_markdown()
    assert "cycle hours are not negative" in result.failures_markdown()
    assert "| C2 |" in result.samples_markdown()


def test_read_frame_equals_duckdb_own_conversion_in_row_order():
    """Strings come from Arrow, every other type from DuckDB: the frame equals DuckDB's ``df()`` with
    text as pandas strings, over several Arrow batches, NULLs and an all-NULL text column included."""
    rows = 300_000
    with duckdb.connect() as con:
        relation = con.sql(
            f"""
            select
                i, 'id-' || i as text, null::varchar as empty,
                case when i % 7 = 0 then null else 'v' end as sparse,
                date '2026-01-01' + (i % 400)::int as day, timestamp '2026-01-01' + to_seconds(i) as ts,
                case when i % 5 = 0 then null else i % 2 = 0 end as flag,
                case when i % 3 = 0 then null else i::int end as n,
                (i / 100)::decimal(18, 2) as amount, i / 3 as ratio, i::hugeint as big
            from range({rows}) as r(i)
            """
        )
        expected = relation.df()
        for name, type_ in zip(relation.columns, relation.types, strict=True):
            if str(type_) == "VARCHAR":
                expected[name] = expected[name].astype("str")
        actual = read_frame(relation)
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)
    assert actual["i"].tolist() == list(range(rows))


@pytest.mark.parametrize("latest", ["2026-01-10 09:00", "2500-01-01 00:00"])
def test_timestamp_bounds_hold_in_and_beyond_the_nanosecond_range(latest):
    """GX compares nanosecond timestamps vectorised; a value beyond their range (year 2262) keeps its
    resolution and is still checked."""
    suite = {
        "name": "future",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "ts", "max_value": {"$PARAMETER": "max_timestamp"}},
            }
        ],
    }
    times = pd.Series(pd.to_datetime(["2026-01-01 08:00", "2026-01-20 08:00", latest]).as_unit("us"))
    result = validate(pd.DataFrame({"ts": times}), suite, PARAMETERS)
    assert not result.success
    assert result.failures[0].unexpected_count == 1 + latest.startswith("2500")
