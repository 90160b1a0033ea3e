"""``<serving>/marts.duckdb``: the marts in a DuckDB file, for the DuckDB ODBC / Power Query connector.

Every publish folder holds its own ``marts.duckdb``; the stable path ``<serving>/marts.duckdb`` is a
hard link to the current one (a copy where the file system has no hard links), switched with
``os.replace`` right after ``CURRENT`` moves. A reader that already opened the old file keeps
reading the old file (its inode lives on until closed), a reader that opens the path afterwards gets
the new one, never a mix. BI tools open it read-only; the file is read-only on disk too.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

from value_pipeline.serving.parquet import TEMP_PREFIX, sync_folder
from value_pipeline.serving.tables import Table, quote_identifier, quote_literal, select_sql

DUCKDB_FILE = "marts.duckdb"
_ALIAS = "published"


def build_duckdb_file(con: duckdb.DuckDBPyConnection, tables: Sequence[Table], folder: Path) -> Path:
    """Copy ``tables`` into ``folder/marts.duckdb`` (a publish's folder under its temporary name)."""
    path = folder / DUCKDB_FILE
    # Writable even when the warehouse connection is read-only (as in tests and ad-hoc republishes).
    con.execute(f"attach {quote_literal(str(path))} as {_ALIAS} (read_only false)")
    try:
        for table in tables:
            # Schema main: a reader's catalog is named after the file, so ``marts.kpi_scorecard``
            # (catalog.table) and plain ``kpi_scorecard`` both resolve.
            con.execute(f"create table {_ALIAS}.main.{quote_identifier(table.name)} as {select_sql(table)}")
        # Everything in the file itself, no write-ahead log beside it.
        con.execute(f"checkpoint {_ALIAS}")
    finally:
        con.execute(f"detach {_ALIAS}")
    # Read-only on disk too: a BI tool that forgets access_mode=READ_ONLY cannot write to it.
    path.chmod(0o444)
    return path


def duckdb_file_is_current(root: Path, publish_id: str) -> bool:
    """Whether ``<serving>/marts.duckdb`` is the file of publish ``publish_id`` (True for an older
    publish folder that has no DuckDB file of its own: there is nothing to switch to)."""
    published, own = root / DUCKDB_FILE, root / publish_id / DUCKDB_FILE
    if not own.exists():
        return True
    if not published.exists():
        return False
    return os.path.samefile(published, own) or filecmp.cmp(published, own, shallow=False)


def link_duckdb_file(root: Path, publish_id: str) -> Path:
    """Point ``<serving>/marts.duckdb`` at publish ``publish_id``'s file atomically; return its path."""
    target = root / DUCKDB_FILE
    staged = root / f"{TEMP_PREFIX}{DUCKDB_FILE}-{publish_id}"
    staged.unlink(missing_ok=True)
    try:
        os.link(root / publish_id / DUCKDB_FILE, staged)
    except OSError:
        shutil.copy2(root / publish_id / DUCKDB_FILE, staged)
    os.replace(staged, target)
    sync_folder(root)
    return target
