"""What is published: the marts, their columns, and the column types every serving store can hold."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

SCHEMA = "marts"

# The DuckDB types a published column may have (as dbt contracts or DuckDB's information_schema
# spell them) and their PostgreSQL equivalents. Anything else is refused, not guessed: an integer
# sum() is HUGEINT in DuckDB and would silently become a float in Parquet and PostgreSQL.
_TYPES = {
    "varchar": "text",
    "text": "text",
    "string": "text",
    "double": "double precision",
    "float8": "double precision",
    "bigint": "bigint",
    "int8": "bigint",
    "integer": "integer",
    "int": "integer",
    "int4": "integer",
    "date": "date",
    "timestamp": "timestamp",
    "datetime": "timestamp",
    "boolean": "boolean",
    "bool": "boolean",
}
_DECIMAL = re.compile(r"(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)")


class UnmappableTypeError(ValueError):
    """A mart column has a type outside the serving contract (no exact PostgreSQL equivalent)."""


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL type of a DuckDB column type; raises UnmappableTypeError for any other type."""
    normalized = " ".join(duckdb_type.strip().lower().split())
    if normalized in _TYPES:
        return _TYPES[normalized]
    decimal = _DECIMAL.fullmatch(normalized)
    if decimal:
        return f"numeric({decimal[1]},{decimal[2]})"
    hint = (
        " (an integer sum()? cast it to bigint in the model and declare the type in its contract)"
        if normalized == "hugeint"
        else ""
    )
    raise UnmappableTypeError(f"type {duckdb_type!r} cannot be published{hint}")


@dataclass(frozen=True)
class Table:
    """A mart to publish: its name in schema ``marts`` and its (column, DuckDB type) pairs in order."""

    name: str
    columns: tuple[tuple[str, str], ...]

    def postgres_columns(self) -> list[tuple[str, str]]:
        return [(column, postgres_type(data_type)) for column, data_type in self.columns]


def read_tables(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[Table]:
    """The marts ``names`` as the warehouse holds them; refuses a missing mart or an unmappable column."""
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [SCHEMA],
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        columns.setdefault(table, []).append((column, data_type))
    missing = sorted(set(names) - set(columns))
    if missing:
        raise LookupError(f"marts missing from the warehouse: {', '.join(missing)}")
    tables = [Table(name, tuple(columns[name])) for name in sorted(names)]
    for table in tables:
        for column, data_type in table.columns:
            try:
                postgres_type(data_type)
            except UnmappableTypeError as error:
                raise UnmappableTypeError(f"{SCHEMA}.{table.name}.{column}: {error}") from None
    return tables


def quote_identifier(name: str) -> str:
    """A DuckDB or PostgreSQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A DuckDB string literal (COPY and ATTACH take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def select_sql(table: Table) -> str:
    """The query that reads ``table`` from the warehouse, its columns in order."""
    columns = ", ".join(quote_identifier(column) for column, _ in table.columns)
    return f"select {columns} from {quote_identifier(SCHEMA)}.{quote_identifier(table.name)}"
