"""PostgreSQL publishing measured as the BI role on a real server that checks passwords (SCRAM).

A throwaway server for this module: the BI role must log in with its password (pg_hba.conf
``scram-sha-256``), the admin logs in without one, and DDL statements are logged, so the tests can
read what went over the wire.
"""

import re
import threading
import time
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests.postgres_server import pg_bin, throwaway_postgres
from value_pipeline.serving import publish
from value_pipeline.serving.parquet import current_publish_id
from value_pipeline.serving.postgres import (
    PUBLISH_LOCK_KEY,
    PostgresBusyError,
    PostgresTarget,
    scram_verifier_matches,
)

BI = "value_bi_reader"
PASSWORD = "correct horse battery staple"
DOCS = Path(__file__).parents[2] / "docs" / "power_bi.md"


@pytest.fixture(scope="module")
def server() -> tuple[str, Path]:
    """Admin URL and server log of a server where the BI role needs its password."""
    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries missing (apt-get install -y postgresql)")
    with throwaway_postgres(bin_dir) as url, psycopg.connect(url, autocommit=True) as pg:
        data = Path(pg.execute("show data_directory").fetchone()[0])
        hba = data / "pg_hba.conf"
        hba.write_text(f"host all {BI} 127.0.0.1/32 scram-sha-256\n{hba.read_text()}")
        pg.execute("alter system set log_statement = 'ddl'")
        pg.execute("select pg_reload_conf()")
        pg.execute("create schema raw")
        pg.execute("create table raw.secret as select 1 as x")
        pg.execute("create table public.secret as select 1 as x")
        yield url, data.parent / "log"


@pytest.fixture
def target(server) -> PostgresTarget:
    url, _ = server
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("drop schema if exists marts cascade")
        pg.execute("drop schema if exists marts_staging cascade")
    return PostgresTarget(url=url, bi_password=PASSWORD, lock_timeout_s=1.0)


def bi_url(target: PostgresTarget, password: str = PASSWORD) -> str:
    return target.url.replace("postgres@", f"{BI}:{password.replace(' ', '%20')}@")


def warehouse(version: int, extra_column: bool = False) -> duckdb.DuckDBPyConnection:
    """Two marts: version v has 10v and 3v rows; ``extra_column`` changes fct_a's columns."""
    con = duckdb.connect()
    con.execute("create schema marts")
    extra = ", cast(i * 2 as bigint) as doubled" if extra_column else ""
    con.execute(
        f"create table marts.fct_a as select cast(i as bigint) as id{extra} from range({10 * version}) t(i)"
    )
    con.execute(f"create table marts.dim_b as select 'b' || i as b_id from range({3 * version}) t(i)")
    return con


def counts(cur) -> tuple[int, int]:
    return tuple(
        cur.execute(f"select count(*) from marts.{mart}").fetchone()[0] for mart in ("fct_a", "dim_b")
    )


def test_the_password_is_sent_and_stored_as_a_scram_verifier(target, server, tmp_path):
    _, log = server
    publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(target.url) as pg:
        stored = pg.execute("select rolpassword from pg_authid where rolname = %s", [BI]).fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$4096:")
    assert scram_verifier_matches(stored, PASSWORD) and not scram_verifier_matches(stored, "wrong")
    text = log.read_text()
    logged = [line for line in text.splitlines() if re.search(r"alter role \S+ password", line, re.I)]
    assert logged and all(re.search(r"password 'SCRAM-SHA-256\$4096:", line, re.I) for line in logged), logged
    assert PASSWORD not in text, "the plain password reached the server log"
    with psycopg.connect(bi_url(target)) as bi:
        assert counts(bi.cursor()) == (10, 3)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(bi_url(target, "wrong"))


