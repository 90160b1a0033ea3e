"""A run killed with SIGKILL during ingestion or during dbt, then run again, ends where an
uninterrupted run ends: every mart and every raw row count identical."""

import os
import re
import signal
from pathlib import Path

import pytest

from tests.reliability.conftest import assert_same, kill_group, new_home, session_gone, snapshot, wait_for_log

pytestmark = pytest.mark.integration

# The ingest steps run in key order; the one after survey_responses loads workflow_events.
BEFORE_WORKFLOW_EVENTS = r"survey_responses: \d+ files"
# dbt has built part of the marts schema and is working on the rest.
DURING_DBT = r"OK created sql table model marts\.\w+"
# The log patterns above are dbt's and the steps' own lines: only a verbose run streams them.
VERBOSE = ("--verbose",)


def kill_when(home, landing, name: str, pattern: str) -> str:
    """Start a run, SIGKILL its main process when the log matches ``pattern``; returns the log."""
    log = home.root / f"{name}.log"
    process = home.start(landing, log, options=VERBOSE)
    try:
        text = wait_for_log(process, log, pattern)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        # dbt ends on its own once it finds its output pipe closed; the next run stops it before that
        # (test_a_run_killed_during_dbt_can_be_retried_at_once).
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


def test_a_run_killed_during_dbt_can_be_retried_at_once(small_landing, reference, tmp_path):
    """SIGKILL cannot take dbt along; the retry stops the dbt the killed run left, then runs."""
    home = new_home(tmp_path / "home")
    log = home.root / "killed.log"
    process = home.start(small_landing, log, options=VERBOSE)
    try:
        wait_for_log(process, log, DURING_DBT)
        children = re.findall(r"^child (\d+) ", Path(f"{home.warehouse}.lock").read_text(), re.M)
        assert children, "the run records its dbt child in the lock file"
        orphan = int(children[-1])
        # dbt busy with a long model writes nothing, so it does not notice its parent's death (it
        # would die of the closed pipe at its next log line); SIGSTOP holds it there for the test.
        os.kill(orphan, signal.SIGSTOP)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert Path(f"/proc/{orphan}").exists(), "dbt outlived the run, holding DuckDB's lock"

        code, text = home.run(small_landing, "retry", options=VERBOSE)
        assert code == 0, text
        assert f"stopped dbt (pid {orphan}) left running by a killed run (Dagster run" in text
        assert "Could not set lock on file" not in text, "DuckDB's lock error reached the user"
        assert (
            not Path(f"/proc/{orphan}").exists() or "State:\tZ" in Path(f"/proc/{orphan}/status").read_text()
        )
    finally:
        kill_group(process)
    assert_same(reference, snapshot(home.warehouse))
