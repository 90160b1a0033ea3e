"""Helpers for the statistics steps, which read and write the warehouse through an Engine."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from value_pipeline.engines.base import Engine


def as_engine(warehouse: Engine | duckdb.DuckDBPyConnection) -> Engine:
    """``warehouse`` as an Engine (a DuckDB connection is wrapped and left open)."""
    from value_pipeline.engines.duckdb import DuckDBEngine

    return warehouse if isinstance(warehouse, Engine) else DuckDBEngine.on(warehouse)


def typed_table(frame: pd.DataFrame, columns: Sequence[tuple[str, str]]) -> pa.Table:
    """``frame``'s ``columns`` cast to their DuckDB types, as Arrow (what Engine.write_table takes)."""
    casts = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in columns)
    names = [name for name, _ in columns]
    with duckdb.connect() as local:
        local.register("_frame", frame[names].astype(object).where(frame[names].notna(), None))
        return local.execute(f"select {casts} from _frame").to_arrow_table()
