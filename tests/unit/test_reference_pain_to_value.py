"""The pandas reference for the pain-to-value map orders a case's events and finds handling as
docs/processes.md says (what tests/integration/test_pain_to_value.py compares the mart with)."""

import pandas as pd
import pytest

from tests.reference.pain_to_value import case_steps


def events(rows: list[tuple]) -> pd.DataFrame:
    columns = ["case_id", "event_ts", "_partition_date", "_source_file", "_source_line"]
    columns += ["activity", "lifecycle", "team"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["event_ts"] = pd.to_datetime(frame["event_ts"])
    frame["_partition_date"] = pd.to_datetime(frame["_partition_date"])
    return frame


def test_ties_in_time_follow_the_delivered_order():
    steps = case_steps(
        events(
            [
                ("c", "2025-01-01 10:00", "2025-01-02", "a.csv", 3, "B", None, "t"),
                ("c", "2025-01-01 10:00", "2025-01-01", "z.csv", 9, "A", None, "t"),
                ("c", "2025-01-01 09:00", "2025-01-02", "a.csv", 1, "S", None, "u"),
            ]
        )
    )
    assert steps["activity"].tolist() == ["S", "A", "B"]
    assert steps["from_activity"].tolist()[1:] == ["S", "A"]
    assert steps["wait_hours"].tolist()[1:] == [1.0, 0.0]
    assert steps["is_handoff"].tolist() == [False, True, False]


def test_a_complete_after_an_open_start_is_handling_once():
    steps = case_steps(
        events(
            [
                ("c", "2025-01-01 08:00", "2025-01-01", "f", 1, "W", "start", "t"),
                ("c", "2025-01-01 09:00", "2025-01-01", "f", 2, "W", "start", "t"),
                ("c", "2025-01-01 11:30", "2025-01-01", "f", 3, "W", "complete", "t"),
                ("c", "2025-01-01 12:00", "2025-01-01", "f", 4, "W", "complete", "t"),
                ("c", "2025-01-01 13:00", "2025-01-01", "f", 5, "X", "complete", "t"),
            ]
        )
    )
    # the latest open start counts; a second complete and a complete without a start do not
    assert steps["handling_hours"].tolist()[2] == pytest.approx(2.5)
    assert steps["handling_hours"].isna().tolist() == [True, True, False, True, True]
    assert steps["is_rework"].tolist() == [False, True, True, True, False]
