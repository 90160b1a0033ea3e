"""Freshness and volume rules, and the warehouse run lock."""

import subprocess
import sys
from datetime import date, datetime

import pytest

from value_pipeline.monitoring import freshness, volume_change
from value_pipeline.run_lock import WarehouseBusyError, WarehouseLock

DAYS = [date(2026, 6, 29), date(2026, 6, 30)]


def test_yesterday_present_passes():
    assert freshness(datetime(2026, 7, 1, 9), 6, DAYS).passed


def test_missing_yesterday_before_the_deadline_is_not_yet_late():
    result = freshness(datetime(2026, 7, 2, 5, 59), 6, DAYS)
    assert result.passed and "not due before 06:00" in result.message


def test_missing_yesterday_after_the_deadline_is_stale_and_says_what_landed():
    result = freshness(datetime(2026, 7, 2, 6, 0), 6, DAYS)
    assert not result.passed
    assert (
        result.message
        == "stale: dt=2026-07-01 had not landed by 06:00; the latest partition is dt=2026-06-30"
    )
    assert not freshness(datetime(2026, 7, 2, 12), 6, []).passed


@pytest.mark.parametrize(
    ("previous", "current", "passed"),
    [(None, 10, True), (0, 10, True), (100, 85, True), (100, 84, False), (100, 500, True), (100, 0, False)],
)
def test_volume_change_fails_beyond_a_15_percent_drop(previous, current, passed):
    assert volume_change(previous, current).passed is passed


def test_a_second_holder_is_refused_with_the_first_holders_name(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    first = WarehouseLock(warehouse)
    first.acquire("run A")
    try:
        with pytest.raises(WarehouseBusyError, match=r"in use by another run \(run A, pid \d+\)"):
            WarehouseLock(warehouse, timeout_s=0.2, poll_s=0.05).acquire("run B")
    finally:
        first.release()
    second = WarehouseLock(warehouse)
    second.acquire("run B")
    second.release()


def test_the_lock_dies_with_its_process(tmp_path):
    """A killed run must not leave the warehouse locked."""
    warehouse = tmp_path / "warehouse.duckdb"
    code = (
        "import sys; from value_pipeline.run_lock import WarehouseLock; "
        f"WarehouseLock(r'{warehouse}').acquire('doomed'); print('locked', flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "locked"
    with pytest.raises(WarehouseBusyError):
        WarehouseLock(warehouse).acquire("waiting run")
    child.kill()
    child.wait()
    lock = WarehouseLock(warehouse, timeout_s=5, poll_s=0.05)
    lock.acquire("next run")
    lock.release()
