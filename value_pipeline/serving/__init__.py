"""Publishing the marts where BI tools read them, never the warehouse file the nightly run writes.

One publish copies every mart to three stores, each switched atomically to the new version:
versioned Parquet folders behind a ``CURRENT`` pointer, a read-only DuckDB file (``marts.duckdb``)
and, when VALUE_PIPELINE_POSTGRES_URL is set, the ``marts`` schema of a PostgreSQL database. The
files switch only after PostgreSQL has committed, so a failed publish leaves every store on the
previous version.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from value_pipeline.config import Settings
from value_pipeline.serving.duckdb_file import DUCKDB_FILE, build_duckdb_file, swap_duckdb_file
from value_pipeline.serving.parquet import (
    TEMP_PREFIX,
    current_publish_id,
    move_pointer,
    new_publish_id,
    prune,
    remove_leftovers,
    write_parquet,
)
from value_pipeline.serving.postgres import PostgresTarget, publish_postgres
from value_pipeline.serving.tables import SCHEMA, quote_identifier, read_tables

DEFAULT_KEEP = 3


def keep_from_env() -> int:
    """How many publish folders to keep (VALUE_PIPELINE_SERVING_KEEP, default 3)."""
    return int(os.environ.get("VALUE_PIPELINE_SERVING_KEEP", DEFAULT_KEEP))


@dataclass(frozen=True)
class Published:
    """What one publish wrote."""

    publish_id: str
    row_counts: dict[str, int]
    parquet_folder: Path
    duckdb_file: Path
    postgres: str | None
    pruned: list[str]


@contextmanager
def _publish_lock(root: Path) -> Iterator[None]:
    """One publisher per serving root at a time (a second one waits)."""
    with (root / ".publish.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def publish(
    con: duckdb.DuckDBPyConnection,
    marts: Sequence[str],
    serving_root: Path,
    keep: int = DEFAULT_KEEP,
    postgres: PostgresTarget | None = None,
    publish_id: str | None = None,
) -> Published:
    """Publish the ``marts`` of the warehouse ``con`` to ``serving_root`` (and PostgreSQL if given).

    Every column type is checked against the serving contract before anything is written.
    """
    tables = read_tables(con, marts)
    serving_root.mkdir(parents=True, exist_ok=True)
    with _publish_lock(serving_root):
        remove_leftovers(serving_root)
        publish_id = publish_id or new_publish_id(datetime.now(UTC))
        row_counts = {
            table.name: con.execute(
                f"select count(*) from {quote_identifier(SCHEMA)}.{quote_identifier(table.name)}"
            ).fetchone()[0]
            for table in tables
        }
        try:
            folder = write_parquet(con, tables, serving_root, publish_id)
            staged = build_duckdb_file(con, tables, serving_root, publish_id)
            if postgres is not None:
                with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, dir=serving_root) as workdir:
                    publish_postgres(con, tables, postgres, Path(workdir), f"value-pipeline {publish_id}")
        except BaseException:
            remove_leftovers(serving_root)
            shutil.rmtree(serving_root / publish_id, ignore_errors=True)
            raise
        duckdb_path = swap_duckdb_file(serving_root, staged)
        move_pointer(serving_root, publish_id)
        pruned = prune(serving_root, keep)
    return Published(
        publish_id=publish_id,
        row_counts=row_counts,
        parquet_folder=folder,
        duckdb_file=duckdb_path,
        postgres=postgres.describe() if postgres else None,
        pruned=pruned,
    )


def published_locations(settings: Settings) -> list[tuple[str, str]]:
    """(what, where) for every store holding the published marts, for the run summary."""
    root = settings.serving_root
    locations = []
    current = current_publish_id(root)
    if current:
        locations.append((f"Parquet (publish {current})", str(root / current)))
    if (root / DUCKDB_FILE).exists():
        locations.append(("DuckDB file (open read-only)", str(root / DUCKDB_FILE)))
    target = PostgresTarget.from_env(settings.postgres_url)
    if target is not None:
        locations.append((f"PostgreSQL (BI role {target.bi_role})", target.describe()))
    return locations or [("Published marts", f"nothing published yet under {root}")]
