"""Two runs started together on one warehouse: one is refused with a clear message, the other
completes, and the warehouse equals a clean build."""

import pytest

from tests.reliability.conftest import RUN_TIMEOUT_S, assert_same, kill_group, new_home, snapshot

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
