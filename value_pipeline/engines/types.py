"""Column types of shipped tables, from an Arrow schema to each engine's DDL."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

# Arrow type id -> SQL type per engine. Anything else is refused: a guessed type would change numbers.
_SCALARS: dict[str, dict[str, str]] = {
    "duckdb": {
        "int64": "bigint",
        "int32": "integer",
        "double": "double",
        "string": "varchar",
        "large_string": "varchar",
        "date32[day]": "date",
        "bool": "boolean",
    },
    "postgres": {
        "int64": "bigint",
        "int32": "integer",
        "double": "double precision",
        "string": "text",
        "large_string": "text",
        "date32[day]": "date",
        "bool": "boolean",
    },
    "spark": {
        "int64": "bigint",
        "int32": "int",
        "double": "double",
        "string": "string",
        "large_string": "string",
        "date32[day]": "date",
        "bool": "boolean",
    },
}


def sql_type(arrow_type: pa.DataType, engine: str) -> str:
    """The ``engine`` column type that holds ``arrow_type`` exactly."""
    if pa.types.is_timestamp(arrow_type):
        if arrow_type.tz is not None:
            raise TypeError(f"timestamp with zone {arrow_type.tz!r}: ship naive UTC timestamps")
        return "timestamp"
    if pa.types.is_decimal(arrow_type):
        keyword = "numeric" if engine == "postgres" else "decimal"
        return f"{keyword}({arrow_type.precision},{arrow_type.scale})"
    try:
        return _SCALARS[engine][str(arrow_type)]
    except KeyError:
        raise TypeError(f"no {engine} column type for Arrow type {arrow_type}") from None


def ddl_columns(schema: pa.Schema, engine: str) -> str:
    """``"name" type, ...`` for a CREATE TABLE of ``schema`` on ``engine``."""
    return ", ".join(f'"{field.name}" {sql_type(field.type, engine)}' for field in schema)


def where_clause(replace_where: Mapping[str, object] | None, placeholder: str) -> tuple[str, list[object]]:
    """`` where "a" = ? and "b" = ?`` and its parameters (empty for a whole-table replace)."""
    if not replace_where:
        return "", []
    conditions = " and ".join(f'"{column}" = {placeholder}' for column in replace_where)
    return f" where {conditions}", list(replace_where.values())


# An engine's name for a column type (information_schema, DESCRIBE) -> the DuckDB type that holds it.
_DUCKDB_TYPES = {
    "double precision": "double",
    "double": "double",
    "float8": "double",
    "float64": "double",
    "character varying": "varchar",
    "varchar": "varchar",
    "text": "varchar",
    "string": "varchar",
    "integer": "integer",
    "int": "integer",
    "int4": "integer",
    "bigint": "bigint",
    "int8": "bigint",
    "int64": "bigint",
    "date": "date",
    "boolean": "boolean",
    "bool": "boolean",
    "timestamp": "timestamp",
    "timestamp without time zone": "timestamp",
}


def duckdb_type(engine_type: str) -> str:
    """The DuckDB type of a column an engine reports as ``engine_type`` (decimals keep p and s)."""
    normalized = " ".join(engine_type.strip().lower().split())
    if normalized in _DUCKDB_TYPES:
        return _DUCKDB_TYPES[normalized]
    if normalized.startswith(("decimal", "numeric")):
        return normalized.replace("numeric", "decimal")
    raise TypeError(f"no DuckDB type for the engine type {engine_type!r}")
