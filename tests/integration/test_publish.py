"""Publishing the demo marts to Parquet, the DuckDB file and a real PostgreSQL server.

A throwaway PostgreSQL server is started for this module (about 1 s). The session warehouse is only
read; the "next version" is a copy of it with rows removed from two marts.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import duckdb
import psycopg
import pytest
import yaml

from value_pipeline.config import DBT_PROJECT_DIR
from value_pipeline.defs.publish import BLOCKING_PARENTS, MART_KEYS, published_marts, staged_marts
from value_pipeline.defs.reports import REPORT_KEYS
from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.defs.staging import STAGED_MARTS, staged_publish
from value_pipeline.serving import publish
from value_pipeline.serving.duckdb_file import DUCKDB_FILE
from value_pipeline.serving.parquet import POINTER, current_publish_id
from value_pipeline.serving.postgres import PostgresTarget
from value_pipeline.serving.tables import postgres_type

MARTS = [key.path[-1] for key in MART_KEYS]
# The two marts whose row counts the concurrent readers watch (both change between versions).
WATCHED = ("fct_kpi_daily", "kpi_scorecard")


@pytest.fixture(scope="module")
def target(postgres_url) -> PostgresTarget:
    return PostgresTarget(url=postgres_url, bi_password="bi-test-password")


@pytest.fixture(scope="module")
def source(settings, demo_run):
    """A read-only connection to the session warehouse (version A)."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def next_version(settings, demo_run, tmp_path_factory):
    """A copy of the warehouse with every tenth row of the watched marts gone (version B)."""
    path = tmp_path_factory.mktemp("next") / "warehouse.duckdb"
    shutil.copy(settings.warehouse_path, path)
    con = duckdb.connect(str(path))
    for mart in WATCHED:
        con.execute(f"delete from marts.{mart} where rowid % 10 = 0")
    yield con
    con.close()


@pytest.fixture(scope="module")
def published(source, target, tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    return publish(source, MARTS, root, postgres=target), root


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=lambda row: [(value is None, str(value)) for value in row])


def assert_rows_equal(actual: list[tuple], expected: list[tuple], what: str) -> None:
    """Same rows and values, in any order; floats to 1e-12 relative."""
    assert len(actual) == len(expected), what
    for got_row, want_row in zip(_sorted(actual), _sorted(expected), strict=True):
        for got, want in zip(got_row, want_row, strict=True):
            if isinstance(want, float) and got is not None:
                assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12) or (
                    math.isnan(got) and math.isnan(want)
                ), f"{what}: {got_row} != {want_row}"
            else:
                assert got == want, f"{what}: {got_row} != {want_row}"


def counts_pg(cur) -> tuple[int, int]:
    return tuple(cur.execute(f"select count(*) from marts.{mart}").fetchone()[0] for mart in WATCHED)


def counts_duckdb(con, prefix: str) -> tuple[int, int]:
    return tuple(con.execute(f"select count(*) from {prefix.format(mart)}").fetchone()[0] for mart in WATCHED)


def test_every_mart_is_published_identically_to_parquet_duckdb_and_postgres(source, published, target):
    result, root = published
    assert set(result.row_counts) == set(MARTS)
    assert current_publish_id(root) == result.publish_id
    reader = duckdb.connect()
    with (
        duckdb.connect(str(root / DUCKDB_FILE), read_only=True) as published_db,
        psycopg.connect(target.url) as pg,
    ):
        for mart in MARTS:
            expected = source.execute(f"select * from marts.{mart}").fetchall()
            assert len(expected) == result.row_counts[mart]
            parquet = root / result.publish_id / f"{mart}.parquet"
            assert_rows_equal(reader.execute(f"select * from '{parquet}'").fetchall(), expected, parquet.name)
            assert_rows_equal(published_db.execute(f"select * from {mart}").fetchall(), expected, mart)
            assert_rows_equal(pg.execute(f"select * from marts.{mart}").fetchall(), expected, f"pg {mart}")


