"""Two runs started together on one warehouse: one is refused with a clear message, the other
completes, and the warehouse equals a clean build."""

import pytest

from tests.reliability.conftest import RUN_TIMEOUT_S, assert_same, kill_group, new_home, snapshot
from value_pipeline.run_lock import WarehouseLock

pytestmark = pytest.mark.integration


def test_two_runs_started_together_one_refused_one_complete(small_landing, reference, tmp_path):
    home = new_home(tmp_path / "home")
    logs = [home.root / "first.log", home.root / "second.log"]
    processes = [home.start(small_landing, log) for log in logs]
    try:
        codes = [p.wait(timeout=RUN_TIMEOUT_S) for p in processes]
    finally:
        for process in processes:
            kill_group(process)
    texts = [log.read_text(errors="replace") for log in logs]

    assert sorted(codes) == [0, 1], texts
    refused = texts[codes.index(1)]
    assert "is in use by another run (Dagster run" in refused, refused
    assert "workflow_events: " not in refused, "the refused run must not have loaded anything"
    assert_same(reference, snapshot(home.warehouse))


def test_a_run_refused_by_the_lock_says_so_in_its_quiet_output(small_landing, tmp_path):
    """The refusal happens before any step (the warehouse resource cannot start): the quiet run's
    output still names the holder (the race in the test above may put it either side of a step)."""
    home = new_home(tmp_path / "home")
    home.warehouse.parent.mkdir(parents=True)
    lock = WarehouseLock(home.warehouse)
    lock.acquire(holder="Dagster run held-by-this-test")
    try:
        code, log = home.run(small_landing, "refused")
    finally:
        lock.release()
    assert code == 1, log
    assert "run failed: " in log and "is in use by another run (Dagster run held-by-this-test" in log, log
    assert not home.warehouse.exists(), "the refused run must not have written the warehouse"
