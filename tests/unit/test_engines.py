"""Engine plumbing that needs no server: target selection, Arrow types, DuckDB partition replacement."""

from datetime import date

import pyarrow as pa
import pytest

from value_pipeline.engines import current_target
from value_pipeline.engines.duckdb import DuckDBEngine
from value_pipeline.engines.types import duckdb_type, sql_type

FRAME = pa.table(
    {
        "day": pa.array([date(2025, 1, 1), date(2025, 1, 1), date(2025, 1, 2)]),
        "amount": pa.array([1.5, None, 0.1 + 0.2]),
        "label": pa.array(["a", "", None]),
    }
)


def test_the_target_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("VALUE_PIPELINE_TARGET", raising=False)
    assert current_target() == "duckdb"
    monkeypatch.setenv("VALUE_PIPELINE_TARGET", "postgres")
    assert current_target() == "postgres"
    monkeypatch.setenv("VALUE_PIPELINE_TARGET", "oracle")
    with pytest.raises(ValueError, match="oracle"):
        current_target()


@pytest.mark.parametrize(
    ("arrow_type", "engine", "expected"),
    [
        (pa.float64(), "postgres", "double precision"),
        (pa.float64(), "duckdb", "double"),
        (pa.string(), "spark", "string"),
        (pa.string(), "postgres", "text"),
        (pa.decimal128(18, 2), "postgres", "numeric(18,2)"),
        (pa.timestamp("us"), "spark", "timestamp"),
    ],
)
def test_arrow_types_map_to_each_engine(arrow_type, engine, expected):
    assert sql_type(arrow_type, engine) == expected


def test_unmapped_and_zoned_types_are_refused():
    with pytest.raises(TypeError):
        sql_type(pa.float32(), "postgres")
    with pytest.raises(TypeError, match="zone"):
        sql_type(pa.timestamp("us", tz="Europe/Berlin"), "duckdb")
    with pytest.raises(TypeError):
        duckdb_type("hugeint")


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("double precision", "double"),
        ("character varying", "varchar"),
        ("STRING", "varchar"),
        ("INT", "integer"),
    ],
)
def test_engine_type_names_map_to_duckdb(reported, expected):
    assert duckdb_type(reported) == expected


def test_write_table_replaces_only_the_matching_partition(tmp_path):
    with DuckDBEngine(tmp_path / "w.duckdb") as engine:
        engine.write_table("raw", "t", FRAME)
        engine.write_table("raw", "t", FRAME.slice(0, 1), {"day": date(2025, 1, 1)})
        rows = engine.query("select day, amount, label from raw.t order by day")
        assert len(rows) == 2
        assert rows["amount"].tolist()[0] == 1.5
        assert rows["amount"].tolist()[1] == 0.1 + 0.2
        assert engine.column_types("raw", "t") == {"day": "DATE", "amount": "DOUBLE", "label": "VARCHAR"}
        engine.write_table("raw", "t", FRAME.slice(0, 0))
        assert engine.read_table("raw", "t").empty