def test_column_types_are_the_dbt_contract_types_in_every_store(published, target):
    result, root = published
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    contracts = {
        node["name"]: [(c["name"], c["data_type"]) for c in node["columns"].values()]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] in MARTS
    }
    assert set(contracts) == set(MARTS)
    with psycopg.connect(target.url) as pg:
        rows = pg.execute(
            """
            select c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            from pg_attribute a join pg_class c on c.oid = a.attrelid
            join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'marts' and a.attnum > 0 and not a.attisdropped
            order by c.relname, a.attnum
            """
        ).fetchall()
    postgres: dict[str, list[tuple[str, str]]] = {}
    for table, column, pg_type in rows:
        postgres.setdefault(table, []).append((column, pg_type.replace(" without time zone", "")))
    reader = duckdb.connect()
    for mart, columns in contracts.items():
        assert postgres[mart] == [(name, postgres_type(declared)) for name, declared in columns], mart
        parquet = root / result.publish_id / f"{mart}.parquet"
        described = reader.execute(f"describe select * from '{parquet}'").fetchall()
        assert [(row[0], row[1].lower()) for row in described] == columns, mart


def test_the_bi_role_reads_marts_and_nothing_else(published, target):
    with psycopg.connect(target.url, autocommit=True) as admin:
        admin.execute("create schema if not exists raw")
        admin.execute("create table if not exists raw.secret as select 1 as x")
        admin.execute("create table if not exists public.secret as select 1 as x")
    bi_url = target.url.replace("postgres@", f"{target.bi_role}:{target.bi_password}@")
    with psycopg.connect(bi_url, autocommit=True) as bi:
        assert bi.execute("select count(*) from marts.kpi_scorecard").fetchone()[0] > 0
        assert bi.execute("select count(*) from kpi_scorecard").fetchone()[0] > 0, "search_path is marts"
        for table in ("raw.secret", "public.secret"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(f"select * from {table}")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            bi.execute("delete from marts.dim_kpi")
        # Privileges deny the writes too, not only the role's read-only default.
        bi.execute("set default_transaction_read_only = off")
        for statement in (
            "insert into marts.dim_kpi (kpi_id) values ('x')",
            "update marts.dim_kpi set kpi_name = 'x'",
            "delete from marts.dim_kpi",
            "truncate marts.dim_kpi",
            "drop table marts.dim_kpi",
            "create table marts.mine (x int)",
            "create table public.mine (x int)",
            "create schema mine",
            "alter table marts.dim_kpi add column y int",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(statement)


def test_a_postgres_snapshot_never_mixes_versions(published, next_version, source, target):
    """A REPEATABLE READ transaction that read one mart before a publish reads the other at the same
    version; meanwhile a reader polling both marts in single transactions sees only whole versions."""
    _, root = published
    old = counts_duckdb(source, "marts.{}")
    new = counts_duckdb(next_version, "marts.{}")
    assert old[0] != new[0] and old[1] != new[1]
    observations: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    done, polling = threading.Event(), threading.Event()

    def poll() -> None:
        try:
            with psycopg.connect(target.url, autocommit=True) as pg:
                while not done.is_set():
                    with pg.transaction():
                        pg.execute("set transaction isolation level repeatable read")
                        observations.append(counts_pg(pg.cursor()))
                    polling.set()
        except BaseException as error:
            errors.append(error)
            polling.set()

    poller = threading.Thread(target=poll)
    with psycopg.connect(target.url) as held:
        held.execute("set transaction isolation level repeatable read")
        first = held.execute(f"select count(*) from marts.{WATCHED[0]}").fetchone()[0]
        poller.start()
        polling.wait(timeout=30)
        for connection in (next_version, source, next_version):
            publish(connection, MARTS, root, postgres=target)
        second = held.execute(f"select count(*) from marts.{WATCHED[1]}").fetchone()[0]
        assert (first, second) == old, "the held snapshot must keep reading the old version"
    done.set()
    poller.join()
    assert errors == []
    assert set(observations) <= {old, new}, "a reader saw a mix of versions"
    assert observations[0] == old
    with psycopg.connect(target.url) as pg:
        assert counts_pg(pg.cursor()) == new
    publish(source, MARTS, root, postgres=target)


def test_file_readers_see_one_whole_version(published, next_version, source):
    """A reader that opened the DuckDB file or read CURRENT keeps one version across a publish;
    readers polling CURRENT + Parquet or the DuckDB file only ever see whole versions."""
    _, root = published
    old = counts_duckdb(source, "marts.{}")
    new = counts_duckdb(next_version, "marts.{}")
    observations: list[tuple[str, tuple[int, int]]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def poll() -> None:
        reader = duckdb.connect()
        try:
            while not done.is_set():
                folder = root / (root / POINTER).read_text().strip()
                observations.append(("parquet", counts_duckdb(reader, f"'{folder}/{{}}.parquet'")))
                with duckdb.connect(str(root / DUCKDB_FILE), read_only=True) as db:
                    observations.append(("duckdb", counts_duckdb(db, "{}")))
        except BaseException as error:
            errors.append(error)

    reader = duckdb.connect()
    held_folder = root / current_publish_id(root)
    held_db = duckdb.connect(str(root / DUCKDB_FILE), read_only=True)
    first_parquet = reader.execute(f"select count(*) from '{held_folder}/{WATCHED[0]}.parquet'").fetchone()[0]
    first_db = held_db.execute(f"select count(*) from {WATCHED[0]}").fetchone()[0]
    poller = threading.Thread(target=poll)
    poller.start()
    # Two publishes: with the default keep of 3 the held folder is still there afterwards.
    for connection in (next_version, source):
        publish(connection, MARTS, root)
    done.set()
    poller.join()
    second_parquet = reader.execute(f"select count(*) from '{held_folder}/{WATCHED[1]}.parquet'").fetchone()[
        0
    ]
    second_db = held_db.execute(f"select count(*) from {WATCHED[1]}").fetchone()[0]
    held_db.close()
    assert errors == []
    assert (first_parquet, second_parquet) == old
    assert (first_db, second_db) == old, "an open DuckDB file must keep reading its version"
    assert {counts for _, counts in observations} <= {old, new}, "a reader saw a mix of versions"
    assert {store for store, _ in observations} == {"parquet", "duckdb"}
    assert len(list(p for p in root.iterdir() if p.is_dir())) == 3, "keep the last 3 publish folders"
    with duckdb.connect(str(root / DUCKDB_FILE), read_only=True) as db:
        assert counts_duckdb(db, "{}") == old


def test_the_demo_job_published_to_the_serving_root(demo_run, settings):
    materializations = [
        m
        for m in demo_run.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey(["serving", "published_marts"])
    ]
    assert len(materializations) == 1
    metadata = materializations[0].materialization.metadata
    publish_id = metadata["publish_id"].value
    root = settings.serving_root
    assert current_publish_id(root) == publish_id
    assert sorted(p.stem for p in (root / publish_id).glob("*.parquet")) == sorted(MARTS)
    assert metadata["row_counts"].value.keys() == set(MARTS)
    with duckdb.connect(str(root / DUCKDB_FILE), read_only=True) as db:
        for mart, rows in metadata["row_counts"].value.items():
            assert db.execute(f"select count(*) from {mart}").fetchone()[0] == rows
    expected_postgres = "not configured" if not settings.postgres_url else "postgresql://"
    assert metadata["postgres"].value.startswith(expected_postgres)
    order = [m.asset_key for m in demo_run.get_asset_materialization_events()]
    assert order.index(STAGED_MARTS) < min(order.index(key) for key in REPORT_KEYS), (
        "reports read the staged set"
    )
    assert max(order.index(key) for key in REPORT_KEYS) < order.index(
        dg.AssetKey(["serving", "published_marts"])
    )


def _contract_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty marts with their contract columns, as dbt would leave them."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    con.execute("create schema if not exists marts")
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"] in MARTS:
            columns = ", ".join(f'"{c["name"]}" {c["data_type"]}' for c in node["columns"].values())
            con.execute(f"create table marts.{node['name']} ({columns})")


def _marts(with_rows: bool) -> dg.AssetsDefinition:
    """The blocking parents of the publish as contract tables, with one row each or none."""

    @dg.multi_asset(specs=[dg.AssetSpec(key) for key in BLOCKING_PARENTS])
    def marts(warehouse: WarehouseResource):
        with warehouse.connect() as con:
            con.execute("drop schema if exists marts cascade")
            _contract_tables(con)
            for mart in MARTS if with_rows else []:
                con.execute(f"insert into marts.{mart} default values")
        for key in BLOCKING_PARENTS:
            yield dg.MaterializeResult(asset_key=key)

    return marts


def _reports(seen: list[tuple[str, str | None]], fail: bool = False) -> list[dg.AssetsDefinition]:
    """Stand-ins for the report assets that record (staged id, CURRENT) when they run."""

    def report_asset(key: dg.AssetKey) -> dg.AssetsDefinition:
        @dg.asset(key=key, deps=[STAGED_MARTS])
        def report(context: dg.AssetExecutionContext) -> None:
            staged = staged_publish(context)
            seen.append((staged.publish_id, current_publish_id(staged.folder.parent)))
            if fail:
                raise dg.Failure("the report could not be built")

        return report

    return [report_asset(key) for key in REPORT_KEYS]


def _run_publish(
    tmp_path: Path, *assets, with_rows: bool = True, seen: list | None = None, fail: bool = False
):
    return dg.materialize(
        [
            _marts(with_rows),
            *assets,
            staged_marts,
            *_reports([] if seen is None else seen, fail),
            published_marts,
        ],
        resources={"warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))},
        raise_on_error=False,
    )


def _published(result) -> bool:
    return dg.AssetKey(["serving", "published_marts"]) in {
        m.asset_key for m in result.get_asset_materialization_events()
    }


@pytest.fixture
def serving(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("VALUE_PIPELINE_SERVING", str(tmp_path / "serving"))
    monkeypatch.delenv("VALUE_PIPELINE_POSTGRES_URL", raising=False)
    return tmp_path / "serving"


@pytest.mark.parametrize("check_passes", [False, True])
def test_a_failing_blocking_check_on_a_mart_stops_publishing(check_passes, tmp_path, serving):
    @dg.asset_check(asset=dg.AssetKey(["marts", "kpi_scorecard"]), blocking=True)
    def scorecard_is_sound() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=check_passes)

    result = _run_publish(tmp_path, scorecard_is_sound)
    assert _published(result) is check_passes
    assert (serving / POINTER).exists() is check_passes


def test_a_failed_blocking_check_on_a_raw_table_stops_publishing(tmp_path, serving):
    """A check outside the marts (here the landing's) holds the publish back too."""

    @dg.asset_check(asset=dg.AssetKey(["raw", "workflow_events"]), blocking=True)
    def events_are_sound() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False)

    result = _run_publish(tmp_path, events_are_sound)
    assert not _published(result)
    assert STAGED_MARTS not in {m.asset_key for m in result.get_asset_materialization_events()}
    assert not (serving / POINTER).exists()


def test_every_blocking_check_of_the_code_location_gates_the_publish():
    """Dagster holds an asset back only for its direct parents' blocking checks."""
    from value_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    blocking = {spec.asset_key for spec in specs if spec.blocking}
    assert blocking <= graph.get(STAGED_MARTS).parent_keys
    assert len(blocking) > 50, "the reconciliation, volume and dbt checks"


def test_a_required_mart_that_lost_its_rows_is_not_published(tmp_path, serving):
    assert _published(_run_publish(tmp_path, with_rows=True))
    before = current_publish_id(serving)
    result = _run_publish(tmp_path, with_rows=False)
    assert not _published(result)
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "not published: required marts are empty: marts.dim_date (publish" in message
    assert "marts.kpi_scorecard" in message and f"Every store stays on publish {before}" in message
    assert current_publish_id(serving) == before
    assert [p.name for p in serving.iterdir() if p.is_dir()] == [before]
    with duckdb.connect(str(serving / DUCKDB_FILE), read_only=True) as db:
        assert db.execute("select count(*) from kpi_scorecard").fetchone() == (1,)


def test_a_mart_that_may_be_empty_is_published_empty(tmp_path, serving):
    assert _published(_run_publish(tmp_path, with_rows=True))

    @dg.asset(key=["raw", "after_marts"], deps=BLOCKING_PARENTS)
    def empty_alerts(warehouse: WarehouseResource) -> None:
        with warehouse.connect() as con:
            con.execute("delete from marts.kpi_variance_alerts")

    result = dg.materialize(
        [_marts(True), empty_alerts, staged_marts, *_reports([]), published_marts],
        resources={"warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))},
        raise_on_error=False,
    )
    assert _published(result)
    with duckdb.connect(str(serving / DUCKDB_FILE), read_only=True) as db:
        assert db.execute("select count(*) from kpi_variance_alerts").fetchone() == (0,)


@pytest.mark.parametrize("report_fails", [False, True])
def test_reports_are_built_from_the_staged_version_before_the_pointer_moves(report_fails, tmp_path, serving):
    assert _published(_run_publish(tmp_path))
    before = current_publish_id(serving)
    seen: list[tuple[str, str | None]] = []
    result = _run_publish(tmp_path, seen=seen, fail=report_fails)
    assert len(seen) == len(REPORT_KEYS)
    staged_id = seen[0][0]
    assert seen == [(staged_id, before)] * len(REPORT_KEYS), "reports read the new version, CURRENT still old"
    assert staged_id > before
    assert _published(result) is not report_fails
    assert current_publish_id(serving) == (before if report_fails else staged_id)


def test_publish_depends_on_every_mart_of_the_code_location():
    from value_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    marts = {key for key in graph.get_all_asset_keys() if key.path[0] == "marts"}
    assert marts and marts <= graph.get(dg.AssetKey(["serving", "published_marts"])).parent_keys


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    """One target path for the dbt listings of this module, so they share partial parsing."""
    return tmp_path_factory.mktemp("dbt_target")


@pytest.mark.parametrize("exposure", ["executive_scorecard", "value_realization", "operator_tracker"])
def test_an_exposure_selects_its_marts_and_their_parents_only(exposure, dbt_target):
    listed = next(
        e
        for e in yaml.safe_load((DBT_PROJECT_DIR / "models" / "exposures.yml").read_text())["exposures"]
        if e["name"] == exposure
    )
    refs = {ref.removeprefix("ref('").removesuffix("')") for ref in listed["depends_on"]}
    target_path = dbt_target
    env = {**os.environ, "VALUE_PIPELINE_WAREHOUSE": str(dbt_target / "unused.duckdb")}
    dbt = [str(Path(sys.executable).parent / "dbt"), "--quiet"]
    options = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    options += ["--target-path", str(target_path), "--resource-type", "model", "--output", "name"]
    listing = subprocess.run(
        [*dbt, "ls", "-s", f"+exposure:{exposure}", *options],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    selected = set(listing.stdout.split())
    manifest = json.loads((target_path / "manifest.json").read_text())
    parents = manifest["parent_map"]
    expected: set[str] = set()
    frontier = [f"model.value_pipeline.{name}" for name in refs]
    while frontier:
        node = frontier.pop()
        if node.startswith("model.") and node not in expected:
            expected.add(node)
            frontier.extend(parents[node])
    assert refs <= selected
    assert selected == {node.split(".")[-1] for node in expected}


def test_the_publish_step_alone_refuses_to_commit_a_version_it_did_not_stage(tmp_path, serving):
    assert _published(_run_publish(tmp_path))
    before = current_publish_id(serving)
    result = dg.materialize(
        [published_marts],
        resources={"warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))},
        raise_on_error=False,
    )
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert (
        "serving/staged_marts was not materialized in this run: select it together with "
        "serving/published_marts" in str(failure.step_failure_data.error)
    )
    assert current_publish_id(serving) == before
