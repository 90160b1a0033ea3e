"""Load landing files into the raw layer: typed rows, quarantine and load audit, in one transaction."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from value_pipeline.contracts import Contract, load_contracts
from value_pipeline.landing.discovery import LandingError, LandingFile, discover
from value_pipeline.landing.readers import (
    UnreadableFiles,
    drop_batch,
    name_unreadable_file,
    quote_ident,
    read_batch,
)
from value_pipeline.landing.validation import ValidationContext, validation_sql
from value_pipeline.registry import TABLES, Registry, load_registry, registry_tables

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    source varchar, source_file varchar, source_line bigint, column_name varchar, reason varchar,
    record varchar, _partition_date date, _batch_id varchar, _loaded_at timestamp
)"""
LOAD_AUDIT_DDL = """
create table if not exists raw.load_audit (
    source varchar, _partition_date date, source_file varchar, landed_rows bigint, accepted_rows bigint,
    quarantined_rows bigint, _batch_id varchar, _loaded_at timestamp
)"""
# Landed bytes read and validated at a time (about 1.5M workflow-event rows): small enough that a
# batch's sort for line numbers and duplicate keys stays in memory, large enough that per-statement
# costs do not matter. Gzip files count at a typical CSV compression ratio.
BATCH_BYTES = 128 * 2**20
GZIP_RATIO = 5
# Registry ids that contract columns may reference (``references:`` in a contract).
REFERENCE_TABLES = {
    "use_cases": "(select use_case_id as id from raw.registry_use_cases)",
    "value_chains": "(select value_chain_id as id from raw.registry_value_chains)",
}


@dataclass
class FileLoad:
    """Counts for one landed file."""

    source_file: str
    partition_date: date
    landed: int
    accepted: int
    quarantined: int


@dataclass
class LoadResult:
    """What one load of one contract did."""

    source: str
    batch_id: str
    files: list[FileLoad] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def landed(self) -> int:
        return sum(f.landed for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def partitions(self) -> list[date]:
        return sorted({f.partition_date for f in self.files})


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract] | None = None) -> None:
    """Create the raw schema, each contract's raw table, quarantine and load audit if missing."""
    con.execute("create schema if not exists raw")
    for contract in contracts or load_contracts().values():
        cols = ", ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in contract.raw_columns())
        con.execute(f"create table if not exists raw.{contract.raw_table} ({cols})")
    con.execute(QUARANTINE_DDL)
    con.execute(LOAD_AUDIT_DDL)


