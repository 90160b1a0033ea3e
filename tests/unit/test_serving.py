"""Publishing without a server: the type contract, the atomic pointer, pruning, and failed publishes."""

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg
import pytest

from value_pipeline.config import Settings
from value_pipeline.serving import EmptyMartError, publish, published_locations, recover
from value_pipeline.serving.duckdb_file import DUCKDB_FILE, link_duckdb_file
from value_pipeline.serving.parquet import (
    POINTER,
    current_publish_id,
    move_pointer,
    new_publish_id,
    prune,
)
from value_pipeline.serving.postgres import PostgresTarget
from value_pipeline.serving.tables import UnmappableTypeError, postgres_type, read_tables


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("varchar", "text"),
        ("VARCHAR", "text"),
        ("double", "double precision"),
        ("bigint", "bigint"),
        ("integer", "integer"),
        ("date", "date"),
        ("timestamp", "timestamp"),
        ("boolean", "boolean"),
        ("decimal(18,3)", "numeric(18,3)"),
        ("DECIMAL(38, 10)", "numeric(38,10)"),
    ],
)
def test_contract_types_map_to_their_exact_postgres_type(declared, expected):
    assert postgres_type(declared) == expected


def test_hugeint_is_refused_not_turned_into_a_float():
    with pytest.raises(UnmappableTypeError, match=r"HUGEINT.*cast it to bigint"):
        postgres_type("HUGEINT")


@pytest.mark.parametrize("declared", ["FLOAT", "UBIGINT", "TIMESTAMP WITH TIME ZONE", "INTEGER[]", "decimal"])
def test_types_without_an_exact_equivalent_are_refused(declared):
    with pytest.raises(UnmappableTypeError):
        postgres_type(declared)


