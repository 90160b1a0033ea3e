"""Publish the marts into a PostgreSQL schema in one transaction, for Power BI and other BI tools.

Each mart is replaced with ``DELETE`` + ``COPY`` inside a single transaction. Unlike a schema swap
(``ALTER SCHEMA ... RENAME``) or ``TRUNCATE``, this is MVCC-safe: a reader's snapshot, even a
REPEATABLE READ transaction that began before the publish, sees every mart at the old version or
every mart at the new one, readers never wait for the publisher, and the grants stay on the tables.
A mart whose columns changed is dropped and recreated in the same transaction (that waits for the
readers of that table to finish).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from value_pipeline.serving.tables import SCHEMA, Table, quote_literal, select_sql

DEFAULT_BI_ROLE = "value_bi_reader"
# Serialises publishers that share a database (an arbitrary constant key for pg_advisory_xact_lock).
PUBLISH_LOCK_KEY = 7_004_211_539
COPY_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class PostgresTarget:
    """Where to publish: an admin connection string, the schema, and the read-only BI role."""

    url: str
    schema: str = SCHEMA
    bi_role: str = DEFAULT_BI_ROLE
    bi_password: str | None = None

    @classmethod
    def from_env(cls, url: str | None) -> PostgresTarget | None:
        """The target for ``url`` (Settings.postgres_url) with the BI role from the environment."""
        if not url:
            return None
        return cls(
            url=url,
            bi_role=os.environ.get("VALUE_PIPELINE_POSTGRES_BI_ROLE") or DEFAULT_BI_ROLE,
            bi_password=os.environ.get("VALUE_PIPELINE_POSTGRES_BI_PASSWORD") or None,
        )

    def describe(self) -> str:
        """The target without its password, e.g. ``postgresql://admin@db:5432/value schema marts``."""
        parts = conninfo_to_dict(self.url)
        user = f"{parts['user']}@" if parts.get("user") else ""
        port = f":{parts['port']}" if parts.get("port") else ""
        return (
            f"postgresql://{user}{parts.get('host', 'localhost')}{port}/{parts.get('dbname', '')} "
            f"schema {self.schema}"
        )


def publish_postgres(
    source: duckdb.DuckDBPyConnection,
    tables: Sequence[Table],
    target: PostgresTarget,
    workdir: Path,
    comment: str,
) -> None:
    """Replace the target schema's tables with ``tables`` read from ``source``, atomically.

    ``workdir`` holds the CSV files streamed through COPY; ``comment`` goes on the schema (the
    publish id, so a BI user can tell which version they read). Stale tables that are no longer
    published are dropped in the same transaction.
    """
    planned = [(table, table.postgres_columns()) for table in tables]
    schema = sql.Identifier(target.schema)
    with psycopg.connect(target.url) as pg, pg.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK_KEY])
        _ensure_bi_role(cur, target)
        cur.execute(sql.SQL("create schema if not exists {}").format(schema))
        existing = _existing_columns(cur, target.schema)
        for stale in sorted(set(existing) - {table.name for table in tables}):
            cur.execute(sql.SQL("drop table {}.{}").format(schema, sql.Identifier(stale)))
        for table, columns in planned:
            name = sql.SQL("{}.{}").format(schema, sql.Identifier(table.name))
            if existing.get(table.name) == columns:
                cur.execute(sql.SQL("delete from {}").format(name))
            else:
                cur.execute(sql.SQL("drop table if exists {}").format(name))
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
        _grant(cur, target)
        cur.execute(sql.SQL("comment on schema {} is {}").format(schema, sql.Literal(comment)))


def _existing_columns(cur: psycopg.Cursor, schema: str) -> dict[str, list[tuple[str, str]]]:
    """The target's tables with their (column, type) pairs, types spelled as ``postgres_type`` does."""
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


def _ensure_bi_role(cur: psycopg.Cursor, target: PostgresTarget) -> None:
    role = sql.Identifier(target.bi_role)
    cur.execute("select 1 from pg_roles where rolname = %s", [target.bi_role])
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create role {} login").format(role))
    if target.bi_password:
        cur.execute(sql.SQL("alter role {} password {}").format(role, sql.Literal(target.bi_password)))
    # Defence in depth on top of the grants: every session of the BI role is read-only by default.
    cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
    cur.execute(sql.SQL("alter role {} set search_path = {}").format(role, sql.Identifier(target.schema)))


def _grant(cur: psycopg.Cursor, target: PostgresTarget) -> None:
    """SELECT on the schema's tables, now and for tables created later; nothing else."""
    role = sql.Identifier(target.bi_role)
    schema = sql.Identifier(target.schema)
    cur.execute("select current_database()")
    database = sql.Identifier(cur.fetchone()[0])
    cur.execute(sql.SQL("grant connect on database {} to {}").format(database, role))
    cur.execute(sql.SQL("revoke all on schema {} from public").format(schema))
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema, role))
    cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, role))
    cur.execute(
        sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(schema, role)
    )
