"""A publish killed with SIGKILL at every step: afterwards every store is at one version, and the next
publish succeeds.

The publish runs in a real subprocess against a real PostgreSQL server; the test hook
VALUE_PIPELINE_TEST_KILL_AT makes it SIGKILL itself right after the named step. Each version has its
own row counts, so a store's version is read from its data, not from the product's bookkeeping.
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import psycopg
import pytest

from value_pipeline.serving import KILL_AT_ENV, STEPS, publish, recover
from value_pipeline.serving.duckdb_file import DUCKDB_FILE
from value_pipeline.serving.parquet import POINTER, current_publish_id
from value_pipeline.serving.postgres import PostgresTarget

# Steps after the commit marker: the killed publish is finished by the next one (rolled forward).
COMMITTED = set(STEPS[STEPS.index("commit-marked") :])
MARTS = ["fct_a", "dim_b"]

PUBLISHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import duckdb
    from value_pipeline.serving import publish
    from value_pipeline.serving.postgres import PostgresTarget

    version, root, url = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(f"create table marts.fct_a as select cast(i as bigint) as id from range({10 * version}) t(i)")
    con.execute(f"create table marts.dim_b as select 'b' || i as b_id from range({3 * version}) t(i)")
    target = PostgresTarget(url=url, schema="crash_marts", bi_role="crash_bi", bi_password="crash-pw")
    publish(con, ["fct_a", "dim_b"], root, postgres=target)
    """
)


def run_publisher(version: int, root: Path, url: str, kill_at: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != KILL_AT_ENV}
    if kill_at:
        env[KILL_AT_ENV] = kill_at
    done = subprocess.run(
        [sys.executable, "-c", PUBLISHER, str(version), str(root), url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return done.returncode


def versions(root: Path, target: PostgresTarget) -> dict[str, int]:
    """The version each store holds, from its row counts (version v has 10v and 3v rows)."""

    def version(counts: tuple[int, int]) -> int:
        assert counts[0] == 10 * counts[1] // 3, f"a store mixes versions: {counts}"
        return counts[0] // 10

    folder = root / (root / POINTER).read_text().strip()
    reader = duckdb.connect()
    parquet = tuple(
        reader.execute(f"select count(*) from '{folder}/{m}.parquet'").fetchone()[0] for m in MARTS
    )
    with duckdb.connect(str(root / DUCKDB_FILE), read_only=True) as db:
        file = tuple(db.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS)
    with psycopg.connect(target.url) as pg:
        postgres = tuple(pg.execute(f"select count(*) from crash_marts.{m}").fetchone()[0] for m in MARTS)
    return {"parquet": version(parquet), "duckdb file": version(file), "postgres": version(postgres)}


@pytest.fixture
def target(postgres_url) -> PostgresTarget:
    with psycopg.connect(postgres_url, autocommit=True) as pg:
        pg.execute("drop schema if exists crash_marts cascade")
        pg.execute("drop schema if exists crash_marts_staging cascade")
    return PostgresTarget(url=postgres_url, schema="crash_marts", bi_role="crash_bi", bi_password="crash-pw")


def leftovers(root: Path, target: PostgresTarget) -> list[str]:
    files = [p.name for p in root.iterdir() if p.name.startswith((".tmp-", ".commit-"))]
    with psycopg.connect(target.url) as pg:
        staging = pg.execute("select 1 from pg_namespace where nspname = 'crash_marts_staging'").fetchall()
    return files + (["crash_marts_staging"] if staging else [])


@pytest.mark.parametrize("step", STEPS)
def test_a_publish_killed_at_any_step_leaves_one_version_and_the_next_publish_succeeds(
    step, tmp_path, target
):
    root = tmp_path / "serving"
    assert run_publisher(1, root, target.url) == 0
    assert versions(root, target) == dict.fromkeys(["parquet", "duckdb file", "postgres"], 1)

    assert run_publisher(2, root, target.url, kill_at=step) == -signal.SIGKILL
    if step not in COMMITTED:
        assert versions(root, target) == dict.fromkeys(["parquet", "duckdb file", "postgres"], 1), (
            "nothing a reader sees may change before the commit"
        )
    recover(root, target)
    expected = 2 if step in COMMITTED else 1
    assert versions(root, target) == dict.fromkeys(["parquet", "duckdb file", "postgres"], expected)

    assert run_publisher(3, root, target.url) == 0
    assert versions(root, target) == dict.fromkeys(["parquet", "duckdb file", "postgres"], 3)
    assert leftovers(root, target) == []
    with psycopg.connect(target.url) as pg:
        comment = pg.execute("select obj_description('crash_marts'::regnamespace)").fetchone()[0]
    assert comment == f"value-pipeline {current_publish_id(root)}"


def test_the_next_publish_finishes_an_interrupted_commit_and_says_so(tmp_path, target):
    root = tmp_path / "serving"
    assert run_publisher(1, root, target.url) == 0
    assert run_publisher(2, root, target.url, kill_at="pointer-moved") == -signal.SIGKILL
    # The pointer moved, the DuckDB file did not: a reader could see two versions until repaired.
    assert versions(root, target)["duckdb file"] == 1
    killed = current_publish_id(root)
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.fct_a as select cast(i as bigint) as id from range(40) t(i)")
    con.execute("create table marts.dim_b as select 'b' || i as b_id from range(12) t(i)")
    result = publish(con, MARTS, root, postgres=target)
    assert f"{DUCKDB_FILE} was not the file of publish {killed}: set to it" in result.repairs, result.repairs
    assert versions(root, target) == dict.fromkeys(["parquet", "duckdb file", "postgres"], 4)


def test_every_publishing_step_is_covered_by_the_kill_hook():
    source = (Path(__file__).parents[2] / "value_pipeline" / "serving" / "__init__.py").read_text()
    assert [step for step in STEPS if f'_step_done("{step}")' in source] == list(STEPS)
