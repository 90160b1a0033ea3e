"""Publish the marts into a PostgreSQL schema, for Power BI and other BI tools.

A publish happens in two steps. ``stage_postgres`` loads every mart into a staging schema no reader
can see (``marts_staging``, committed, however long the COPY takes). ``swap_postgres`` then moves the
staged version into ``marts`` in one short transaction:

* a mart whose columns are unchanged is refilled with ``DELETE`` + ``INSERT ... SELECT``: MVCC-safe,
  so a reader's snapshot (even a REPEATABLE READ transaction that began before) sees every mart at
  the old version or every mart at the new one, and readers never wait;
* when a mart's columns changed, was added or removed, the staged table replaces it by
  ``ALTER TABLE ... SET SCHEMA``. That is not MVCC-safe (an older snapshot would find the new table
  empty), so the swap first locks every mart and waits for sessions holding an older snapshot, both
  for at most the lock timeout (``VALUE_PIPELINE_POSTGRES_LOCK_TIMEOUT``, default 5 s). When they do
  not finish in time the swap changes nothing and fails with ``PostgresBusyError`` naming them; new
  queries wait behind the swap for no longer than that.

Each swap also checks the BI role: its session defaults (read-only, ``search_path``) and its
password, which the role itself could change, are restored and reported. The password is sent as a
SCRAM-SHA-256 verifier computed here, never as plain text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from value_pipeline.serving.tables import SCHEMA, Table, quote_literal, select_sql

DEFAULT_BI_ROLE = "value_bi_reader"
DEFAULT_LOCK_TIMEOUT_S = 5.0
# Serialises publishers that share a database (an arbitrary constant key for pg_advisory_xact_lock).
PUBLISH_LOCK_KEY = 7_004_211_539
COPY_CHUNK_BYTES = 1 << 20
# The schema comment that names the published version: "value-pipeline <publish id>".
COMMENT_PREFIX = "value-pipeline "
_SCRAM = re.compile(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)")


class PostgresBusyError(RuntimeError):
    """The swap could not get its locks in time; nothing changed in PostgreSQL."""


@dataclass(frozen=True)
class PostgresTarget:
    """Where to publish: an admin connection string, the schema, the read-only BI role, and how long
    the swap waits for readers."""

    url: str
    schema: str = SCHEMA
    bi_role: str = DEFAULT_BI_ROLE
    bi_password: str | None = None
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S

    @classmethod
    def from_env(cls, url: str | None) -> PostgresTarget | None:
        """The target for ``url`` (Settings.postgres_url) with the BI role from the environment."""
        if not url:
            return None
        timeout = os.environ.get("VALUE_PIPELINE_POSTGRES_LOCK_TIMEOUT") or DEFAULT_LOCK_TIMEOUT_S
        return cls(
            url=url,
            bi_role=os.environ.get("VALUE_PIPELINE_POSTGRES_BI_ROLE") or DEFAULT_BI_ROLE,
            bi_password=os.environ.get("VALUE_PIPELINE_POSTGRES_BI_PASSWORD") or None,
            lock_timeout_s=float(timeout),
        )

    @property
    def staging_schema(self) -> str:
        return f"{self.schema}_staging"

    def describe(self) -> str:
        """The target without its password, e.g. ``postgresql://admin@db:5432/value schema marts``."""
        parts = conninfo_to_dict(self.url)
        user = f"{parts['user']}@" if parts.get("user") else ""
        port = f":{parts['port']}" if parts.get("port") else ""
        return (
            f"postgresql://{user}{parts.get('host', 'localhost')}{port}/{parts.get('dbname', '')} "
            f"schema {self.schema}"
        )


def published_version(target: PostgresTarget) -> str | None:
    """The publish id the ``marts`` schema holds (from its comment), None before the first publish."""
    with psycopg.connect(target.url, autocommit=True) as pg:
        row = pg.execute(
            "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
            [target.schema],
        ).fetchone()
    comment = row[0] if row else None
    return comment.removeprefix(COMMENT_PREFIX) if comment and comment.startswith(COMMENT_PREFIX) else None