def test_each_publish_restores_the_defaults_and_password_the_bi_role_changed(target, tmp_path):
    with psycopg.connect(target.url, autocommit=True) as admin:
        admin.execute(f"drop owned by {BI}")
        admin.execute(f"drop role {BI}")
    first = publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    assert first.repairs == [f"created BI role {BI}", f"set the password of {BI}"]
    again = publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    assert again.repairs == [], "nothing to restore when nothing changed"
    with psycopg.connect(bi_url(target), autocommit=True) as bi:
        bi.execute("set default_transaction_read_only = off")
        bi.execute(f"alter role {BI} set default_transaction_read_only = off")
        bi.execute(f"alter role {BI} in database postgres set default_transaction_read_only = off")
        bi.execute(f"alter role {BI} password 'mine'")
    with psycopg.connect(bi_url(target, "mine")) as bi:
        assert bi.execute("show default_transaction_read_only").fetchone()[0] == "off"
    result = publish(warehouse(2), ["fct_a", "dim_b"], tmp_path, postgres=target)
    assert any(r.startswith(f"restored the session defaults of {BI}") for r in result.repairs), result.repairs
    assert f"restored the password of {BI} (it had been changed)" in result.repairs
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(bi_url(target, "mine"))
    with psycopg.connect(bi_url(target)) as bi:
        assert bi.execute("show default_transaction_read_only").fetchone()[0] == "on"
        assert bi.execute("show search_path").fetchone()[0] == "marts"


