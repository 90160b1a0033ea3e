"""``<serving>/marts.duckdb``: the marts in a DuckDB file, for the DuckDB ODBC / Power Query connector.

BI tools open it read-only. A publish builds a new file next to it and swaps it in with
``os.replace``: a reader that already opened the old file keeps reading the old file (its inode
lives on until closed), a reader that opens the path afterwards gets the new one, never a mix.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from value_pipeline.serving.parquet import TEMP_PREFIX, sync_folder
from value_pipeline.serving.tables import Table, quote_identifier, quote_literal, select_sql

DUCKDB_FILE = "marts.duckdb"
_ALIAS = "published"


def build_duckdb_file(
    con: duckdb.DuckDBPyConnection, tables: Sequence[Table], root: Path, publish_id: str
) -> Path:
    """Copy ``tables`` into a new DuckDB file next to ``marts.duckdb``; return its temporary path."""
    staged = root / f"{TEMP_PREFIX}{publish_id}.duckdb"
    # Writable even when the warehouse connection is read-only (as in tests and ad-hoc republishes).
    con.execute(f"attach {quote_literal(str(staged))} as {_ALIAS} (read_only false)")
    try:
        for table in tables:
            # Schema main: a reader's catalog is named after the file, so ``marts.kpi_scorecard``
            # (catalog.table) and plain ``kpi_scorecard`` both resolve.
            con.execute(f"create table {_ALIAS}.main.{quote_identifier(table.name)} as {select_sql(table)}")
        # Everything in the file itself, no write-ahead log beside it, before it is swapped in.
        con.execute(f"checkpoint {_ALIAS}")
    finally:
        con.execute(f"detach {_ALIAS}")
    return staged


def swap_duckdb_file(root: Path, staged: Path) -> Path:
    """Make ``staged`` the published ``marts.duckdb`` atomically; return its path."""
    target = root / DUCKDB_FILE
    # Read-only on disk too: a BI tool that forgets access_mode=READ_ONLY cannot write to it.
    staged.chmod(0o444)
    os.replace(staged, target)
    sync_folder(root)
    return target