def stage_postgres(
    source: duckdb.DuckDBPyConnection,
    tables: Sequence[Table],
    target: PostgresTarget,
    workdir: Path,
    publish_id: str,
) -> None:
    """Load ``tables`` from ``source`` into the staging schema, replacing whatever it held.

    ``workdir`` holds the CSV files streamed through COPY. Readers of ``marts`` are not touched.
    """
    planned = [(table, table.postgres_columns()) for table in tables]
    staging = sql.Identifier(target.staging_schema)
    with psycopg.connect(target.url) as pg, pg.cursor() as cur:
        _set_lock_timeout(cur, target)
        try:
            cur.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK_KEY])
        except psycopg.errors.LockNotAvailable:
            raise PostgresBusyError(_busy_message(target, publish_id, "the publish lock")) from None
        cur.execute(sql.SQL("drop schema if exists {} cascade").format(staging))
        cur.execute(sql.SQL("create schema {}").format(staging))
        cur.execute(sql.SQL("revoke all on schema {} from public").format(staging))
        for table, columns in planned:
            name = sql.SQL("{}.{}").format(staging, sql.Identifier(table.name))
            cur.execute(
                sql.SQL("create table {} ({})").format(
                    name,
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(pg_type))
                        for column, pg_type in columns
                    ),
                )
            )
            _copy(source, cur, table, name, workdir)
        cur.execute(
            sql.SQL("comment on schema {} is {}").format(staging, sql.Literal(COMMENT_PREFIX + publish_id))
        )


def swap_postgres(target: PostgresTarget, publish_id: str) -> list[str]:
    """Make the staged version of ``publish_id`` the ``marts`` schema in one transaction.

    Returns what the BI role check found and restored (one sentence each). Raises PostgresBusyError
    (nothing changed) when readers hold the marts longer than the lock timeout.
    """
    schema, staging = sql.Identifier(target.schema), sql.Identifier(target.staging_schema)
    with psycopg.connect(target.url) as pg, pg.cursor() as cur:
        _set_lock_timeout(cur, target)
        waiting_for = "the publish lock"
        try:
            cur.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK_KEY])
            cur.execute(
                "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
                [target.staging_schema],
            )
            row = cur.fetchone()
            if row is None or row[0] != COMMENT_PREFIX + publish_id:
                staged = row[0].removeprefix(COMMENT_PREFIX) if row and row[0] else "nothing"
                raise RuntimeError(
                    f"PostgreSQL schema {target.staging_schema} holds {staged}, not publish {publish_id} "
                    "(another publisher staged since): publish again"
                )
            notes = _ensure_bi_role(cur, target)
            cur.execute(sql.SQL("create schema if not exists {}").format(schema))
            existing = _existing_columns(cur, target.schema)
            staged_columns = _existing_columns(cur, target.staging_schema)
            reshaped = sorted(
                name for name, columns in staged_columns.items() if existing.get(name) != columns
            )
            stale = sorted(set(existing) - set(staged_columns))
            if existing and (reshaped or stale):
                # Not MVCC-safe: no session may be inside a mart, or hold a snapshot from before.
                waiting_for = "the marts, held by another session's transaction"
                cur.execute(
                    sql.SQL("lock table {} in access exclusive mode").format(
                        sql.SQL(", ").join(
                            sql.SQL("{}.{}").format(schema, sql.Identifier(name)) for name in sorted(existing)
                        )
                    )
                )
                _wait_for_older_snapshots(cur, target, publish_id)
            for name in stale:
                cur.execute(sql.SQL("drop table {}.{}").format(schema, sql.Identifier(name)))
            for name, columns in staged_columns.items():
                mart, staged_mart = (
                    sql.SQL("{}.{}").format(s, sql.Identifier(name)) for s in (schema, staging)
                )
                if name in reshaped:
                    cur.execute(sql.SQL("drop table if exists {}").format(mart))
                    cur.execute(sql.SQL("alter table {} set schema {}").format(staged_mart, schema))
                else:
                    column_list = sql.SQL(", ").join(sql.Identifier(column) for column, _ in columns)
                    cur.execute(sql.SQL("delete from {}").format(mart))
                    cur.execute(
                        sql.SQL("insert into {} ({}) select {} from {}").format(
                            mart, column_list, column_list, staged_mart
                        )
                    )
            cur.execute(sql.SQL("drop schema {} cascade").format(staging))
            _grant(cur, target)
            cur.execute(
                sql.SQL("comment on schema {} is {}").format(schema, sql.Literal(COMMENT_PREFIX + publish_id))
            )
        except psycopg.errors.LockNotAvailable:
            raise PostgresBusyError(_busy_message(target, publish_id, waiting_for)) from None
    return notes


