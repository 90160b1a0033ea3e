"""SparkEngine's writes on the Spark lane's session: partitions replaced, never duplicated."""

from datetime import date, datetime

import pyarrow as pa
import pytest

from tests.portability.harness import Build

pytestmark = pytest.mark.integration
DAY_1, DAY_2 = date(2025, 1, 1), date(2025, 1, 2)


def _rows(ids: list[int], day: date, source: str = "a") -> pa.Table:
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "amount": pa.array([i / 3 for i in ids], pa.float64()),
            "note": pa.array([f"line 1\nline 2 of {i}" for i in ids], pa.string()),
            "loaded_at": pa.array([datetime(2025, 1, 1, 12, 30, 0, 123456)] * len(ids), pa.timestamp("us")),
            "source": pa.array([source] * len(ids), pa.string()),
            "_partition_date": pa.array([day] * len(ids), pa.date32()),
        }
    )


def _ids(engine, table: str) -> list[tuple]:
    frame = engine.read_table("scratch", table)
    return sorted(zip(frame["_partition_date"].dt.date, frame["id"], strict=True))


def test_a_partition_write_replaces_that_partition_only(spark_build: Build):
    engine = spark_build.engine
    engine.write_table("scratch", "by_day", _rows([1, 2], DAY_1), {"_partition_date": DAY_1})
    engine.write_table("scratch", "by_day", _rows([3], DAY_2), {"_partition_date": DAY_2})
    engine.write_table("scratch", "by_day", _rows([4], DAY_1), {"_partition_date": DAY_1})
    assert _ids(engine, "by_day") == [(DAY_1, 4), (DAY_2, 3)]
    # A re-delivered partition with no rows left empties it.
    engine.write_table("scratch", "by_day", _rows([], DAY_2), {"_partition_date": DAY_2})
    assert _ids(engine, "by_day") == [(DAY_1, 4)]


def test_a_table_first_written_whole_is_rewritten_without_the_replaced_rows(spark_build: Build):
    engine = spark_build.engine
    both = pa.concat_tables([_rows([1], DAY_1, "a"), _rows([2], DAY_1, "b"), _rows([3], DAY_2, "a")])
    engine.write_table("scratch", "whole", both)
    engine.write_table(
        "scratch", "whole", _rows([5, 6], DAY_1, "a"), {"source": "a", "_partition_date": DAY_1}
    )
    assert _ids(engine, "whole") == [(DAY_1, 2), (DAY_1, 5), (DAY_1, 6), (DAY_2, 3)]
    engine.write_table("scratch", "whole", _rows([7], DAY_2, "b"))
    assert _ids(engine, "whole") == [(DAY_2, 7)]


def test_values_and_types_survive_the_round_trip(spark_build: Build):
    engine = spark_build.engine
    engine.write_table("scratch", "round_trip", _rows([1, 2], DAY_1), {"_partition_date": DAY_1})
    frame = engine.read_table("scratch", "round_trip").sort_values("id")
    assert frame["amount"].tolist() == [1 / 3, 2 / 3]
    assert frame["note"].tolist() == ["line 1\nline 2 of 1", "line 1\nline 2 of 2"]
    assert frame["loaded_at"].tolist() == [datetime(2025, 1, 1, 12, 30, 0, 123456)] * 2
    assert engine.column_types("scratch", "round_trip") == {
        "id": "bigint",
        "amount": "double",
        "note": "string",
        "loaded_at": "timestamp",
        "source": "string",
        "_partition_date": "date",
    }


def test_a_frame_with_other_columns_is_refused(spark_build: Build):
    engine = spark_build.engine
    engine.write_table("scratch", "refuse", _rows([1], DAY_1))
    with pytest.raises(ValueError, match="columns differ"):
        engine.write_table("scratch", "refuse", _rows([1], DAY_1).drop_columns(["note"]))
    assert _ids(engine, "refuse") == [(DAY_1, 1)]
