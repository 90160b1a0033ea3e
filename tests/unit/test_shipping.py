"""Shipping a load to another engine: a source without files still gets its empty, typed tables
there, and shipping it never removes rows an earlier delivery put there."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from value_pipeline.contracts import load_contracts
from value_pipeline.engines.duckdb import DuckDBEngine
from value_pipeline.engines.postgres import PostgresEngine
from value_pipeline.engines.shipping import ship_load
from value_pipeline.landing import LoadResult
from value_pipeline.landing.loader import FileLoad

RAW_BOOKKEEPING = ("quarantine", "load_audit")


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request, tmp_path):
    if request.param == "duckdb":
        target = DuckDBEngine(tmp_path / "target.duckdb")
    else:
        target = PostgresEngine(request.getfixturevalue("postgres_url"))
        for table in ("finance_benefits", "workflow_events", *RAW_BOOKKEEPING):
            target.execute(f"drop table if exists raw.{table}")
    with target:
        yield target


def test_ship_load_without_files_creates_empty_tables(con, engine):
    benefits = load_contracts()["finance_benefits"]
    ship_load(con, engine, "finance_benefits", LoadResult(source="finance_benefits", batch_id="b1"))
    assert list(engine.column_types("raw", "finance_benefits")) == [
        name for name, _ in benefits.raw_columns()
    ]
    for table in ("finance_benefits", *RAW_BOOKKEEPING):
        assert len(engine.read_table("raw", table)) == 0, table


def test_ship_load_without_files_keeps_an_earlier_delivery(con, engine):
    contract = load_contracts()["workflow_events"]
    con.execute(
        "insert into raw.workflow_events (event_id, case_id, use_case_id, event_type, event_ts, actor_type, "
        "_partition_date) values ('e1', 'c1', 'UC01', 'opened', timestamp '2025-05-01 08:00:00', 'human', "
        "date '2025-05-01')"
    )
    day = date(2025, 5, 1)
    delivered = LoadResult(source="workflow_events", batch_id="b1")
    delivered.files.append(FileLoad("workflow_events/dt=2025-05-01/a.csv", day, 1, 1, 0))
    ship_load(con, engine, contract.raw_table, delivered)
    ship_load(con, engine, contract.raw_table, LoadResult(source="workflow_events", batch_id="b2"))
    rows = engine.read_table("raw", "workflow_events")
    assert rows["event_id"].tolist() == ["e1"]


def test_write_table_replacing_null_partitions_creates_the_table_only(tmp_path):
    """The rule ship_load relies on: replacing the rows of a NULL partition replaces none."""
    with DuckDBEngine(tmp_path / "t.duckdb") as engine:
        frame = pa.table({"a": ["x"], "_partition_date": [date(2025, 1, 1)]})
        engine.write_table("raw", "t", frame, {"_partition_date": date(2025, 1, 1)})
        engine.write_table("raw", "t", frame.slice(0, 0), {"_partition_date": None})
        assert engine.read_table("raw", "t")["a"].tolist() == ["x"]