def _set_lock_timeout(cur: psycopg.Cursor, target: PostgresTarget) -> None:
    cur.execute(
        sql.SQL("set local lock_timeout = {}").format(sql.Literal(f"{round(target.lock_timeout_s * 1000)}ms"))
    )


def _busy_message(target: PostgresTarget, publish_id: str, what: str) -> str:
    return (
        f"PostgreSQL publish {publish_id} gave up after {target.lock_timeout_s:g} s waiting for {what} "
        f"({target.describe()}); nothing changed and every store stays on the previous version. Retry "
        "the publish when the sessions listed by `select pid, usename, state, xact_start from "
        "pg_stat_activity where state like 'idle in transaction%'` have finished (often a BI tool "
        "left a transaction open); VALUE_PIPELINE_POSTGRES_LOCK_TIMEOUT sets the wait."
    )


def _wait_for_older_snapshots(cur: psycopg.Cursor, target: PostgresTarget, publish_id: str) -> None:
    """Wait (up to the lock timeout) until no other session holds a snapshot that would read a
    replaced mart as empty; sessions queued on our locks will run after the commit and are fine."""
    deadline = time.monotonic() + target.lock_timeout_s
    while True:
        cur.execute(
            """
            select pid, usename, state, xact_start from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()
              and backend_type = 'client backend' and backend_xmin is not null
              and wait_event_type is distinct from 'Lock'
            order by pid
            """
        )
        holders = cur.fetchall()
        if not holders:
            return
        if time.monotonic() >= deadline:
            named = "; ".join(
                f"pid {pid} ({user}, {state} since {start:%H:%M:%S})" for pid, user, state, start in holders
            )
            raise PostgresBusyError(
                _busy_message(
                    target, publish_id, f"sessions holding a snapshot from before the swap: {named}"
                )
            )
        time.sleep(0.1)


def _existing_columns(cur: psycopg.Cursor, schema: str) -> dict[str, list[tuple[str, str]]]:
    """The schema's tables with their (column, type) pairs, types spelled as ``postgres_type`` does."""
    cur.execute(
        """
        select c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = %s and c.relkind = 'r'
        order by c.relname, a.attnum
        """,
        [schema],
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, pg_type in cur.fetchall():
        tables.setdefault(table, []).append(
            (column, pg_type.replace("timestamp without time zone", "timestamp"))
        )
    return tables


def _copy(
    source: duckdb.DuckDBPyConnection, cur: psycopg.Cursor, table: Table, name: sql.Composed, workdir: Path
) -> None:
    # DuckDB writes CSV that PostgreSQL's CSV COPY reads back exactly: NULL as an empty field, an
    # empty string quoted, doubles in their shortest round-trip form.
    csv_path = workdir / f"{table.name}.csv"
    source.execute(f"copy ({select_sql(table)}) to {quote_literal(str(csv_path))} (format csv, header false)")
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        name, sql.SQL(", ").join(sql.Identifier(column) for column, _ in table.columns)
    )
    with cur.copy(statement) as copy, csv_path.open("rb") as csv_file:
        while chunk := csv_file.read(COPY_CHUNK_BYTES):
            copy.write(chunk)
    csv_path.unlink()


