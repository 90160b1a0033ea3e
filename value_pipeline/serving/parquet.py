"""Versioned publish folders ``<serving>/<publish_id>/`` and the pointer to the live one.

A folder holds ``<mart>.parquet`` for every mart, the same marts as a DuckDB file and
``publish.json`` (the publish id and row counts). A publish writes its folder under a temporary name
and renames it when complete, so a folder with a publish id as its name is always whole. Readers
read ``CURRENT`` (one line: the publish id) and then open that folder's files; the pointer is
replaced with ``os.replace``, so a reader sees the old id or the new one. Old folders are deleted
only after the pointer has moved away from them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from value_pipeline.serving.tables import Table, quote_literal, select_sql

POINTER = "CURRENT"
# Every partial artefact of a publish starts with this prefix; a publish removes those a crash left.
TEMP_PREFIX = ".tmp-"
# Publish ids are UTC times that sort in publication order, e.g. 2026-07-01T02-15-04.123456Z.
PUBLISH_ID = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{6}Z")
MANIFEST = "publish.json"


def new_publish_id(now: datetime) -> str:
    """The publish id for a publish started at ``now`` (an aware datetime)."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%S.%fZ")


def write_parquet(con: duckdb.DuckDBPyConnection, tables: Sequence[Table], folder: Path) -> None:
    """Write every table to ``folder/<table>.parquet`` (a publish's folder under its temporary name)."""
    for table in tables:
        target = quote_literal(str(folder / f"{table.name}.parquet"))
        # Snappy (DuckDB's default) is the codec every Parquet reader, Power Query included, supports.
        con.execute(f"copy ({select_sql(table)}) to {target} (format parquet)")


def write_manifest(folder: Path, publish_id: str, row_counts: dict[str, int]) -> None:
    """``publish.json``: the publish id and each mart's row count."""
    (folder / MANIFEST).write_text(json.dumps({"publish_id": publish_id, "row_counts": row_counts}, indent=1))


def finish_folder(staging: Path, root: Path, publish_id: str) -> Path:
    """Make the whole temporary folder ``staging`` the publish folder ``root/<publish_id>`` durably."""
    for path in staging.iterdir():
        with path.open("rb") as written:
            os.fsync(written.fileno())
    sync_folder(staging)
    folder = root / publish_id
    staging.rename(folder)
    sync_folder(root)
    return folder


def published_row_counts(folder: Path) -> dict[str, int]:
    """Each mart's row count in a publish folder (from its manifest, or its Parquet files if older)."""
    manifest = folder / MANIFEST
    if manifest.exists():
        return json.loads(manifest.read_text())["row_counts"]
    reader = duckdb.connect()
    try:
        return {
            path.stem: reader.execute(
                f"select count(*) from read_parquet({quote_literal(str(path))})"
            ).fetchone()[0]
            for path in sorted(folder.glob("*.parquet"))
        }
    finally:
        reader.close()


def current_publish_id(root: Path) -> str | None:
    """The publish id ``CURRENT`` names, or None before the first publish."""
    try:
        return (root / POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


def move_pointer(root: Path, publish_id: str) -> None:
    """Point ``CURRENT`` at ``publish_id`` atomically (temp file, fsync, os.replace, fsync folder)."""
    if not (root / publish_id).is_dir():
        raise FileNotFoundError(f"no published folder {root / publish_id}")
    temp = root / f"{TEMP_PREFIX}{POINTER}-{publish_id}"
    with temp.open("w") as pointer:
        pointer.write(f"{publish_id}\n")
        pointer.flush()
        os.fsync(pointer.fileno())
    os.replace(temp, root / POINTER)
    sync_folder(root)


def sync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable, so a crash cannot bring back the previous entry."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune(root: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` publish folders, never the current one; return the deleted ids."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    current = current_publish_id(root)
    published = sorted(p.name for p in root.iterdir() if p.is_dir() and PUBLISH_ID.fullmatch(p.name))
    doomed = [publish_id for publish_id in published[:-keep] if publish_id != current]
    for publish_id in doomed:
        shutil.rmtree(root / publish_id)
    return doomed


def remove_leftovers(root: Path) -> None:
    """Delete what an interrupted publish left behind (only call while holding the publish lock)."""
    for path in root.glob(f"{TEMP_PREFIX}*"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
