"""The process marts against pm4py and an independent count, on three real logs built through the
command a user runs (``own_data_build`` in conftest.py: init, adapt, run; shared with test_own_data.py).

- helpdesk and BPIC 2012: pm4py reads the XES files themselves, independently of the XES adapter.
- ServiceNow: pm4py has no reader for the export, so its log is the adapter's landing files (in file
  order, through ``pm4py.format_dataframe``); this checks the SQL against pm4py on the adapter's events
  (the adapter's mapping is tested in tests/unit/test_adapters.py).

The directly-follows counts, summed over the months the cases started, must equal pm4py's
``discover_dfg`` exactly, and for helpdesk also the plain-Python count of tests/reference. Each median
wait must equal pm4py's ``discover_performance_dfg`` median of the log filtered to the cases that
started in that month (target timestamp - source timestamp; bench/process_mining_reference.py, which
prints these figures), for every month of every log: BPIC 2012 spans 6 months, helpdesk 47.
"""

from __future__ import annotations

import duckdb
import pytest

from bench.process_mining_reference import (
    mart_median_waits,
    mart_transitions,
    pm4py_landing_log,
    pm4py_median_waits,
    pm4py_transitions,
    pm4py_xes_log,
    wait_differences,
)
from tests.integration.conftest import OWN_DATA_LOGS, REALDATA
from tests.reference.process_mining import directly_follows, median_waits_by_month, read_cases

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason="shared real data not available")
WAIT_TOLERANCE_S = 1e-6


@pytest.fixture(scope="module", params=["helpdesk", "bpic2012", "servicenow"])
def built(request, own_data_build) -> dict:
    return own_data_build(request.param)


@pytest.fixture(scope="module")
def warehouse(built):
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def pm4py_log(built):
    adapter, export = OWN_DATA_LOGS[built["log"]][:2]
    return pm4py_xes_log(export) if adapter == "xes" else pm4py_landing_log(built["landing"])


def _far_apart(ours: dict, theirs: dict) -> dict:
    """(month, from, to) -> (ours, theirs) where the medians differ by more than the tolerance."""
    return {
        key: (ours.get(key), theirs[key])
        for key, difference in wait_differences(ours, theirs).items()
        if difference > WAIT_TOLERANCE_S
    }


def test_transitions_summed_over_months_are_pm4py_directly_follows_counts(built, warehouse, pm4py_log):
    theirs = pm4py_transitions(pm4py_log)
    assert mart_transitions(warehouse, built["use_case"]) == theirs
    # Every event but a case's first follows another.
    assert sum(theirs.values()) == built["events"] - built["cases"]


def test_median_waits_per_case_month_are_pm4py_performance_medians(built, warehouse, pm4py_log):
    # Without a start_timestamp column pm4py measures an edge from the source event's timestamp to the
    # target event's timestamp, as wait_hours does.
    assert "start_timestamp" not in pm4py_log.columns
    ours = mart_median_waits(warehouse, built["use_case"])
    theirs = pm4py_median_waits(pm4py_log)
    assert set(ours) == set(theirs)
    assert _far_apart(ours, theirs) == {}


def test_helpdesk_transitions_and_waits_are_the_independent_count(own_data_build):
    """The issue's acceptance: the directly-follows counts of helpdesk as a plain reading of the XES
    file counts them."""
    built = own_data_build("helpdesk")
    cases = read_cases(OWN_DATA_LOGS["helpdesk"][1])
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        assert mart_transitions(con, built["use_case"]) == dict(directly_follows(cases))
        ours = mart_median_waits(con, built["use_case"])
    theirs = median_waits_by_month(cases)
    assert set(ours) == set(theirs)
    assert _far_apart(ours, theirs) == {}


def test_helpdesk_has_pain_to_value_candidates(own_data_build):
    built = own_data_build("helpdesk")
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        candidates = con.execute(
            "select count(*) from marts.pain_to_value_map where use_case_id = ?", [built["use_case"]]
        ).fetchone()[0]
    assert candidates > 0