def scram_verifier_matches(verifier: str | None, password: str) -> bool:
    """Whether a stored ``SCRAM-SHA-256$...`` verifier (RFC 5802/7677) was made from ``password``."""
    match = _SCRAM.fullmatch(verifier or "")
    if match is None:
        return False
    iterations, salt = int(match[1]), base64.b64decode(match[2])
    stored_key, server_key = base64.b64decode(match[3]), base64.b64decode(match[4])
    # PostgreSQL SASLprep-normalises the password (NFKC for the passwords people type).
    salted = hashlib.pbkdf2_hmac("sha256", unicodedata.normalize("NFKC", password).encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), stored_key) and hmac.compare_digest(
        hmac.new(salted, b"Server Key", "sha256").digest(), server_key
    )


def _ensure_bi_role(cur: psycopg.Cursor, target: PostgresTarget) -> list[str]:
    """Create the BI role if missing; restore its session defaults and password; say what was done."""
    role = sql.Identifier(target.bi_role)
    notes: list[str] = []
    cur.execute("select oid from pg_roles where rolname = %s", [target.bi_role])
    found = cur.fetchone()
    if found is None:
        cur.execute(sql.SQL("create role {} login").format(role))
        notes.append(f"created BI role {target.bi_role}")
        settings: list[tuple[int, list[str]]] = []
    else:
        cur.execute("select setdatabase, setconfig from pg_db_role_setting where setrole = %s", [found[0]])
        settings = [(database, sorted(config or [])) for database, config in cur.fetchall()]
    expected = [(0, sorted(["default_transaction_read_only=on", f"search_path={target.schema}"]))]
    if settings != expected:
        if found is not None:
            notes.append(f"restored the session defaults of {target.bi_role} (found {settings or 'none'})")
        cur.execute(sql.SQL("alter role {} reset all").format(role))
        for database, _ in settings:
            if database:
                cur.execute("select datname from pg_database where oid = %s", [database])
                name = cur.fetchone()
                if name:
                    cur.execute(
                        sql.SQL("alter role {} in database {} reset all").format(
                            role, sql.Identifier(name[0])
                        )
                    )
        # Defence in depth on top of the grants: every session of the BI role is read-only by default.
        cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
        cur.execute(sql.SQL("alter role {} set search_path = {}").format(role, sql.Identifier(target.schema)))
    if target.bi_password:
        notes += _ensure_password(cur, target)
    return notes


def _ensure_password(cur: psycopg.Cursor, target: PostgresTarget) -> list[str]:
    """Set the BI password as a SCRAM verifier when the stored one does not match it (or cannot be read)."""
    cur.execute("select rolsuper from pg_roles where rolname = current_user")
    if cur.fetchone()[0]:
        cur.execute("select rolpassword from pg_authid where rolname = %s", [target.bi_role])
        stored = cur.fetchone()[0]
        if scram_verifier_matches(stored, target.bi_password):
            return []
        note = (
            f"set the password of {target.bi_role}"
            if stored is None
            else f"restored the password of {target.bi_role} (it had been changed)"
        )
    else:
        note = f"reset the password of {target.bi_role} (only a superuser can read it to compare)"
    verifier = cur.connection.pgconn.encrypt_password(
        target.bi_password.encode(), target.bi_role.encode(), b"scram-sha-256"
    )
    cur.execute(
        sql.SQL("alter role {} password {}").format(
            sql.Identifier(target.bi_role), sql.Literal(verifier.decode())
        )
    )
    return [note]


def _grant(cur: psycopg.Cursor, target: PostgresTarget) -> None:
    """SELECT on the schema's tables, now and for tables created later; nothing else."""
    role = sql.Identifier(target.bi_role)
    schema = sql.Identifier(target.schema)
    cur.execute("select current_database()")
    database = sql.Identifier(cur.fetchone()[0])
    cur.execute(sql.SQL("grant connect on database {} to {}").format(database, role))
    # No temporary tables for anyone but those granted TEMP explicitly: the BI role only reads.
    cur.execute(sql.SQL("revoke temporary on database {} from public").format(database))
    cur.execute(sql.SQL("revoke temporary on database {} from {}").format(database, role))
    cur.execute(sql.SQL("revoke all on schema {} from public").format(schema))
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema, role))
    cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, role))
    cur.execute(
        sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(schema, role)
    )
