"""The embedded Dagster instance: its event log storage keeps files open and writes what Dagster's
own SQLite storage reads."""

from __future__ import annotations

import os
import sqlite3.dbapi2
import subprocess
import sys
import time
from sqlite3.dbapi2 import connect

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy import create_engine

from value_pipeline import instance as embedded
from value_pipeline.instance import PooledSqliteEventLogStorage, write_instance_yaml


def entry(run_id: str, event_type: DagsterEventType, data) -> EventLogEntry:
    """A log entry of a Dagster event of ``event_type`` in ``run_id``."""
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        dagster_event=DagsterEvent(event_type.value, "job", event_specific_data=data),
        job_name="job",
    )


def materialization(run_id: str, asset: str) -> EventLogEntry:
    data = StepMaterializationData(dg.AssetMaterialization(dg.AssetKey(asset)))
    return entry(run_id, DagsterEventType.ASSET_MATERIALIZATION, data)


def check_evaluation(run_id: str, asset: str) -> EventLogEntry:
    data = dg.AssetCheckEvaluation(asset_key=dg.AssetKey(asset), check_name="rows", passed=True, metadata={})
    return entry(run_id, DagsterEventType.ASSET_CHECK_EVALUATION, data)


@pytest.fixture
def dagster_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    write_instance_yaml(tmp_path)
    return tmp_path


def test_the_instance_yaml_selects_the_storage_and_keeps_a_users_file(dagster_home):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert storage._base_dir == str(dagster_home / "history" / "runs")
    custom = "telemetry:\n  enabled: true\n"
    (dagster_home / "dagster.yaml").write_text(custom)
    write_instance_yaml(dagster_home)
    assert (dagster_home / "dagster.yaml").read_text() == custom


def test_events_read_back_here_and_with_dagsters_own_storage(dagster_home):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        for i in range(30):
            storage.store_event(materialization(f"run-{i % 3}", f"asset_{i % 5}"))
        assert len(storage.get_logs_for_run("run-1")) == 10
        assert instance.get_latest_materialization_event(dg.AssetKey("asset_4")) is not None
    # The files hold the same rows for Dagster's storage (the UI of a home written by the other one).
    stock = SqliteEventLogStorage(str(dagster_home / "history" / "runs"))
    assert [len(stock.get_logs_for_run(f"run-{r}")) for r in range(3)] == [10, 10, 10]
    latest = stock.get_latest_materialization_events([dg.AssetKey(f"asset_{a}") for a in range(5)])
    assert all(event is not None for event in latest.values())


def test_open_files_are_bounded_and_a_wipe_starts_clean(dagster_home, monkeypatch):
    monkeypatch.setattr(embedded, "MAX_OPEN_FILES", 4)
    storage = PooledSqliteEventLogStorage(str(dagster_home / "runs"))
    for run in range(10):
        storage.store_event(materialization(f"run-{run}", "asset"))
    assert len(storage._engines) == 4
    assert len(storage.get_logs_for_run("run-0")) == 1  # a closed file opens again
    storage.wipe()
    assert storage.get_logs_for_run("run-0") == []
    storage.store_event(materialization("run-0", "asset"))
    assert len(storage.get_logs_for_run("run-0")) == 1
    storage.dispose()
    assert not storage._engines


def test_events_reuse_one_engine_and_connection_per_file(tmp_path, monkeypatch):
    engines, connections = [], []

    def counting_create_engine(url, **kwargs):
        engines.append(url.rsplit("/", 1)[-1])
        return create_engine(url, **kwargs)

    def counting_connect(database, *args, **kwargs):
        connections.append(database.rsplit("/", 1)[-1])
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(embedded, "create_engine", counting_create_engine)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", counting_connect)
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    storage.store_event(materialization("run", "asset"))  # creates the run's file, opens it and the index
    assert sorted(storage._engines) == ["index", "run"]
    engines.clear()
    connections.clear()
    for _ in range(20):
        storage.store_event(materialization("run", "asset"))  # writes the run's file and the index
    assert len(storage.get_logs_for_run("run")) == 21
    assert engines == connections == []
    # Dagster asks whether the index has its check tables before storing each check event.
    storage.store_event(check_evaluation("run", "asset"))
    connections.clear()
    for _ in range(20):
        storage.store_event(check_evaluation("run", "asset"))
    assert engines == connections == []
    assert storage.supports_asset_checks
    storage.dispose()


def test_the_files_are_wal_and_commit_without_waiting_for_the_disk(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    storage.store_event(materialization("run", "asset"))
    for shard in ("run", "index"):
        with storage._connect(shard) as conn:
            assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL (default: FULL)
    storage.dispose()
    # A file not in WAL mode keeps SQLite's default, under which NORMAL could corrupt it on a power cut.
    with sqlite3.dbapi2.connect(str(tmp_path / "run.db")) as plain:
        plain.execute("pragma journal_mode = delete")
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    with storage._connect("run") as conn:
        assert conn.exec_driver_sql("pragma synchronous").scalar() == 2
    storage.dispose()


def test_the_overridden_parent_members_still_exist(tmp_path):
    """An upgrade of Dagster that renames them would silently bring back an engine per event."""
    assert "_connect" in vars(SqliteEventLogStorage)
    assert callable(SqliteEventLogStorage._initdb)
    assert {"_db_lock", "_initialized_dbs"} <= set(vars(SqliteEventLogStorage(str(tmp_path))))


def test_runs_started_together_on_a_new_home_all_open_the_instance(tmp_path):
    """Without the lock on the home, processes creating a new instance together fail on its SQLite
    tables ("table runs already exists", duplicate alembic heads) in most trials."""
    code = (
        "import os; from pathlib import Path; "
        "from value_pipeline.instance import open_instance, write_instance_yaml; "
        "write_instance_yaml(Path(os.environ['DAGSTER_HOME'])); open_instance().dispose()"
    )
    for trial in range(3):
        env = {**os.environ, "DAGSTER_HOME": str(tmp_path / f"home{trial}")}
        processes = [
            subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        failures = [err for p in processes if p.wait() and (err := p.stderr.read())]
        assert failures == [], failures[0][-2000:] if failures else ""
