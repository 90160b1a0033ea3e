"""The bottleneck the generator injects (ground truth ``process_bottlenecks``: after UC05's go-live its
worked events wait longer after assignment) is what the process marts find in the demo warehouse; the
pain-to-value map equals an independent pandas computation from the landing files (tests/reference),
on the demo (rates in force, FX, automation shares) and on BPIC 2012 (handling hours from start and
complete events)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.integration.conftest import REALDATA
from tests.reference.pain_to_value import SUBJECT, compute_pain_to_value


@pytest.fixture
def bottleneck(ground_truth) -> dict:
    (injected,) = ground_truth["process_bottlenecks"]
    return injected


def test_wait_changes_rank_the_injected_transition_first(warehouse, bottleneck):
    rows = warehouse.execute(
        "select from_activity, to_activity, baseline_transitions, post_transitions, "
        "baseline_median_wait_hours, post_median_wait_hours, wait_rise_hours "
        "from marts.process_wait_changes where use_case_id = ? and rise_rank = 1",
        [bottleneck["use_case_id"]],
    ).fetchall()
    assert len(rows) == 1, rows
    transition, counts, medians = rows[0][:2], rows[0][2:4], rows[0][4:]
    assert transition == (bottleneck["from_activity"], bottleneck["to_activity"])
    assert counts == (bottleneck["baseline_transitions"], bottleneck["post_transitions"])
    # The warehouse reads the generator's own events: the same medians, not an estimate of them.
    assert medians == pytest.approx(
        (
            bottleneck["baseline_median_wait_hours"],
            bottleneck["post_median_wait_hours"],
            bottleneck["wait_rise_hours"],
        ),
        rel=1e-9,
    )


def test_operator_tracker_names_the_injected_wait(warehouse, bottleneck):
    rows = warehouse.execute(
        "select blocking_from_activity, blocking_to_activity, baseline_wait_hours, post_wait_hours, blocker "
        "from marts.operator_tracker where use_case_id = ?",
        [bottleneck["use_case_id"]],
    ).fetchall()
    assert rows
    baseline, post = bottleneck["baseline_median_wait_hours"], bottleneck["post_median_wait_hours"]
    blocker = (
        f"wait {bottleneck['from_activity']} -> {bottleneck['to_activity']} up "
        f"{bottleneck['wait_rise_hours']:.1f} h (baseline {baseline:.1f} h, now {post:.1f} h)"
    )
    for from_activity, to_activity, baseline_hours, post_hours, text in rows:
        assert (from_activity, to_activity) == (bottleneck["from_activity"], bottleneck["to_activity"])
        assert (baseline_hours, post_hours) == pytest.approx((baseline, post), rel=1e-9)
        assert text == blocker


def test_pain_to_value_map_puts_the_injected_wait_among_the_top_candidates(warehouse, bottleneck):
    ranks = warehouse.execute(
        "select from_activity, activity, opportunity_rank from marts.pain_to_value_map "
        "where use_case_id = ? and subject_kind = 'transition' order by opportunity_rank",
        [bottleneck["use_case_id"]],
    ).fetchall()
    top = [(from_activity, activity) for from_activity, activity, rank in ranks if rank <= 3]
    assert (bottleneck["from_activity"], bottleneck["to_activity"]) in top, ranks


def assert_pain_map_equals_reference(con: duckdb.DuckDBPyConnection, landing) -> pd.DataFrame:
    expected = compute_pain_to_value(landing)
    actual = con.execute("select * exclude (use_case_name) from marts.pain_to_value_map").df()
    assert sorted(actual.columns) == sorted(expected.columns)

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        keyed = frame.assign(_from=frame["from_activity"].fillna(""))
        return keyed.sort_values([*SUBJECT, "_from"]).drop(columns="_from").reset_index(drop=True)

    actual, expected = ordered(actual), ordered(expected)[actual.columns]
    assert len(actual) > 0
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9, atol=1e-9)
    return actual


def test_pain_to_value_map_equals_the_pandas_computation(warehouse, settings, ground_truth):
    published = assert_pain_map_equals_reference(warehouse, settings.landing_root)
    assert published["monthly_cost"].notna().all(), "every demo team has a cost rate"


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared real data not available")
def test_pain_to_value_map_on_bpic2012_equals_the_pandas_computation(own_data_build):
    built = own_data_build("bpic2012")
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        published = assert_pain_map_equals_reference(con, built["landing"])
    assert (published["subject_kind"] == "activity").any(), "BPIC 2012 records start and complete"
