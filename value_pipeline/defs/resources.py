"""Resources: the landing root and the DuckDB warehouse, configured from the environment."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from value_pipeline.config import Settings
from value_pipeline.run_lock import WarehouseLock


class LandingResource(dg.ConfigurableResource):
    """The landing root that customers' exports are delivered to."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. A run holds the warehouse lock from start to end (see run_lock.py);
    a second run waits up to ``lock_timeout_s`` and is then refused with the holder's name."""

    path: str
    memory_limit: str = "4GB"
    lock_timeout_s: float = 0.0
    _lock: WarehouseLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run_id = context.run_id or "no run"
        self._lock = WarehouseLock(Path(self.path), timeout_s=self.lock_timeout_s)
        self._lock.acquire(holder=f"Dagster run {run_id}")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, config={"memory_limit": self.memory_limit})
        con.execute("set TimeZone = 'UTC'")
        try:
            yield con
        finally:
            con.close()


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "landing": LandingResource(root=str(settings.landing_root)),
        "warehouse": WarehouseResource(
            path=str(settings.warehouse_path), lock_timeout_s=settings.lock_timeout_s
        ),
    }


defs = dg.Definitions(resources=build_resources(Settings.from_env()))
