"""A run killed with SIGKILL during ingestion or during dbt, then run again, ends where an
uninterrupted run ends: every mart and every raw row count identical."""

import os
import signal

import pytest

from tests.reliability.conftest import assert_same, kill_group, new_home, session_gone, snapshot, wait_for_log

pytestmark = pytest.mark.integration

# The ingest steps run in key order; the one after survey_responses loads workflow_events.
BEFORE_WORKFLOW_EVENTS = r"survey_responses: \d+ files"
# dbt has built part of the marts schema and is working on the rest.
DURING_DBT = r"OK created sql table model marts\.\w+"


def kill_when(home, landing, name: str, pattern: str) -> str:
    """Start a run, SIGKILL its main process when the log matches ``pattern``; returns the log."""
    log = home.root / f"{name}.log"
    process = home.start(landing, log)
    try:
        text = wait_for_log(process, log, pattern)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        # Dagster's orphan watcher takes the dbt child down with its parent.
        assert session_gone(process), "a process of the killed run (dbt?) outlived it"
    finally:
        kill_group(process)
    return text


def test_killed_during_ingestion_then_during_dbt_then_rerun_equals_uninterrupted(
    small_landing, reference, tmp_path
):
    home = new_home(tmp_path / "home")

    kill_when(home, small_landing, "killed_in_ingestion", BEFORE_WORKFLOW_EVENTS)
    assert "workflow_events: " not in (home.root / "killed_in_ingestion.log").read_text()

    text = kill_when(home, small_landing, "killed_in_dbt", DURING_DBT)
    assert "workflow_events: " in text, "the second run reached dbt, so ingestion completed"
    assert "is in use by another run" not in text, "a killed run must not leave the warehouse locked"

    code, log = home.run(small_landing, "rerun")
    assert code == 0, log
    assert_same(reference, snapshot(home.warehouse))