def _registry_loaded(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    present = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    return {k: v for k, v in REFERENCE_TABLES.items() if f"registry_{k}" in present}


def batches(files: Sequence[LandingFile], batch_bytes: int = BATCH_BYTES) -> list[list[LandingFile]]:
    """Split ``files`` (sorted by partition) into batches of whole partitions of about ``batch_bytes``.

    A partition is never split, so the duplicate-key rule (within a delivery) sees all of it.
    """
    groups: list[list[LandingFile]] = []
    size = 0
    for _, partition in itertools.groupby(files, key=lambda f: f.partition_date):
        partition_files = list(partition)
        if not groups or size >= batch_bytes:
            groups.append([])
            size = 0
        groups[-1].extend(partition_files)
        size += sum(_landed_bytes(f) for f in partition_files)
    return groups


def _landed_bytes(file: LandingFile) -> int:
    return file.path.stat().st_size * (GZIP_RATIO if file.compressed else 1)


def load_source(
    con: duckdb.DuckDBPyConnection,
    landing_root: Path,
    contract: Contract,
    *,
    partitions: set[date] | None = None,
    source_time_zone: str = "UTC",
    batch_id: str | None = None,
    batch_bytes: int = BATCH_BYTES,
) -> LoadResult:
    """Load every file of ``contract`` (event sources: only ``partitions`` when given).

    Each delivered partition is replaced as a whole, so re-running a load changes nothing; partitions
    without files are left as they are. Files are read and validated in batches of whole partitions
    (``batch_bytes`` of landed data each), all in one transaction: a file-level problem in any batch
    raises LandingError and the load changes nothing.
    """
    batch_id = batch_id or uuid.uuid4().hex[:12]
    result = LoadResult(source=contract.name, batch_id=batch_id)
    files = discover(landing_root, contract, partitions)
    if not files:
        return result
    ensure_raw_tables(con, [contract])
    # Offsets are converted explicitly; the session zone only decides what "now" is for future checks.
    con.execute("set TimeZone = 'UTC'")
    ctx = ValidationContext(source_time_zone=source_time_zone, reference_tables=_registry_loaded(con))
    reasons: Counter[str] = Counter()
    con.execute("begin transaction")
    try:
        for group in batches(files, batch_bytes):
            reasons.update(_load_batch(con, contract, group, ctx, batch_id))
        con.execute("commit")
    except UnreadableFiles as exc:
        con.execute("rollback")
        # DuckDB refuses every statement of a failed transaction: the file is named after the rollback.
        raise LandingError(name_unreadable_file(con, contract, exc)) from exc
    except Exception:
        con.execute("rollback")
        raise
    # The audit rows this load wrote are the per-file counts.
    for source_file, partition, landed, accepted, quarantined in con.execute(
        f"select source_file, _partition_date, landed_rows, accepted_rows, quarantined_rows "
        f"from raw.load_audit where _batch_id = '{batch_id}' and source = '{contract.name}' "
        f"order by _partition_date, source_file"
    ).fetchall():
        result.files.append(FileLoad(source_file, partition, landed, accepted, quarantined))
    result.reasons = dict(sorted(reasons.items(), key=lambda item: -item[1]))
    return result


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[LandingFile],
    ctx: ValidationContext,
    batch_id: str,
) -> dict[str, int]:
    """Replace the partitions of ``files`` in raw, quarantine and load audit; returns reason counts."""
    batch = f"_batch_{contract.name}"
    checked = f"{batch}_checked"
    read_batch(con, contract, files, batch)
    try:
        con.execute(f"create or replace temp table {checked} as {validation_sql(contract, batch, ctx)}")
    except duckdb.Error as exc:
        # The rollback that follows drops the batch's temp tables.
        raise LandingError(f"{contract.name}: validation failed: {exc}") from exc
    drop_batch(con, batch)

    typed = ", ".join(quote_ident(c.target) for c in contract.columns)
    delivered = f"(select distinct _partition_date from {checked})"
    stamp = "cast(current_timestamp as timestamp)"
    con.execute(f"delete from raw.{contract.raw_table} where _partition_date in {delivered}")
    con.execute(
        f"insert into raw.{contract.raw_table} select {typed}, extra, _source_file, _source_line, "
        f"_partition_date, '{batch_id}', {stamp} from {checked} where _reason is null "
        f"order by _partition_date, _source_file, _source_line"
    )
    con.execute(
        f"delete from raw.quarantine where source = '{contract.name}' and _partition_date in {delivered}"
    )
    con.execute(
        f"insert into raw.quarantine select '{contract.name}', _source_file, _source_line, _column, _reason, "
        f"_record, _partition_date, '{batch_id}', {stamp} from {checked} where _reason is not null"
    )
    con.execute(
        f"delete from raw.load_audit where source = '{contract.name}' and _partition_date in {delivered}"
    )
    con.execute(
        f"""insert into raw.load_audit
        select '{contract.name}', _partition_date, _source_file, count(*),
               count(*) filter (where _reason is null), count(*) filter (where _reason is not null),
               '{batch_id}', {stamp}
        from {checked} group by _partition_date, _source_file"""
    )
    reasons = dict(
        con.execute(
            f"select _reason, count(*) from {checked} where _reason is not null group by 1"
        ).fetchall()
    )
    con.execute(f"drop table {checked}")
    return reasons


def write_registry(con: duckdb.DuckDBPyConnection, registry: Registry) -> dict[str, int]:
    """Replace every raw.registry_* table with ``registry``, in one transaction; returns row counts."""
    con.execute("create schema if not exists raw")
    rows = registry_tables(registry)
    con.execute("begin transaction")
    try:
        for table, columns in TABLES.items():
            cols = ", ".join(f"{quote_ident(n)} {t}" for n, t in columns)
            con.execute(f"create or replace table raw.{table} ({cols})")
            if rows[table]:
                placeholders = ", ".join("?" for _ in columns)
                con.executemany(f"insert into raw.{table} values ({placeholders})", rows[table])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {table: len(r) for table, r in rows.items()}


def load_landing(landing_root: Path, warehouse_path: Path) -> dict[str, LoadResult]:
    """Load a whole landing root (registry, then every contract) into the warehouse at ``warehouse_path``."""
    registry = load_registry(landing_root)
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("set TimeZone = 'UTC'")
        write_registry(con, registry)
        ensure_raw_tables(con)
        tz = registry.settings["source_time_zone"]
        return {
            name: load_source(con, landing_root, contract, source_time_zone=tz)
            for name, contract in load_contracts().items()
        }
