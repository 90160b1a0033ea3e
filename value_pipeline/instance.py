"""The embedded Dagster instance (``DAGSTER_HOME``): its ``dagster.yaml`` and an event log storage that
keeps its SQLite files open.

Dagster's ``SqliteEventLogStorage`` creates an engine and opens (and, in WAL mode, checkpoints and
closes) a database file for every statement batch: two to four per event, 7-16 ms an event on the
bench machine, and a run of the job writes ~1,600 (one day) to ~6,000 events (a full load; see
bench/analysis.md). ``PooledSqliteEventLogStorage`` writes the same files with the same schema
through one engine and one open connection per file, so history written by either storage reads the
same in the UI. Its WAL files commit without waiting for the disk (``synchronous=NORMAL``: an
operating-system crash or power cut can lose the last events, never corrupt the file; a crash of the
run loses nothing), and it remembers the index tables it has seen (Dagster asks before every asset
check event, each time on a new connection).

Runs, schedules and every other part of the instance stay Dagster's defaults; a ``dagster.yaml``
that already exists is never rewritten (a user's PostgreSQL storage stays as it is).
``open_instance`` creates the instance under a lock on the home, so runs started together on a new
home do not race to create its SQLite tables.
"""

from __future__ import annotations

import fcntl
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool, StaticPool

INSTANCE_YAML = """\
telemetry:
  enabled: false
event_log_storage:
  module: value_pipeline.instance
  class: PooledSqliteEventLogStorage
"""
BUSY_TIMEOUT = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
# Files kept open at once (the index and the newest runs'); a long-lived UI reads many runs.
MAX_OPEN_FILES = 16


def write_instance_yaml(dagster_home: Path) -> None:
    """Create ``dagster_home`` and its ``dagster.yaml`` unless the file exists."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    if not path.exists():
        # Written whole, then renamed: a run starting beside this one never reads half a file.
        partial = path.with_name(f".dagster.yaml.{os.getpid()}")
        partial.write_text(INSTANCE_YAML)
        partial.replace(path)


def open_instance() -> dg.DagsterInstance:
    """The instance of ``DAGSTER_HOME``, created under a lock on the home: two runs started together
    on a new home would both create its SQLite tables, and one fail on "table runs already exists"
    before the warehouse lock could refuse it with a clear message."""
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / ".instance.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return dg.DagsterInstance.get()
    finally:
        os.close(fd)  # releases the lock


def _commit_without_fsync(dbapi_connection, _record) -> None:
    """A file in WAL mode (as Dagster creates them) commits without an fsync: 0.35-0.9 ms saved on
    each of a run's ~4,000 commits. WAL with ``synchronous=NORMAL`` stays consistent after a power
    cut; any other journal mode keeps SQLite's default."""
    if dbapi_connection.execute("pragma journal_mode").fetchone()[0] == "wal":
        dbapi_connection.execute("pragma synchronous = normal")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log with one engine and one open connection per file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict:
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: dict):
        """``base_dir`` defaults to where Dagster's own default puts the event logs."""
        base_dir = config_value.get("base_dir") or os.path.join(os.environ["DAGSTER_HOME"], "history", "runs")
        return cls(base_dir, inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.pop(shard, None) or self._open(shard)
            self._engines[shard] = engine
            while len(self._engines) > MAX_OPEN_FILES:
                self._engines.popitem(last=False)[1].dispose()
            with engine.connect() as conn, conn.begin():
                yield conn

    def _open(self, shard: str) -> Engine:
        url = self.conn_string_for_shard(shard)
        if shard not in self._initialized_dbs:
            # Created as the parent does (its retries expect another process to create the same
            # file at the same time, with connections of their own).
            self._initdb(create_engine(url, poolclass=NullPool, connect_args=BUSY_TIMEOUT))
            self._initialized_dbs.add(shard)
        # One connection, used under the parent's lock by one thread at a time.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={**BUSY_TIMEOUT, "check_same_thread": False}
        )
        event.listen(engine, "connect", _commit_without_fsync)
        return engine

    def has_table(self, table_name: str) -> bool:
        """Whether the index holds ``table_name``; a table once found is not looked up again."""
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def _close_files(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        """Close the files before the parent deletes the run files."""
        self._close_files()
        self._tables.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_files()
        super().dispose()
