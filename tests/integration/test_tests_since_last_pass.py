"""dbt tests of incremental models read the rows built since they last passed
(dbt_project/macros/testing/tests_since_last_pass.sql), on copies of the demo warehouse."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from value_pipeline.config import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

DBT = str(Path(sys.executable).parent / "dbt")
UNIQUE_EVENT_ID = "unique_stg_workflow_events__events_event_id"
EVENT_TYPES = (
    "accepted_values_stg_workflow_events__events_event_type"
    "__opened__assigned__worked__automated_step__resolved__closed__reopened"
)
LATER = "timestamp '2100-01-01'"


def _dbt_test(warehouse: Path, tmp_path: Path, select: str) -> dict[str, dict]:
    """``dbt test --select`` on ``warehouse``: each test's result (status, failures, compiled code)."""
    env = {**os.environ, "VALUE_PIPELINE_WAREHOUSE": str(warehouse)}
    command = [DBT, "test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--select", select, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)]
    subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r for r in results}


def _passes(warehouse: Path, test_name: str) -> list:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select test_key, passed_through from audit.dbt_test_passes where test_key like ? order by 2",
            [f"test.value_pipeline.{test_name}%"],
        ).fetchall()


@pytest.fixture
def copy(settings, demo_run, tmp_path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.warehouse_path, target)
    return target


def test_the_demo_run_recorded_a_pass_and_the_next_run_reads_the_rows_built_after_it(copy, tmp_path):
    [(_, passed_through)] = _passes(copy, UNIQUE_EVENT_ID)
    with duckdb.connect(str(copy), read_only=True) as con:
        built_at = con.execute("select max(built_at) from staging.stg_workflow_events__events").fetchone()[0]
    assert passed_through == built_at

    result = _dbt_test(copy, tmp_path, UNIQUE_EVENT_ID)[UNIQUE_EVENT_ID]
    assert result["status"] == "pass"
    assert f"built.built_at > cast('{passed_through}' as timestamp)" in result["compiled_code"]
    assert len(_passes(copy, UNIQUE_EVENT_ID)) == 2


def test_a_new_row_is_checked_against_every_row_of_its_key_until_the_test_passes(copy, tmp_path):
    with duckdb.connect(str(copy)) as con:
        # Another copy of an event, as a later incremental run would write it.
        con.execute(
            f"insert into staging.stg_workflow_events__events select * replace ({LATER} as built_at) "
            "from staging.stg_workflow_events__events where event_id = "
            "(select min(event_id) from staging.stg_workflow_events__events)"
        )
    recorded = _passes(copy, UNIQUE_EVENT_ID)

    results = _dbt_test(copy, tmp_path, UNIQUE_EVENT_ID)
    assert results[UNIQUE_EVENT_ID]["status"] == "fail"
    assert results[UNIQUE_EVENT_ID]["failures"] == 1
    assert _passes(copy, UNIQUE_EVENT_ID) == recorded

    # No pass recorded: the next run reads the same rows and fails again.
    results = _dbt_test(copy, tmp_path, UNIQUE_EVENT_ID)
    assert results[UNIQUE_EVENT_ID]["status"] == "fail"
    assert _passes(copy, UNIQUE_EVENT_ID) == recorded


def test_rows_left_in_place_since_the_pass_are_read_again_only_without_a_pass(copy, tmp_path):
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update staging.stg_workflow_events__events set event_type = 'escalated' "
            "where event_id = (select min(event_id) from staging.stg_workflow_events__events)"
        )
    assert _dbt_test(copy, tmp_path, EVENT_TYPES)[EVENT_TYPES]["status"] == "pass"

    with duckdb.connect(str(copy)) as con:
        con.execute("delete from audit.dbt_test_passes where test_key like ?", [f"%{EVENT_TYPES}%"])
    result = _dbt_test(copy, tmp_path, EVENT_TYPES)[EVENT_TYPES]
    assert result["status"] == "fail" and result["failures"] == 1
    assert "built_at" not in result["compiled_code"]
