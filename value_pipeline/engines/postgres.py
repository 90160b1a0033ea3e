"""A PostgreSQL warehouse: partitions replaced with DELETE + COPY in one transaction.

Reads go through ``COPY ... TO STDOUT`` and DuckDB's CSV reader with the column types PostgreSQL
reports, so a frame read here has the same pandas dtypes as one read from the DuckDB warehouse.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping

import duckdb
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql

from value_pipeline.engines.base import Engine
from value_pipeline.engines.types import ddl_columns, where_clause

# PostgreSQL type name (pg_type.typname) -> the DuckDB type its COPY text is read back as.
_READ_TYPES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "float",
    "float8": "double",
    "text": "varchar",
    "varchar": "varchar",
    "bpchar": "varchar",
    "name": "varchar",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "bool": "boolean",
}


def conninfo_from_env() -> str:
    """The connection string the dbt ``postgres`` output uses too (profiles.yml reads the same vars)."""
    env = os.environ
    parts = {
        "host": env.get("VALUE_PIPELINE_PG_HOST", "127.0.0.1"),
        "port": env.get("VALUE_PIPELINE_PG_PORT", "5432"),
        "user": env.get("VALUE_PIPELINE_PG_USER", "postgres"),
        "password": env.get("VALUE_PIPELINE_PG_PASSWORD", ""),
        "dbname": env.get("VALUE_PIPELINE_PG_DBNAME", "value_pipeline"),
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v})


class PostgresEngine(Engine):
    name = "postgres"
    dbt_target = "postgres"

    def __init__(self, conninfo: str) -> None:
        self.con = psycopg.connect(conninfo)
        self.con.execute("set time zone 'UTC'")
        self.con.commit()

    @classmethod
    def from_env(cls) -> PostgresEngine:
        return cls(conninfo_from_env())

    def write_table(
        self,
        schema: str,
        table: str,
        frame: pa.Table,
        replace_where: Mapping[str, object] | None = None,
    ) -> None:
        target = sql.Identifier(schema, table)
        columns = sql.SQL(", ").join(sql.Identifier(name) for name in frame.column_names)
        where, params = where_clause(replace_where, "%s")
        with self.con.transaction(), self.con.cursor() as cur:
            cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            cur.execute(
                sql.SQL("create table if not exists {} (").format(target)
                + sql.SQL(ddl_columns(frame.schema, "postgres"))
                + sql.SQL(")")
            )
            cur.execute(sql.SQL("delete from {}").format(target) + sql.SQL(where), params)
            if frame.num_rows:
                with cur.copy(
                    sql.SQL("copy {} ({}) from stdin (format csv)").format(target, columns)
                ) as copy:
                    copy.write(_csv_bytes(frame))

    def read_table(self, schema: str, table: str) -> pd.DataFrame:
        return self.query(f'select * from "{schema}"."{table}"')

    def query(self, sql_text: str) -> pd.DataFrame:
        with self.con.cursor() as cur:
            cur.execute(f"select * from ({sql_text}) as q limit 0")
            columns = {d.name: self._duckdb_type(d) for d in cur.description}
            buffer = io.BytesIO()
            with cur.copy(f"copy ({sql_text}) to stdout (format csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        self.con.commit()
        if not columns:
            return pd.DataFrame()
        with duckdb.connect() as local:
            if not buffer.getbuffer().nbytes:
                types = ", ".join(f'cast(null as {t}) as "{n}"' for n, t in columns.items())
                return local.execute(f"select {types} limit 0").df()
            buffer.seek(0)
            relation = local.read_csv(
                buffer,
                header=False,
                columns=columns,
                quotechar='"',
                escapechar='"',
                allow_quoted_nulls=False,
            )
            return relation.df()

    def _duckdb_type(self, column: psycopg.Column) -> str:
        info = self.con.adapters.types.get(column.type_code)
        name = info.name if info else str(column.type_code)
        if name == "numeric":
            if column.precision is None:
                return "double"
            return f"decimal({column.precision},{column.scale or 0})"
        try:
            return _READ_TYPES[name]
        except KeyError:
            raise TypeError(f"column {column.name!r}: PostgreSQL type {name} cannot be read") from None

    def execute(self, sql_text: str) -> None:
        with self.con.transaction():
            self.con.execute(sql_text)

    def close(self) -> None:
        self.con.close()


def _csv_bytes(frame: pa.Table) -> bytes:
    """``frame`` as COPY CSV: NULL is an empty field, an empty string is quoted."""
    columns = [
        pc.cast(column, pa.timestamp("us")) if pa.types.is_timestamp(column.type) else column
        for column in frame.columns
    ]
    buffer = io.BytesIO()
    pa_csv.write_csv(
        pa.table(columns, names=frame.column_names), buffer, pa_csv.WriteOptions(include_header=False)
    )
    return buffer.getvalue()
