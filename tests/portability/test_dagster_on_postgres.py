"""The whole Dagster job with VALUE_PIPELINE_TARGET=postgres: ingestion ships the validated partitions
to PostgreSQL, dbt builds and tests there, the statistics read and write through the engine, and the
checks, publishing and reports read the marts back. Its marts have the DuckDB build's row counts."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

pytestmark = pytest.mark.integration
CLI = str(Path(sys.executable).parent / "value-pipeline")


def test_the_job_runs_on_postgres(landed, postgres_url, duckdb_build, tmp_path):
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("create database dagster_job")
    parts = conninfo_to_dict(postgres_url)
    (tmp_path / "dagster_home").mkdir()
    env = {
        **os.environ,
        "VALUE_PIPELINE_TARGET": "postgres",
        "VALUE_PIPELINE_PG_HOST": parts["host"],
        "VALUE_PIPELINE_PG_PORT": str(parts["port"]),
        "VALUE_PIPELINE_PG_USER": parts["user"],
        "VALUE_PIPELINE_PG_DBNAME": "dagster_job",
        "VALUE_PIPELINE_HOME": str(tmp_path / "home"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    for name in ("VALUE_PIPELINE_WAREHOUSE", "VALUE_PIPELINE_LANDING", "VALUE_PIPELINE_POSTGRES_URL"):
        env.pop(name, None)
    run = subprocess.run(
        [CLI, "run", "--landing", str(landed / "landing")], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-6000:]
    assert not (tmp_path / "home" / "warehouse" / "warehouse.duckdb").exists(), "wrote a DuckDB warehouse"
    with psycopg.connect(postgres_url.rsplit("/", 1)[0] + "/dagster_job") as pg:
        for mart in duckdb_build.public_marts():
            expected = len(duckdb_build.engine.read_table("marts", mart))
            assert pg.execute(f"select count(*) from marts.{mart}").fetchone()[0] == expected, mart
    assert (tmp_path / "home" / "serving" / "CURRENT").exists(), "nothing published"
