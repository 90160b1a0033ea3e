"""The two references of the process marts agree on a small XES log built to trip them: the plain-Python
reader (tests/reference/process_mining.py) and pm4py as bench/process_mining_reference.py drives it.
tests/integration/test_process_mining_reference.py compares both with the warehouse on the real logs.
"""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from bench.process_mining_reference import pm4py_median_waits, pm4py_transitions, pm4py_xes_log
from tests.reference.process_mining import directly_follows, median_waits_by_month, read_cases


def _event(activity: str, timestamp: str | None) -> str:
    stamp = f'<date key="time:timestamp" value="{timestamp}"/>' if timestamp else ""
    return f'<event><string key="concept:name" value="{activity}"/>{stamp}</event>'


def _trace(name: str | None, *events: str) -> str:
    label = f'<string key="concept:name" value="{name}"/>' if name else ""
    return f"<trace>{label}{''.join(events)}</trace>"


# A: written out of time order, with three events at the same instant (kept in file order); its
#    offsets straddle a DST change, so waits must be read in UTC.
# B: starts on 31 January local time, in February UTC; a second trace named B continues the case.
TRACES = (
    _trace(
        "A",
        _event("register", "2020-03-28T10:00:00+01:00"),
        _event("check", "2020-03-30T10:00:00+02:00"),
        _event("triage", "2020-03-28T12:00:00+01:00"),
        _event("z-step", "2020-03-30T10:00:00+02:00"),
        _event("a-step", "2020-03-30T10:00:00+02:00"),
    )
    + _trace("B", _event("register", "2020-01-31T23:30:00-01:00"), _event("check", "2020-02-01T01:30:00Z"))
    + _trace("B", _event("triage", "2020-02-01T02:00:00.500Z"))
)
# What the adapter drops and pm4py refuses (the real logs hold neither): an unnamed trace, an event
# without a timestamp.
UNREADABLE = _trace(None, _event("register", "2020-01-01T00:00:00Z"), _event("check", "2020-01-02T00:00:00Z"))
UNREADABLE += _trace("B", _event("ignored", None))
HOUR = 3600.0
EXPECTED_COUNTS = {
    ("register", "triage"): 1,
    ("triage", "check"): 1,
    ("check", "z-step"): 1,
    ("z-step", "a-step"): 1,
    ("register", "check"): 1,
    ("check", "triage"): 1,
}
EXPECTED_WAITS = {
    (date(2020, 3, 1), "register", "triage"): 2 * HOUR,
    # 28 March 12:00 CET to 30 March 10:00 CEST: 45 hours, not 46.
    (date(2020, 3, 1), "triage", "check"): 45 * HOUR,
    (date(2020, 3, 1), "check", "z-step"): 0.0,
    (date(2020, 3, 1), "z-step", "a-step"): 0.0,
    (date(2020, 2, 1), "register", "check"): HOUR,
    (date(2020, 2, 1), "check", "triage"): 1800.5,
}


def _write(path, traces: str):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(f'<log xmlns="http://www.xes-standard.org/">{traces}</log>')
    return path


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("xes") / "small.xes.gz", TRACES)


def test_plain_reader_counts_and_waits(small_log, tmp_path):
    for path in (small_log, _write(tmp_path / "with_unreadable.xes.gz", TRACES + UNREADABLE)):
        cases = read_cases(path)
        assert sorted(cases) == ["A", "B"]
        assert dict(directly_follows(cases)) == EXPECTED_COUNTS
        assert median_waits_by_month(cases) == EXPECTED_WAITS


def test_pm4py_agrees_with_the_plain_reader(small_log):
    log = pm4py_xes_log(small_log)
    assert pm4py_transitions(log) == EXPECTED_COUNTS
    assert pm4py_median_waits(log) == pytest.approx(EXPECTED_WAITS, abs=1e-6)


def test_median_of_an_even_number_of_waits_is_the_midpoint(tmp_path):
    """percentile_cont(0.5) interpolates; so must both references."""
    path = _write(
        tmp_path / "even.xes.gz",
        "".join(
            _trace(f"C{n}", _event("a", "2021-05-01T00:00:00Z"), _event("b", f"2021-05-01T0{n}:00:00Z"))
            for n in (1, 2, 4, 9)
        ),
    )
    expected = {(date(2021, 5, 1), "a", "b"): 3 * HOUR}
    assert median_waits_by_month(read_cases(path)) == expected
    assert pm4py_median_waits(pm4py_xes_log(path)) == pytest.approx(expected)
