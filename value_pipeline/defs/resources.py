"""Resources: the landing root and the warehouse, configured from the environment.

The warehouse follows VALUE_PIPELINE_TARGET (docs/engines.md). On DuckDB (the default) everything
happens in the warehouse file. On another engine the landing validation still runs in DuckDB, in a
local staging file beside where the warehouse file would be, and the Python steps reach the engine
through ``engine()``; steps that check or publish marts read a DuckDB copy of them (``read_copy``).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from value_pipeline.config import DUCKDB_MEMORY_LIMIT, Settings
from value_pipeline.engines import Engine, current_target, engine_for
from value_pipeline.engines.types import duckdb_type
from value_pipeline.run_lock import WarehouseLock

STAGING_FILE = "landing.duckdb"


class LandingResource(dg.ConfigurableResource):
    """The landing root that customers' exports are delivered to."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse on the ``target`` engine and the local DuckDB file the loaders validate in (the
    warehouse file itself on DuckDB). A run holds the lock of that file from start to end (see
    run_lock.py); a second run waits up to ``lock_timeout_s`` and is then refused with the holder's
    name."""

    path: str
    target: str = "duckdb"
    memory_limit: str = DUCKDB_MEMORY_LIMIT
    lock_timeout_s: float = 0.0
    _lock: WarehouseLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run_id = context.run_id or "no run"
        self._lock = WarehouseLock(Path(self.path), timeout_s=self.lock_timeout_s)
        self._lock.acquire(holder=f"Dagster run {run_id}")
        for stopped in self._lock.stopped:
            context.log.warning(stopped)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()

    def record_child(self, pid: int) -> None:
        """A process of this run (dbt) that the next run stops if this one is killed (run_lock.py)."""
        if self._lock is not None:
            self._lock.record_child(pid)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, config={"memory_limit": self.memory_limit})
        con.execute("set TimeZone = 'UTC'")
        try:
            yield con
        finally:
            con.close()

    @property
    def ships(self) -> bool:
        """Whether loaded rows are copied from the local DuckDB file to another engine."""
        return self.target != "duckdb"

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """The target engine; on DuckDB the warehouse file (do not hold ``connect()`` open too)."""
        if self.ships:
            engine = engine_for(Settings.from_env(), self.target)
        else:
            from value_pipeline.engines.duckdb import DuckDBEngine

            engine = DuckDBEngine(self.path, memory_limit=self.memory_limit)
        try:
            yield engine
        finally:
            engine.close()

    def row_counts(self, tables: Sequence[str]) -> dict[str, int]:
        """Rows in each ``schema.table`` on the target."""
        with self.engine() as engine:
            counted = {table: engine.query(f"select count(*) as n from {table}") for table in tables}
        return {table: int(frame["n"].iloc[0]) for table, frame in counted.items()}

    @contextmanager
    def read_copy(self, tables: Sequence[str]) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection that holds ``tables`` (``schema.table``) as the target has them: the
        warehouse file itself on DuckDB, an in-memory copy with the same column types elsewhere."""
        if not self.ships:
            with self.connect() as con:
                yield con
            return
        con = duckdb.connect()
        try:
            with self.engine() as engine:
                for name in tables:
                    schema, table = name.split(".")
                    frame = engine.read_table(schema, table)
                    casts = ", ".join(
                        f'cast("{column}" as {duckdb_type(kind)}) as "{column}"'
                        for column, kind in engine.column_types(schema, table).items()
                    )
                    con.execute(f'create schema if not exists "{schema}"')
                    con.register("_copied", frame)
                    con.execute(f'create table "{schema}"."{table}" as select {casts} from _copied')
                    con.unregister("_copied")
            yield con
        finally:
            con.close()


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    target = current_target()
    local = settings.warehouse_path if target == "duckdb" else settings.warehouse_path.parent / STAGING_FILE
    return {
        "landing": LandingResource(root=str(settings.landing_root)),
        "warehouse": WarehouseResource(
            path=str(local),
            target=target,
            lock_timeout_s=settings.lock_timeout_s,
            memory_limit=settings.duckdb_memory_limit,
        ),
    }


defs = dg.Definitions(resources=build_resources(Settings.from_env()))
