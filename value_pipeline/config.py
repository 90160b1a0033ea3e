"""Settings from environment variables, with working defaults for the embedded DuckDB warehouse."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# A source checkout keeps the dbt project, the GX suites and the assets beside the package; a wheel
# carries them inside it (``value_pipeline/_bundled``, copied in by ``make wheel``, docs/operations.md).
IS_CHECKOUT = (PACKAGE_DIR.parent / "dbt_project" / "dbt_project.yml").is_file()
PROJECT_ROOT = PACKAGE_DIR.parent if IS_CHECKOUT else PACKAGE_DIR / "_bundled"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEMO_REGISTRY = PROJECT_ROOT / "assets" / "registry" / "demo_registry.yml"
# DuckDB's memory limit for every connection the product opens (and dbt's, in profiles.yml):
# beyond it DuckDB spills. 2 GB keeps a 50M-event build's process tree under 4 GB (3.17 GiB measured:
# dbt 2.43, the Dagster process 0.70; with 3 GB: 4.21 GiB, 1,691 s instead of 2,330 s; docs/benchmarks.md).
DUCKDB_MEMORY_LIMIT = "2GB"
# Where data, warehouse and reports go unless VALUE_PIPELINE_HOME says: the checkout's data/, or for
# an installed wheel data/ in the folder the command runs in (the package's own folder stays read-only).
DEFAULT_HOME = (PROJECT_ROOT if IS_CHECKOUT else Path.cwd()) / "data"
DEFAULT_START_DATE = date(2025, 1, 1)
# What a landing root of its own gets a folder of its own for (docs/own_data.md, "One home per landing").
PROJECT_PATHS = {
    "VALUE_PIPELINE_WAREHOUSE": ("warehouse", "warehouse.duckdb"),
    "VALUE_PIPELINE_SERVING": ("serving",),
    "VALUE_PIPELINE_REPORTS": ("reports",),
    "DAGSTER_HOME": ("dagster_home",),
}


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
        home = Path(os.environ.get("VALUE_PIPELINE_HOME", DEFAULT_HOME)).resolve()
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
            partitions_start=date.fromisoformat(
                os.environ.get("VALUE_PIPELINE_START_DATE", DEFAULT_START_DATE.isoformat())
            ),
            schedule_timezone=os.environ.get("VALUE_PIPELINE_TIMEZONE", "UTC"),
            lock_timeout_s=float(os.environ.get("VALUE_PIPELINE_LOCK_TIMEOUT", "0")),
            freshness_hour=int(os.environ.get("VALUE_PIPELINE_FRESHNESS_HOUR", "6")),
            duckdb_memory_limit=os.environ.get("VALUE_PIPELINE_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT),
        )

    def export(self) -> None:
        """Publish the paths to child processes (dbt reads the warehouse path from its profile)."""
        os.environ["VALUE_PIPELINE_WAREHOUSE"] = str(self.warehouse_path)
        os.environ["VALUE_PIPELINE_LANDING"] = str(self.landing_root)


def default_dagster_home() -> Path:
    """The Dagster instance's folder unless DAGSTER_HOME says: the checkout's ``.dagster_home``, or
    for an installed wheel ``dagster_home`` in the home."""
    return PROJECT_ROOT / ".dagster_home" if IS_CHECKOUT else Settings.from_env().home / "dagster_home"


def project_home(landing_root: Path) -> Path:
    """The folder of a landing root's own warehouse, serving copies, reports and Dagster instance:
    ``data/projects/<landing folder name>-<8 hex digits of its absolute path>``."""
    landing_root = Path(landing_root).resolve()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", landing_root.name).strip("._-") or "landing"
    digest = hashlib.sha256(str(landing_root).encode()).hexdigest()[:8]
    return DEFAULT_HOME / "projects" / f"{name}-{digest}"


def project_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Environment variables that give the landing root ``VALUE_PIPELINE_LANDING`` its own home.

    A warehouse is built from one landing root: without a chosen home (``VALUE_PIPELINE_HOME``) or
    warehouse (``VALUE_PIPELINE_WAREHOUSE``), a landing root other than ``data/landing`` gets the paths of
    :func:`project_home`, so its data never mixes with the demo's and its marts never replace the
    demo's. Variables already set are kept; empty when nothing is derived.
    """
    landing = environ.get("VALUE_PIPELINE_LANDING")
    if not landing or "VALUE_PIPELINE_HOME" in environ or "VALUE_PIPELINE_WAREHOUSE" in environ:
        return {}
    if Path(landing).resolve() == (DEFAULT_HOME / "landing").resolve():
        return {}
    project = project_home(Path(landing))
    return {key: str(project.joinpath(*parts)) for key, parts in PROJECT_PATHS.items() if key not in environ}
