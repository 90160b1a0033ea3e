"""The warehouse engine a deployment runs on, and the one interface the Python steps use to reach it.

dbt reaches the engine through its own adapter (profiles.yml, ``--target``); the Python steps
(ingestion, the statistics assets, publishing) read and write whole tables through an ``Engine``.
Validation of landing files stays in DuckDB SQL on every target (value_pipeline/landing): on other
engines it runs in a local staging file and the results are shipped with ``write_table``.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

    from value_pipeline.config import Settings

TARGET_ENV = "VALUE_PIPELINE_TARGET"
DEFAULT_TARGET = "duckdb"
# profiles.yml output name -> dbt adapter type (the Spark outputs share one adapter).
TARGETS = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "spark": "spark",
    "spark_thrift": "spark",
    "databricks": "spark",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
}


def current_target() -> str:
    """The dbt target (profiles.yml output) chosen by VALUE_PIPELINE_TARGET; DuckDB by default."""
    target = os.environ.get(TARGET_ENV, DEFAULT_TARGET).strip() or DEFAULT_TARGET
    if target not in TARGETS:
        raise ValueError(f"{TARGET_ENV}={target!r}: expected one of {', '.join(TARGETS)}")
    return target


class Engine(ABC):
    """Whole-table reads and partition-replacing writes on one warehouse engine."""

    #: dbt adapter type: duckdb, postgres, spark, snowflake or bigquery.
    name: str
    #: The profiles.yml output dbt builds with.
    dbt_target: str

    @abstractmethod
    def write_table(
        self,
        schema: str,
        table: str,
        frame: pa.Table,
        replace_where: Mapping[str, object] | None = None,
    ) -> None:
        """Atomically replace the rows matching ``replace_where`` (column -> value, all must match;
        None = the whole table) with ``frame``, creating ``schema.table`` with ``frame``'s schema if
        it is missing. Readers see the old rows or the new ones, never a mix."""

    @abstractmethod
    def read_table(self, schema: str, table: str) -> pd.DataFrame:
        """Every row of ``schema.table``."""

    @abstractmethod
    def query(self, sql: str) -> pd.DataFrame:
        """The result of one portable SELECT statement."""

    def column_types(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> the engine's type name, in column order (information_schema by default)."""
        frame = self.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
        )
        return dict(zip(frame["column_name"], frame["data_type"], strict=True))

    def execute(self, sql: str) -> None:
        """Run one statement that returns nothing (DDL, DML)."""
        raise NotImplementedError(f"{self.name} engine runs no free SQL")

    @abstractmethod
    def close(self) -> None:
        """Release the connection (the engine cannot be used afterwards)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def engine_for(settings: Settings, target: str | None = None) -> Engine:
    """The engine of ``target`` (default: VALUE_PIPELINE_TARGET) configured from the environment."""
    target = target or current_target()
    adapter = TARGETS.get(target)
    if adapter == "duckdb":
        from value_pipeline.engines.duckdb import DuckDBEngine

        return DuckDBEngine(settings.warehouse_path, memory_limit=settings.duckdb_memory_limit)
    if adapter == "postgres":
        from value_pipeline.engines.postgres import PostgresEngine

        return PostgresEngine.from_env()
    if adapter == "spark":
        from value_pipeline.engines.spark import SparkEngine

        return SparkEngine.from_env(settings, target)
    raise ValueError(
        f"no Python engine for target {target!r}: the Python steps run on duckdb, postgres and spark "
        "(Snowflake and BigQuery are compiled by dbt only, see docs/engines.md)"
    )