def test_an_idle_bi_transaction_delays_a_column_change_at_most_the_lock_timeout(target, tmp_path):
    publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    before = current_publish_id(tmp_path)
    waited: list[float] = []
    with psycopg.connect(bi_url(target)) as idle:
        idle.execute("select count(*) from marts.fct_a")  # holds its lock until the transaction ends

        def query_during_publish() -> None:
            time.sleep(0.3)
            with psycopg.connect(bi_url(target), autocommit=True) as other:
                started = time.monotonic()
                assert counts(other.cursor()) == (10, 3)
                waited.append(time.monotonic() - started)

        reader = threading.Thread(target=query_during_publish)
        reader.start()
        started = time.monotonic()
        with pytest.raises(PostgresBusyError, match=r"gave up after 1 s .* nothing changed .* Retry"):
            publish(warehouse(2, extra_column=True), ["fct_a", "dim_b"], tmp_path, postgres=target)
        elapsed = time.monotonic() - started
        reader.join()
        assert elapsed < 10
        assert waited and waited[0] < 1.0 + 0.5, "a new query waited longer than the lock timeout"
        assert counts(idle.cursor()) == (10, 3)
    assert current_publish_id(tmp_path) == before
    with psycopg.connect(bi_url(target)) as bi:
        assert counts(bi.cursor()) == (10, 3)
    publish(warehouse(2, extra_column=True), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(bi_url(target)) as bi:
        assert counts(bi.cursor()) == (20, 6)
        assert bi.execute("select sum(doubled) from marts.fct_a").fetchone()[0] == 2 * sum(range(20))


def test_a_repeatable_read_reader_never_sees_a_replaced_mart_empty(target, tmp_path):
    publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(bi_url(target)) as reader:
        reader.execute("set transaction isolation level repeatable read")
        reader.execute("select 1")  # a snapshot from before the publish, no mart touched yet
        with pytest.raises(
            PostgresBusyError, match=r"snapshot from before the swap: pid \d+ \(value_bi_reader"
        ):
            publish(warehouse(2, extra_column=True), ["fct_a", "dim_b"], tmp_path, postgres=target)
        assert counts(reader.cursor()) == (10, 3)
    publish(warehouse(2, extra_column=True), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(bi_url(target)) as reader:
        assert counts(reader.cursor()) == (20, 6)


def test_a_publish_without_column_changes_never_waits_for_readers(target, tmp_path):
    publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(bi_url(target)) as reader:
        reader.execute("set transaction isolation level repeatable read")
        assert reader.execute("select count(*) from marts.fct_a").fetchone()[0] == 10
        started = time.monotonic()
        publish(warehouse(2), ["fct_a", "dim_b"], tmp_path, postgres=target)
        assert time.monotonic() - started < 5
        assert counts(reader.cursor()) == (10, 3), "the reader's snapshot keeps the old version of every mart"
    with psycopg.connect(bi_url(target)) as reader:
        assert counts(reader.cursor()) == (20, 6)


# What the BI role can and cannot do: (docs/power_bi.md row, statement, expected error or None).
# Each runs in its own transaction with the session's read-only default switched off, so a refusal
# comes from the privileges, not from the default.
CAPABILITIES = [
    ("read every table in schema marts", "select count(*) from marts.fct_a", None),
    ("read the catalog (table and role names)", "select count(*) from pg_catalog.pg_class", None),
    ("switch its own session to read-write", "set default_transaction_read_only = off", None),
    ("take advisory locks", "select pg_advisory_xact_lock(1)", None),
    ("change its own password (restored by the next publish)", f"alter role {BI} password 'x'", None),
    (
        "change its own session defaults (restored by the next publish)",
        f"alter role {BI} set statement_timeout = 0",
        None,
    ),
    ("write to a mart", "insert into marts.dim_b values ('x')", psycopg.errors.InsufficientPrivilege),
    ("update a mart", "update marts.dim_b set b_id = 'x'", psycopg.errors.InsufficientPrivilege),
    ("delete from a mart", "delete from marts.dim_b", psycopg.errors.InsufficientPrivilege),
    ("truncate a mart", "truncate marts.dim_b", psycopg.errors.InsufficientPrivilege),
    ("alter a mart", "alter table marts.dim_b add column y int", psycopg.errors.InsufficientPrivilege),
    ("drop a mart", "drop table marts.dim_b", psycopg.errors.InsufficientPrivilege),
    ("create a table in marts", "create table marts.mine (x int)", psycopg.errors.InsufficientPrivilege),
    ("create a table in public", "create table public.mine (x int)", psycopg.errors.InsufficientPrivilege),
    ("create a temporary table", "create temporary table mine (x int)", psycopg.errors.InsufficientPrivilege),
    ("create a schema", "create schema mine", psycopg.errors.InsufficientPrivilege),
    ("read another schema", "select * from raw.secret", psycopg.errors.InsufficientPrivilege),
    ("read schema public", "select * from public.secret", psycopg.errors.InsufficientPrivilege),
    ("read the password verifiers", "select * from pg_authid", psycopg.errors.InsufficientPrivilege),
    ("create a role", "create role mine", psycopg.errors.InsufficientPrivilege),
    (
        "grant itself another role",
        "grant pg_read_all_data to value_bi_reader",
        psycopg.errors.InsufficientPrivilege,
    ),
    (
        "write a server file",
        "copy marts.dim_b to '/tmp/value-bi-copy.csv'",
        psycopg.errors.InsufficientPrivilege,
    ),
    ("read a server file", "select pg_read_file('/etc/hostname')", psycopg.errors.InsufficientPrivilege),
]


@pytest.mark.parametrize(("what", "statement", "refused"), CAPABILITIES, ids=[c[0] for c in CAPABILITIES])
def test_what_the_bi_role_can_and_cannot_do(what, statement, refused, target, tmp_path):
    publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(bi_url(target), autocommit=True) as bi:
        bi.execute("set default_transaction_read_only = off")
        bi.autocommit = False
        if refused is None:
            bi.execute(statement)
        else:
            with pytest.raises(refused):
                bi.execute(statement)
        bi.rollback()


def test_the_docs_list_exactly_the_tested_capabilities():
    text = DOCS.read_text()
    section = text.split("### What the BI role can and cannot do", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| (yes|no) \|", section, re.M)
    assert sorted(rows) == sorted(
        (what, "yes" if refused is None else "no") for what, _, refused in CAPABILITIES
    )


def test_the_bi_role_cannot_read_what_other_roles_sessions_run(target, tmp_path):
    publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(target.url, autocommit=True) as admin, psycopg.connect(bi_url(target)) as bi:
        admin_pid = admin.info.backend_pid
        query = bi.execute("select query from pg_stat_activity where pid = %s", [admin_pid]).fetchone()[0]
    assert query == "<insufficient privilege>"


def test_a_bi_session_holding_the_publish_lock_delays_a_publish_at_most_the_lock_timeout(target, tmp_path):
    publish(warehouse(1), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(bi_url(target)) as bi:
        bi.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK_KEY])
        started = time.monotonic()
        with pytest.raises(PostgresBusyError, match="waiting for the publish lock"):
            publish(warehouse(2), ["fct_a", "dim_b"], tmp_path, postgres=target)
        assert time.monotonic() - started < 10
    publish(warehouse(2), ["fct_a", "dim_b"], tmp_path, postgres=target)
    with psycopg.connect(bi_url(target)) as bi:
        assert counts(bi.cursor()) == (20, 6)
