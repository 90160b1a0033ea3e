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
from value_pipeline.landing.discovery import (
    REFUSE,
    LandingError,
    LandingFile,
    NotLoaded,
    discover,
    not_loaded,
)
from value_pipeline.landing.readers import (
    UnreadableFiles,
    drop_batch,
    name_unreadable_file,
    quote_ident,
    read_batch,
)
from value_pipeline.landing.validation import (
    FALLBACK_EARLIEST,
    YEARS_BEFORE_REGISTRY,
    ValidationContext,
    validation_sql,
)
from value_pipeline.registry import TABLES, Registry, load_registry, registry_tables

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    source varchar, source_file varchar, source_line bigint, column_name varchar, reason varchar,
    record varchar, _partition_date date, _batch_id varchar, _loaded_at timestamp
)"""
LOAD_AUDIT_DDL = """
create table if not exists raw.load_audit (
    source varchar, _partition_date date, source_file varchar, landed_rows bigint, accepted_rows bigint,
    quarantined_rows bigint, _batch_id varchar, _loaded_at timestamp, file_lines bigint,
    non_data_lines bigint
)"""
# The file's own line count (docs/bad_inputs.md): file_lines - non_data_lines = landed_rows.
# Warehouses created before these columns get them added.
LOAD_AUDIT_LINES = (
    "alter table raw.load_audit add column if not exists file_lines bigint",
    "alter table raw.load_audit add column if not exists non_data_lines bigint",
)
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
    # The file's own lines, and those that hold no row (header, blank and continuation lines).
    file_lines: int | None = None
    non_data_lines: int | None = None


@dataclass
class LoadResult:
    """What one load of one contract did."""

    source: str
    batch_id: str
    files: list[FileLoad] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    # Files of the contract's folder that were not loaded, each with why (under a warn policy).
    not_loaded: list[NotLoaded] = field(default_factory=list)

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
    def data_lines(self) -> int:
        """Lines that hold a row, counted from the files themselves (not from the parser's rows)."""
        return sum((f.file_lines or 0) - (f.non_data_lines or 0) for f in self.files)

    @property
    def partitions(self) -> list[date]:
        return sorted({f.partition_date for f in self.files})


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract] | None = None) -> None:
    """Create the raw schema, each contract's raw table, quarantine and load audit if missing."""
    con.execute("create schema if not exists raw")
    for contract in contracts or load_contracts().values():
        cols = ", ".join(f"{quote_ident(name)} {sql_type}" for name, sql_type in contract.raw_columns())
        con.execute(f"create table if not exists raw.{contract.raw_table} ({cols})")
        # A warehouse built before a contract gained an optional column gets it (empty for old rows).
        present = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = ?",
                [contract.raw_table],
            ).fetchall()
        }
        for name, sql_type in contract.raw_columns():
            if name not in present:
                con.execute(f"alter table raw.{contract.raw_table} add column {quote_ident(name)} {sql_type}")
    con.execute(QUARANTINE_DDL)
    con.execute(LOAD_AUDIT_DDL)
    for statement in LOAD_AUDIT_LINES:
        con.execute(statement)


