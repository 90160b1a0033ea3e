"""Test session setup: every test writes under one temporary home, never into the user's data/."""

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from tests.postgres_server import pg_bin, throwaway_postgres
from value_pipeline.config import DEMO_REGISTRY, Settings
from value_pipeline.dbt_manifest import prepare_manifest
from value_pipeline.engines import current_target
from value_pipeline.instance import write_instance_yaml
from value_pipeline.landing import ensure_raw_tables, write_registry
from value_pipeline.registry import load_registry

# Set before any value_pipeline module reads the environment (definitions read it on import).
_HOME = Path(tempfile.mkdtemp(prefix="value-pipeline-tests-"))
os.environ["VALUE_PIPELINE_HOME"] = str(_HOME)
os.environ["DAGSTER_HOME"] = str(_HOME / "dagster_home")
os.environ.pop("VALUE_PIPELINE_LANDING", None)
os.environ.pop("VALUE_PIPELINE_WAREHOUSE", None)
write_instance_yaml(_HOME / "dagster_home")


def pytest_configure(config):
    """Parse the dbt project once, before any test imports the definitions (importing never parses):
    in the controller only, so two xdist workers never write one target folder together."""
    if not hasattr(config, "workerinput"):
        prepare_manifest(Settings.from_env(), current_target())


# Suites that build their warehouses once per session (session fixtures): each runs whole on one
# pytest-xdist worker (make test: -n 2), in collection order; every other module runs whole on one
# worker too (its tests may share a server or build on each other).
SESSION_SUITES = ("integration", "portability", "reliability")
# Modules inside a session suite that use none of its session fixtures (each builds its own warehouses
# in tmp_path): scheduled alone, so the worker that is free takes them and the two share the load.
STANDALONE = {"tests/integration/test_incremental.py", "tests/integration/test_selection.py"}


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown when xdist is not loaded
def pytest_xdist_make_scheduler(config, log):
    """Schedule by suite (the session suites) or module. (xdist's own loadgroup marks node ids in a way
    pytest 9 no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class SuiteScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            parts = path.split("/")
            if path in STANDALONE:
                return path
            return parts[1] if len(parts) > 2 and parts[1] in SESSION_SUITES else path

    return SuiteScheduling(config, log)


@pytest.fixture(scope="session")
def test_home() -> Path:
    return _HOME


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """An empty landing root holding only the demo registry."""
    root = tmp_path / "landing"
    (root / "registry").mkdir(parents=True)
    shutil.copy(DEMO_REGISTRY, root / "registry" / "registry.yml")
    return root


@pytest.fixture
def con(landing: Path):
    """An in-memory warehouse with the demo registry and empty raw tables."""
    connection = duckdb.connect(":memory:")
    connection.execute("set TimeZone = 'UTC'")
    write_registry(connection, load_registry(landing))
    ensure_raw_tables(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def postgres_url():
    """Admin URL of a throwaway PostgreSQL server shared by the session's tests."""
    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries missing (apt-get install -y postgresql)")
    with throwaway_postgres(bin_dir) as url:
        yield url
