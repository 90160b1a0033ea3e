"""Settings from environment variables, with working defaults for the embedded DuckDB warehouse."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEMO_REGISTRY = PROJECT_ROOT / "assets" / "registry" / "demo_registry.yml"
# DuckDB's memory limit for every connection the product opens (and dbt's, in profiles.yml):
# beyond it DuckDB spills. 2 GB keeps a 50M-event build's process tree under 4 GB (3.17 GiB measured:
# dbt 2.43, the Dagster process 0.70; with 3 GB: 4.21 GiB, 1,691 s instead of 2,330 s; docs/benchmarks.md).
DUCKDB_MEMORY_LIMIT = "2GB"


@dataclass(frozen=True)
class Settings:
    """Where the product reads and writes; every field has an environment variable."""

    home: Path
    landing_root: Path
    warehouse_path: Path
    serving_root: Path
    reports_root: Path
    postgres_url: str | None
    partitions_start: date
    schedule_timezone: str
    lock_timeout_s: float
    freshness_hour: int
    # DuckDB memory cap of every connection the product opens (dbt's profile reads the same variable);
    # past it DuckDB spills to ``<warehouse>.tmp``.
    duckdb_memory_limit: str

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("VALUE_PIPELINE_HOME", PROJECT_ROOT / "data")).resolve()
        return cls(
            home=home,
            landing_root=Path(os.environ.get("VALUE_PIPELINE_LANDING", home / "landing")).resolve(),
            warehouse_path=Path(
                os.environ.get("VALUE_PIPELINE_WAREHOUSE", home / "warehouse" / "warehouse.duckdb")
            ).resolve(),
            serving_root=Path(os.environ.get("VALUE_PIPELINE_SERVING", home / "serving")).resolve(),
            reports_root=Path(os.environ.get("VALUE_PIPELINE_REPORTS", home / "reports")).resolve(),
            # Publishing to PostgreSQL is on when this is set (e.g. postgresql://user@host:5432/db).
            postgres_url=os.environ.get("VALUE_PIPELINE_POSTGRES_URL") or None,
            partitions_start=date.fromisoformat(os.environ.get("VALUE_PIPELINE_START_DATE", "2025-01-01")),
            schedule_timezone=os.environ.get("VALUE_PIPELINE_TIMEZONE", "UTC"),
            lock_timeout_s=float(os.environ.get("VALUE_PIPELINE_LOCK_TIMEOUT", "0")),
            freshness_hour=int(os.environ.get("VALUE_PIPELINE_FRESHNESS_HOUR", "6")),
            duckdb_memory_limit=os.environ.get("VALUE_PIPELINE_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT),
        )

    def export(self) -> None:
        """Publish the paths to child processes (dbt reads the warehouse path from its profile)."""
        os.environ["VALUE_PIPELINE_WAREHOUSE"] = str(self.warehouse_path)
        os.environ["VALUE_PIPELINE_LANDING"] = str(self.landing_root)
