"""Publishing the marts where BI tools read them, never the warehouse file the nightly run writes.

One publish is one version in every store: versioned Parquet folders behind a ``CURRENT`` pointer,
the read-only DuckDB file ``marts.duckdb`` and, when VALUE_PIPELINE_POSTGRES_URL is set, the
``marts`` schema of a PostgreSQL database. It happens in two steps with the reports between them:

* ``stage`` writes the new version everywhere no reader looks: the whole folder ``<publish_id>/``
  (Parquet, its own DuckDB file, ``publish.json``) and PostgreSQL's staging schema. It refuses a set
  of marts in which a required mart lost all the rows the current publish has.
* ``commit`` writes a commit marker ``.commit-<publish_id>``, swaps PostgreSQL's staged tables in
  (one transaction), moves ``CURRENT`` (the pointer that names the version of every store), points
  ``marts.duckdb`` at the folder's file and removes the marker.

A crash before the marker leaves every store on the previous version. A crash after it is finished
by ``recover``, which every stage and commit runs first: with a marker it rolls every store forward
to the marked publish, otherwise it brings any store that differs back to ``CURRENT``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from value_pipeline.config import Settings
from value_pipeline.serving.duckdb_file import (
    DUCKDB_FILE,
    build_duckdb_file,
    duckdb_file_is_current,
    link_duckdb_file,
)
from value_pipeline.serving.parquet import (
    PUBLISH_ID,
    TEMP_PREFIX,
    current_publish_id,
    finish_folder,
    move_pointer,
    new_publish_id,
    prune,
    published_row_counts,
    remove_leftovers,
    sync_folder,
    write_manifest,
    write_parquet,
)
from value_pipeline.serving.postgres import PostgresTarget, published_version, stage_postgres, swap_postgres
from value_pipeline.serving.tables import SCHEMA, quote_identifier, read_tables

DEFAULT_KEEP = 3
COMMIT_MARKER = ".commit-"
# Test hook, read only here: the publishing process SIGKILLs itself right after the named step, so
# tests/unit/test_serving_crash.py can crash a real publish at every step (never set it otherwise).
KILL_AT_ENV = "VALUE_PIPELINE_TEST_KILL_AT"
STEPS = (
    "parquet-written",
    "duckdb-written",
    "folder-staged",
    "postgres-staged",
    "commit-marked",
    "postgres-swapped",
    "pointer-moved",
    "duckdb-linked",
    "commit-finished",
)


def _step_done(step: str) -> None:
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class EmptyMartError(ValueError):
    """A required mart is empty while the current publish has rows in it."""


def keep_from_env() -> int:
    """How many publish folders to keep (VALUE_PIPELINE_SERVING_KEEP, default 3)."""
    return int(os.environ.get("VALUE_PIPELINE_SERVING_KEEP", DEFAULT_KEEP))


@dataclass(frozen=True)
class Staged:
    """A version written to every store but not published yet."""

    publish_id: str
    folder: Path
    row_counts: dict[str, int]
    recovered: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Published:
    """What one publish wrote, and what it found and repaired on the way (one sentence each)."""

    publish_id: str
    row_counts: dict[str, int]
    parquet_folder: Path
    duckdb_file: Path
    postgres: str | None
    pruned: list[str]
    repairs: list[str] = field(default_factory=list)


@contextmanager
def _publish_lock(root: Path) -> Iterator[None]:
    """One publisher per serving root at a time (a second one waits)."""
    with (root / ".publish.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def stage(
    con: duckdb.DuckDBPyConnection,
    marts: Sequence[str],
    serving_root: Path,
    postgres: PostgresTarget | None = None,
    publish_id: str | None = None,
    required: Sequence[str] = (),
) -> Staged:
    """Write the ``marts`` of the warehouse ``con`` as a new version that no reader sees yet.

    Every column type is checked against the serving contract before anything is written; a mart
    of ``required`` with no rows where the current publish has rows stops the publish.
    """
    tables = read_tables(con, marts)
    serving_root.mkdir(parents=True, exist_ok=True)
    with _publish_lock(serving_root):
        recovered = _recover(serving_root, postgres)
        remove_leftovers(serving_root)
        publish_id = publish_id or new_publish_id(datetime.now(UTC))
        row_counts = {
            table.name: con.execute(
                f"select count(*) from {quote_identifier(SCHEMA)}.{quote_identifier(table.name)}"
            ).fetchone()[0]
            for table in tables
        }
        _refuse_lost_rows(serving_root, row_counts, required)
        try:
            staging = serving_root / f"{TEMP_PREFIX}{publish_id}"
            staging.mkdir()
            write_parquet(con, tables, staging)
            _step_done("parquet-written")
            build_duckdb_file(con, tables, staging)
            _step_done("duckdb-written")
            write_manifest(staging, publish_id, row_counts)
            folder = finish_folder(staging, serving_root, publish_id)
            _step_done("folder-staged")
            if postgres is not None:
                with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, dir=serving_root) as workdir:
                    stage_postgres(con, tables, postgres, Path(workdir), publish_id)
                _step_done("postgres-staged")
        except BaseException:
            remove_leftovers(serving_root)
            shutil.rmtree(serving_root / publish_id, ignore_errors=True)
            raise
    return Staged(publish_id, folder, row_counts, recovered)


def commit(
    staged: Staged, serving_root: Path, keep: int = DEFAULT_KEEP, postgres: PostgresTarget | None = None
) -> Published:
    """Publish a staged version in every store; ``CURRENT`` moves only after PostgreSQL committed."""
    with _publish_lock(serving_root):
        repairs = [*staged.recovered, *_recover(serving_root, postgres)]
        current = current_publish_id(serving_root)
        if current is not None and current > staged.publish_id:
            raise RuntimeError(
                f"publish {current} was committed after {staged.publish_id} was staged; "
                f"not going back to {staged.publish_id}"
            )
        if not (serving_root / staged.publish_id).is_dir():
            raise FileNotFoundError(f"staged publish folder {serving_root / staged.publish_id} is gone")
        marker = serving_root / f"{COMMIT_MARKER}{staged.publish_id}"
        marker.touch()
        sync_folder(serving_root)
        _step_done("commit-marked")
        try:
            if postgres is not None:
                repairs += swap_postgres(postgres, staged.publish_id)
                _step_done("postgres-swapped")
        except BaseException:
            # The swap changed nothing: the marker must not roll this version forward later.
            marker.unlink()
            raise
        move_pointer(serving_root, staged.publish_id)
        _step_done("pointer-moved")
        duckdb_path = link_duckdb_file(serving_root, staged.publish_id)
        _step_done("duckdb-linked")
        marker.unlink()
        sync_folder(serving_root)
        _step_done("commit-finished")
        pruned = prune(serving_root, keep)
    return Published(
        publish_id=staged.publish_id,
        row_counts=staged.row_counts,
        parquet_folder=staged.folder,
        duckdb_file=duckdb_path,
        postgres=postgres.describe() if postgres else None,
        pruned=pruned,
        repairs=repairs,
    )


def publish(
    con: duckdb.DuckDBPyConnection,
    marts: Sequence[str],
    serving_root: Path,
    keep: int = DEFAULT_KEEP,
    postgres: PostgresTarget | None = None,
    publish_id: str | None = None,
    required: Sequence[str] = (),
) -> Published:
    """Stage and commit in one call (when nothing has to happen between the two)."""
    staged = stage(con, marts, serving_root, postgres, publish_id, required)
    return commit(staged, serving_root, keep, postgres)


def recover(serving_root: Path, postgres: PostgresTarget | None = None) -> list[str]:
    """Bring every store to one version after a crash; returns what was repaired (one sentence each)."""
    if not serving_root.is_dir():
        return []
    with _publish_lock(serving_root):
        return _recover(serving_root, postgres)


def _recover(root: Path, postgres: PostgresTarget | None) -> list[str]:
    marked = sorted(path.name.removeprefix(COMMIT_MARKER) for path in root.glob(f"{COMMIT_MARKER}*"))
    current = current_publish_id(root)
    # A marked publish whose folder is whole was cleared for publication: finish it.
    target = next((m for m in reversed(marked) if PUBLISH_ID.fullmatch(m) and (root / m).is_dir()), current)
    repairs = _bring_to(root, target, current, postgres) if target is not None else []
    for name in marked:
        (root / f"{COMMIT_MARKER}{name}").unlink()
    if marked:
        sync_folder(root)
    return repairs


def _bring_to(root: Path, target: str, current: str | None, postgres: PostgresTarget | None) -> list[str]:
    """Make every store hold publish ``target``; return what was changed."""
    repairs: list[str] = []
    held = published_version(postgres) if postgres is not None else target
    if held != target:
        _republish_postgres(root / target, postgres, target)
        repairs.append(
            f"PostgreSQL schema {postgres.schema} held publish {held}, not {target}: set to {target}"
        )
    if current != target:
        move_pointer(root, target)
        repairs.append(f"CURRENT moved from {current} to {target}, finishing an interrupted publish")
    if not duckdb_file_is_current(root, target):
        link_duckdb_file(root, target)
        repairs.append(f"{DUCKDB_FILE} was not the file of publish {target}: set to it")
    return repairs


def _republish_postgres(folder: Path, postgres: PostgresTarget, publish_id: str) -> None:
    """Load PostgreSQL with the marts of a publish folder (its Parquet files)."""
    con = duckdb.connect()
    try:
        con.execute(f"create schema {SCHEMA}")
        for path in sorted(folder.glob("*.parquet")):
            location = str(path).replace("'", "''")
            con.execute(f"create view {SCHEMA}.{quote_identifier(path.stem)} as select * from '{location}'")
        tables = read_tables(con, [path.stem for path in folder.glob("*.parquet")])
        with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, dir=folder.parent) as workdir:
            stage_postgres(con, tables, postgres, Path(workdir), publish_id)
        swap_postgres(postgres, publish_id)
    finally:
        con.close()


def _refuse_lost_rows(root: Path, row_counts: dict[str, int], required: Sequence[str]) -> None:
    current = current_publish_id(root)
    if current is None or not required or not (root / current).is_dir():
        return
    before = published_row_counts(root / current)
    lost = [mart for mart in required if row_counts.get(mart) == 0 and before.get(mart, 0) > 0]
    if lost:
        listed = ", ".join(f"{SCHEMA}.{mart} (publish {current} has {before[mart]:,} rows)" for mart in lost)
        raise EmptyMartError(
            f"not published: required marts are empty: {listed}. Every store stays on publish "
            f"{current}. Find why they lost their rows (the registry's use_cases and kpis, the landed "
            "events, the run's quarantine) and run again."
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
