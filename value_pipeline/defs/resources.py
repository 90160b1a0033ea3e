"""Resources: the landing root and the DuckDB warehouse, configured from the environment."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from value_pipeline.config import Settings


class LandingResource(dg.ConfigurableResource):
    """The landing root that customers' exports are delivered to."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (one writer at a time: the run holds it only while a step needs it)."""

    path: str
    memory_limit: str = "4GB"

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
        "warehouse": WarehouseResource(path=str(settings.warehouse_path)),
    }


defs = dg.Definitions(resources=build_resources(Settings.from_env()))