def warehouse_with_marts(version: int = 1) -> duckdb.DuckDBPyConnection:
    """A tiny in-memory warehouse with two marts whose row counts depend on ``version``."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_a as select cast(i as bigint) as id, i / 7.0 as ratio, "
        "date '2026-01-01' + cast(i as integer) as day_, cast(null as varchar) as note "
        f"from range({10 * version}) t(i)"
    )
    con.execute(f"create table marts.dim_b as select 'b' || i as b_id from range({3 * version}) t(i)")
    return con


def test_a_hugeint_mart_is_refused_before_anything_is_written(tmp_path):
    con = warehouse_with_marts()
    con.execute("create table marts.bad as select sum(id) as total from marts.fct_a")
    with pytest.raises(UnmappableTypeError, match=r"marts\.bad\.total"):
        publish(con, ["fct_a", "bad"], tmp_path / "serving")
    assert not (tmp_path / "serving").exists()


def test_a_missing_mart_is_refused():
    with pytest.raises(LookupError, match="fct_missing"):
        read_tables(warehouse_with_marts(), ["fct_a", "fct_missing"])


def test_publish_writes_parquet_and_duckdb_file_and_moves_the_pointer(tmp_path):
    root = tmp_path / "serving"
    first = publish(warehouse_with_marts(1), ["fct_a", "dim_b"], root)
    second = publish(warehouse_with_marts(2), ["fct_a", "dim_b"], root)
    assert second.publish_id > first.publish_id
    assert current_publish_id(root) == second.publish_id
    assert second.row_counts == {"fct_a": 20, "dim_b": 6}
    reader = duckdb.connect()
    parquet = second.parquet_folder / "fct_a.parquet"
    assert reader.execute(f"select count(*), sum(ratio) from '{parquet}'").fetchone() == (20, 190 / 7.0)
    assert reader.execute(f"select count(*) from '{first.parquet_folder / 'fct_a.parquet'}'").fetchone() == (
        10,
    )
    with duckdb.connect(str(root / DUCKDB_FILE), read_only=True) as published:
        assert published.execute("select count(*) from marts.dim_b").fetchone() == (6,)
        types = published.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'fct_a' order by ordinal_position"
        ).fetchall()
    assert types == [("id", "BIGINT"), ("ratio", "DOUBLE"), ("day_", "DATE"), ("note", "VARCHAR")]
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [".publish.lock", POINTER, DUCKDB_FILE, first.publish_id, second.publish_id]
    )


def test_a_failed_publish_leaves_every_store_on_the_previous_version(tmp_path):
    root = tmp_path / "serving"
    before = publish(warehouse_with_marts(1), ["fct_a", "dim_b"], root)
    unreachable = PostgresTarget(url="postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2")
    with pytest.raises(psycopg.OperationalError):
        publish(warehouse_with_marts(2), ["fct_a", "dim_b"], root, postgres=unreachable)
    assert current_publish_id(root) == before.publish_id
    with duckdb.connect(str(root / DUCKDB_FILE), read_only=True) as published:
        assert published.execute("select count(*) from marts.fct_a").fetchone() == (10,)
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [".publish.lock", POINTER, DUCKDB_FILE, before.publish_id]
    ), "the failed publish must leave no folder or temporary file behind"


def test_pointer_readers_always_see_a_whole_publish_id(tmp_path):
    """Readers racing 300 pointer moves only ever read one of the two complete ids."""
    ids = ["2026-01-01T00-00-00.000000Z", "2026-01-02T00-00-00.000000Z"]
    for publish_id in ids:
        (tmp_path / publish_id).mkdir()
    move_pointer(tmp_path, ids[0])
    seen: set[str] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add((tmp_path / POINTER).read_text())

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(300):
        move_pointer(tmp_path, ids[i % 2])
    done.set()
    reader.join()
    assert seen <= {f"{publish_id}\n" for publish_id in ids}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([POINTER, *ids]), "no temp file left"


def test_the_pointer_never_names_a_missing_folder(tmp_path):
    (tmp_path / "2026-01-01T00-00-00.000000Z").mkdir()
    move_pointer(tmp_path, "2026-01-01T00-00-00.000000Z")
    with pytest.raises(FileNotFoundError):
        move_pointer(tmp_path, "2026-01-02T00-00-00.000000Z")
    assert current_publish_id(tmp_path) == "2026-01-01T00-00-00.000000Z"


def test_prune_keeps_the_newest_and_the_current_folder(tmp_path):
    ids = [f"2026-01-0{day}T00-00-00.000000Z" for day in range(1, 7)]
    for publish_id in ids:
        (tmp_path / publish_id).mkdir()
    (tmp_path / "not-a-publish").mkdir()
    # A rollback: the pointer names an older publish, which must survive pruning.
    move_pointer(tmp_path, ids[1])
    assert prune(tmp_path, keep=3) == [ids[0], ids[2]]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [
        ids[1],
        *ids[3:],
        "not-a-publish",
    ]
    with pytest.raises(ValueError, match="at least 1"):
        prune(tmp_path, keep=0)


def test_publish_ids_sort_in_time_order():
    earlier = new_publish_id(datetime(2026, 1, 9, 23, 59, 59, 999999, tzinfo=UTC))
    later = new_publish_id(datetime(2026, 1, 10, 0, 0, 0, tzinfo=UTC))
    assert earlier == "2026-01-09T23-59-59.999999Z"
    assert earlier < later


def test_published_locations_name_every_store_without_the_password(tmp_path, monkeypatch):
    for name in ("VALUE_PIPELINE_SERVING", "VALUE_PIPELINE_POSTGRES_URL", "VALUE_PIPELINE_POSTGRES_BI_ROLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VALUE_PIPELINE_HOME", str(tmp_path))
    assert published_locations(Settings.from_env()) == [
        ("Published marts", f"nothing published yet under {tmp_path / 'serving'}")
    ]
    monkeypatch.setenv("VALUE_PIPELINE_POSTGRES_URL", "postgresql://admin:hunter2@db.example:5433/value")
    settings = Settings.from_env()
    result = publish(warehouse_with_marts(), ["fct_a"], settings.serving_root)
    locations = published_locations(settings)
    assert locations == [
        (f"Parquet (publish {result.publish_id})", str(result.parquet_folder)),
        ("DuckDB file (open read-only)", str(Path(settings.serving_root) / DUCKDB_FILE)),
        ("PostgreSQL (BI role value_bi_reader)", "postgresql://admin@db.example:5433/value schema marts"),
    ]
    assert "hunter2" not in repr(locations)


def test_a_required_mart_that_lost_its_rows_is_refused_and_every_store_stays(tmp_path):
    root = tmp_path / "serving"
    before = publish(warehouse_with_marts(1), ["fct_a", "dim_b"], root, required=["fct_a", "dim_b"])
    empty = warehouse_with_marts(1)
    empty.execute("delete from marts.fct_a")
    with pytest.raises(EmptyMartError, match=rf"marts\.fct_a \(publish {before.publish_id} has 10 rows\)"):
        publish(empty, ["fct_a", "dim_b"], root, required=["fct_a", "dim_b"])
    assert current_publish_id(root) == before.publish_id
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [".publish.lock", POINTER, DUCKDB_FILE, before.publish_id]
    )
    # A mart that may be empty (not required) is published empty.
    assert publish(empty, ["fct_a", "dim_b"], root, required=["dim_b"]).row_counts == {"fct_a": 0, "dim_b": 3}


def test_every_publish_folder_holds_its_marts_and_the_duckdb_file_links_the_current_one(tmp_path):
    root = tmp_path / "serving"
    first = publish(warehouse_with_marts(1), ["fct_a", "dim_b"], root)
    second = publish(warehouse_with_marts(2), ["fct_a", "dim_b"], root)
    assert sorted(p.name for p in second.parquet_folder.iterdir()) == [
        "dim_b.parquet",
        "fct_a.parquet",
        DUCKDB_FILE,
        "publish.json",
    ]
    assert json.loads((second.parquet_folder / "publish.json").read_text()) == {
        "publish_id": second.publish_id,
        "row_counts": {"fct_a": 20, "dim_b": 6},
    }
    assert (root / DUCKDB_FILE).samefile(second.parquet_folder / DUCKDB_FILE)
    with duckdb.connect(str(first.parquet_folder / DUCKDB_FILE), read_only=True) as old:
        assert old.execute("select count(*) from fct_a").fetchone() == (10,)


def test_recover_brings_a_store_left_behind_to_the_pointer_and_says_so(tmp_path):
    root = tmp_path / "serving"
    first = publish(warehouse_with_marts(1), ["fct_a", "dim_b"], root)
    second = publish(warehouse_with_marts(2), ["fct_a", "dim_b"], root)
    # What a crash between the pointer move and the DuckDB link leaves (without a commit marker).
    link_duckdb_file(root, first.publish_id)
    assert recover(root) == [f"{DUCKDB_FILE} was not the file of publish {second.publish_id}: set to it"]
    assert (root / DUCKDB_FILE).samefile(root / second.publish_id / DUCKDB_FILE)
    assert recover(root) == []
