"""Ship what the landing validation wrote in the local DuckDB staging file to the target engine.

On every target the landing files are validated by DuckDB SQL (value_pipeline/landing); on a target
other than DuckDB that happens in a staging file and the results are copied with ``write_table``:
each delivered partition of a source (accepted rows, quarantine, load audit) replaces the same
partition on the target, and the registry tables are replaced whole. A source without a delivery
still gets its empty, typed table on the target, so dbt never meets a missing table.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from value_pipeline.engines.base import Engine
from value_pipeline.landing import LoadResult
from value_pipeline.registry import TABLES

RAW = "raw"
PARTITION = "_partition_date"


def _rows(
    con: duckdb.DuckDBPyConnection, table: str, where: str = "", params: list | None = None
) -> pa.Table:
    return con.execute(f"select * from {RAW}.{table}{where}", params or []).to_arrow_table()


def ship_load(con: duckdb.DuckDBPyConnection, engine: Engine, raw_table: str, result: LoadResult) -> None:
    """Replace each partition ``result`` delivered on ``engine``: accepted rows, quarantine, audit.

    Without a delivered partition the tables are only created where missing: the write replaces the
    rows whose partition is NULL, and no loaded row has one.
    """
    if not result.partitions:
        engine.write_table(RAW, raw_table, _rows(con, raw_table, " where false"), {PARTITION: None})
        for bookkeeping in ("quarantine", "load_audit"):
            engine.write_table(
                RAW,
                bookkeeping,
                _rows(con, bookkeeping, " where false"),
                {"source": result.source, PARTITION: None},
            )
        return
    for partition in result.partitions:
        engine.write_table(
            RAW,
            raw_table,
            _rows(con, raw_table, " where _partition_date = ?", [partition]),
            {"_partition_date": partition},
        )
        for bookkeeping in ("quarantine", "load_audit"):
            engine.write_table(
                RAW,
                bookkeeping,
                _rows(con, bookkeeping, f" where source = ? and {PARTITION} = ?", [result.source, partition]),
                {"source": result.source, "_partition_date": partition},
            )


def ship_tables(con: duckdb.DuckDBPyConnection, engine: Engine, tables: Iterable[str]) -> None:
    """Replace each raw table in ``tables`` on ``engine`` with the staging file's rows."""
    for table in tables:
        engine.write_table(RAW, table, _rows(con, table))


def ship_registry(con: duckdb.DuckDBPyConnection, engine: Engine) -> None:
    ship_tables(con, engine, TABLES)