def _registry_loaded(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    present = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    return {k: v for k, v in REFERENCE_TABLES.items() if f"registry_{k}" in present}


def earliest_plausible_date(con: duckdb.DuckDBPyConnection) -> str:
    """The earliest plausible date of landed data, from the registry in ``raw.registry_*``.

    The registry's ``earliest_plausible_date`` setting when given, else its earliest date of any kind
    minus YEARS_BEFORE_REGISTRY years, else FALLBACK_EARLIEST.
    """
    columns = con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw' "
        "and table_name like 'registry\\_%' escape '\\' and data_type = 'DATE'"
    ).fetchall()
    if ("registry_settings",) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall():
        setting = con.execute(
            "select max(try_cast(setting_value as date)) from raw.registry_settings "
            "where setting_key = 'earliest_plausible_date'"
        ).fetchone()[0]
        if setting is not None:
            return setting.isoformat()
    if not columns:
        return FALLBACK_EARLIEST
    union = " union all ".join(
        f"select min({quote_ident(c)}) as d from raw.{quote_ident(t)}" for t, c in columns
    )
    earliest = con.execute(f"select min(d) from ({union})").fetchone()[0]
    if earliest is None:
        return FALLBACK_EARLIEST
    return earliest.replace(year=earliest.year - YEARS_BEFORE_REGISTRY, day=1).isoformat()


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
    unplaced_data_files: str = REFUSE,
    earliest: str | None = None,
) -> LoadResult:
    """Load every file of ``contract`` (event sources: only ``partitions`` when given).

    Each delivered partition is replaced as a whole, so re-running a load changes nothing; partitions
    without files are left as they are. Files are read and validated in batches of whole partitions
    (``batch_bytes`` of landed data each), all in one transaction: a file-level problem in any batch
    raises LandingError and the load changes nothing. ``unplaced_data_files``: the discovery policy
    (refuse or warn); ``earliest``: the earliest plausible date (default: ``earliest_plausible_date``).
    """
    batch_id = batch_id or uuid.uuid4().hex[:12]
    result = LoadResult(source=contract.name, batch_id=batch_id)
    # A source with no files still gets its empty, typed raw table: models reading it see no rows,
    # never a missing table.
    ensure_raw_tables(con, [contract])
    files, result.not_loaded = discover(landing_root, contract, partitions, policy=unplaced_data_files)
    if not files:
        return result
    # Offsets are converted explicitly; the session zone only decides what "now" is for future checks.
    con.execute("set TimeZone = 'UTC'")
    ctx = ValidationContext(
        source_time_zone=source_time_zone,
        reference_tables=_registry_loaded(con),
        earliest=earliest or earliest_plausible_date(con),
    )
    reasons: Counter[str] = Counter()
    con.execute("begin transaction")
    try:
        deliveries = sorted({f.partition_date for f in files})
        for group in batches(files, batch_bytes):
            reasons.update(_load_batch(con, contract, group, ctx, batch_id, deliveries))
        con.execute("commit")
    except UnreadableFiles as exc:
        con.execute("rollback")
        # DuckDB refuses every statement of a failed transaction: the file is named after the rollback.
        raise LandingError(name_unreadable_file(con, contract, exc)) from exc
    except Exception:
        con.execute("rollback")
        raise
    # The audit rows this load wrote are the per-file counts.
    for row in con.execute(
        f"select source_file, _partition_date, landed_rows, accepted_rows, quarantined_rows, file_lines, "
        f"non_data_lines from raw.load_audit where _batch_id = '{batch_id}' and source = '{contract.name}' "
        f"order by _partition_date, source_file"
    ).fetchall():
        result.files.append(FileLoad(*row))
    result.reasons = dict(sorted(reasons.items(), key=lambda item: -item[1]))
    return result


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[LandingFile],
    ctx: ValidationContext,
    batch_id: str,
    deliveries: list[date],
) -> dict[str, int]:
    """Replace the partitions of ``files`` in raw, quarantine and load audit; returns reason counts.

    ``deliveries``: every partition of this load (a snapshot's latest one becomes current).
    """
    batch = f"_batch_{contract.name}"
    checked = f"{batch}_checked"
    read_batch(con, contract, files, batch)
    try:
        con.execute(f"create or replace temp table {checked} as {validation_sql(contract, batch, ctx)}")
    except duckdb.Error as exc:
        # The rollback that follows drops the batch's temp tables.
        raise LandingError(f"{contract.name}: validation failed: {exc}") from exc
    drop_batch(con, batch, keep_files=True)
    if contract.on_quarantine == "refuse" and not contract.is_event_source:
        _keep_previous_snapshot(con, contract, checked, deliveries)

    typed = ", ".join(quote_ident(c.target) for c in contract.columns)
    # Columns named: a migrated table has a newer contract column after the load metadata.
    raw_names = ", ".join(quote_ident(name) for name, _ in contract.raw_columns())
    delivered = f"(select distinct _partition_date from {checked})"
    stamp = "cast(current_timestamp as timestamp)"
    con.execute(f"delete from raw.{contract.raw_table} where _partition_date in {delivered}")
    con.execute(
        f"insert into raw.{contract.raw_table} ({raw_names}) select {typed}, extra, _source_file, "
        f"_source_line, _partition_date, '{batch_id}', {stamp} from {checked} where _reason is null "
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
        select '{contract.name}', c._partition_date, c._source_file, count(*),
               count(*) filter (where c._reason is null), count(*) filter (where c._reason is not null),
               '{batch_id}', {stamp}, any_value(f._file_lines), any_value(f._non_data_lines)
        from {checked} as c join {batch}_files as f on f._source_file = c._source_file
        group by c._partition_date, c._source_file"""
    )
    drop_batch(con, batch)
    reasons = dict(
        con.execute(
            f"select _reason, count(*) from {checked} where _reason is not null group by 1"
        ).fetchall()
    )
    con.execute(f"drop table {checked}")
    return reasons


def _keep_previous_snapshot(
    con: duckdb.DuckDBPyConnection, contract: Contract, checked: str, deliveries: list[date]
) -> None:
    """Refuse a snapshot re-delivery with quarantined rows: it would replace the previous delivery
    (and figures published from it) without those rows. The rollback keeps the previous one current."""
    latest = deliveries[-1]
    bad = con.execute(
        f"select _source_file, _source_line, _reason, count(*) over () from {checked} "
        f"where _reason is not null and _partition_date = ? order by _source_file, _source_line limit 3",
        [latest],
    ).fetchall()
    if not bad:
        return
    previous = con.execute(
        f"select max(_partition_date) from raw.{quote_ident(contract.raw_table)} where _partition_date <= ?",
        [latest],
    ).fetchone()[0]
    if previous is None and len(deliveries) > 1:
        previous = deliveries[-2]
    if previous is None:
        return
    rows = "; ".join(f"{file} line {line}: {reason}" for file, line, reason, _ in bad)
    more = f" and {bad[0][3] - len(bad)} more" if bad[0][3] > len(bad) else ""
    raise LandingError(
        f"{bad[0][0]}: {bad[0][3]} row(s) of this {contract.name} delivery would be quarantined "
        f"({rows}{more}); it would replace the delivery of {previous} without them, so it is refused "
        "and the previous delivery stays current. Fix the rows and deliver the file again."
    )


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
        policy = registry.settings.get("unplaced_data_files", REFUSE)
        not_loaded(landing_root, policy)
        earliest = earliest_plausible_date(con)
        return {
            name: load_source(
                con,
                landing_root,
                contract,
                source_time_zone=tz,
                unplaced_data_files=policy,
                earliest=earliest,
            )
            for name, contract in load_contracts().items()
        }
