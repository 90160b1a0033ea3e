"""The embedded DuckDB warehouse file (the default target)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from value_pipeline.config import DUCKDB_MEMORY_LIMIT
from value_pipeline.engines.base import Engine
from value_pipeline.engines.types import ddl_columns, where_clause


class DuckDBEngine(Engine):
    """One read-write connection to the warehouse file (DuckDB allows one writer per file)."""

    name = "duckdb"
    dbt_target = "duckdb"

    def __init__(self, path: Path | str, memory_limit: str = DUCKDB_MEMORY_LIMIT) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path), config={"memory_limit": memory_limit})
        self.con.execute("set TimeZone = 'UTC'")
        self._owned = True

    @classmethod
    def on(cls, con: duckdb.DuckDBPyConnection) -> DuckDBEngine:
        """An engine on a connection the caller keeps open and closes."""
        engine = cls.__new__(cls)
        engine.con = con
        engine._owned = False
        return engine

    def write_table(
        self,
        schema: str,
        table: str,
        frame: pa.Table,
        replace_where: Mapping[str, object] | None = None,
    ) -> None:
        target = f'"{schema}"."{table}"'
        columns = ", ".join(f'"{name}"' for name in frame.column_names)
        self.con.register("_engine_frame", frame)
        self.con.execute("begin transaction")
        try:
            self.con.execute(f'create schema if not exists "{schema}"')
            self.con.execute(f"create table if not exists {target} ({ddl_columns(frame.schema, 'duckdb')})")
            where, params = where_clause(replace_where, "?")
            self.con.execute(f"delete from {target}{where}", params)
            self.con.execute(f"insert into {target} ({columns}) select {columns} from _engine_frame")
            self.con.execute("commit")
        except Exception:
            self.con.execute("rollback")
            raise
        finally:
            self.con.unregister("_engine_frame")

    def read_table(self, schema: str, table: str) -> pd.DataFrame:
        return self.con.execute(f'select * from "{schema}"."{table}"').df()

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def close(self) -> None:
        if self._owned:
            self.con.close()
