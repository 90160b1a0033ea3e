"""One landed demo, built on every engine the same way; a fixture per engine.

Adding an engine: a ``<name>_build`` fixture returning ``harness.Build`` and its name in ENGINES.
"""

import shutil

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.portability import harness
from tests.portability.spark_lane import spark_build  # noqa: F401  (the Spark lane's fixture)
from value_pipeline.engines.duckdb import DuckDBEngine
from value_pipeline.engines.postgres import PostgresEngine
from value_pipeline.generator import generate
from value_pipeline.landing import load_landing

ENGINES = ["duckdb", "postgres", "spark"]
BUILD_SECONDS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter):
    if BUILD_SECONDS:
        times = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in BUILD_SECONDS.items())
        terminalreporter.write_line(f"demo build per engine (ship raw, dbt build, statistics): {times}")


@pytest.fixture(scope="session")
def landed(tmp_path_factory):
    """The small demo's landing files validated once into a DuckDB staging file."""
    root = tmp_path_factory.mktemp("portability")
    generate(root / "landing", size="small", seed=42)
    load_landing(root / "landing", root / "staging.duckdb")
    return root


@pytest.fixture(scope="session")
def duckdb_build(landed):
    path = landed / "warehouse.duckdb"
    shutil.copy(landed / "staging.duckdb", path)
    env = {"VALUE_PIPELINE_TARGET": "duckdb", "VALUE_PIPELINE_WAREHOUSE": str(path)}
    result = harness.build(lambda: DuckDBEngine(path), landed / "staging.duckdb", env, landed, ship=False)
    BUILD_SECONDS["duckdb"] = result.seconds
    yield result
    result.engine.close()


@pytest.fixture(scope="session")
def postgres_build(landed, postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("create database value_pipeline")
    parts = conninfo_to_dict(postgres_url)
    env = {
        "VALUE_PIPELINE_TARGET": "postgres",
        "VALUE_PIPELINE_PG_HOST": parts["host"],
        "VALUE_PIPELINE_PG_PORT": str(parts["port"]),
        "VALUE_PIPELINE_PG_USER": parts["user"],
        "VALUE_PIPELINE_PG_DBNAME": "value_pipeline",
    }
    conninfo = postgres_url.rsplit("/", 1)[0] + "/value_pipeline"
    result = harness.build(lambda: PostgresEngine(conninfo), landed / "staging.duckdb", env, landed)
    BUILD_SECONDS["postgres"] = result.seconds
    yield result
    result.engine.close()


@pytest.fixture(params=ENGINES)
def engine_build(request) -> harness.Build:
    return request.getfixturevalue(f"{request.param}_build")
