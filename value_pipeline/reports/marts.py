"""Open the published marts: ``<serving_root>/CURRENT`` names the folder of ``<mart>.parquet`` files."""

from __future__ import annotations

from pathlib import Path

import duckdb

from value_pipeline.serving.parquet import current_publish_id


def current_publish_dir(serving_root: Path) -> Path:
    """The publish folder ``CURRENT`` names; refuses a serving root that has never been published to."""
    publish_id = current_publish_id(serving_root)
    if publish_id is None:
        raise FileNotFoundError(f"no published marts under {serving_root} (run the publish step)")
    return serving_root / publish_id


def connect_marts(marts_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view ``marts.<mart>`` per ``<mart>.parquet`` of ``marts_dir``.

    The same SQL then runs against a publish folder as against the warehouse's ``marts`` schema.
    """
    files = sorted(marts_dir.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no <mart>.parquet file in {marts_dir}")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema marts")
    for file in files:
        path = str(file).replace("'", "''")
        con.execute(f"create view marts.\"{file.stem}\" as select * from read_parquet('{path}')")
    return con
