"""The run lock with real processes: a run killed with SIGKILL leaves its child running; the next run
that takes the lock stops that child (and only that one) before it touches the warehouse."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from value_pipeline.run_lock import WarehouseBusyError, WarehouseLock, _start_time

HOLDER = textwrap.dedent(
    """
    import subprocess, sys, time
    from pathlib import Path
    from value_pipeline.run_lock import WarehouseLock

    lock = WarehouseLock(Path(sys.argv[1]))
    lock.acquire(holder="Dagster run killed-run")
    child = subprocess.Popen(["sleep", "300"])
    lock.record_child(child.pid)
    print(child.pid, flush=True)
    time.sleep(300)
    """
)


def start_holder(warehouse: Path) -> tuple[subprocess.Popen, int]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return holder, int(holder.stdout.readline())


def alive(pid: int) -> bool:
    return _start_time(pid) is not None


def test_the_next_run_stops_the_child_a_killed_run_left(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    holder, child = start_holder(warehouse)
    try:
        with pytest.raises(
            WarehouseBusyError, match=r"in use by another run \(Dagster run killed-run, pid \d+\)"
        ):
            WarehouseLock(warehouse).acquire(holder="Dagster run early")
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        time.sleep(0.5)
        assert alive(child), "SIGKILL cannot take the child along: this is the case to handle"
        retry = WarehouseLock(warehouse)
        started = time.monotonic()
        retry.acquire(holder="Dagster run retry")
        assert time.monotonic() - started < 5
        assert not alive(child)
        killed_run = f"Dagster run killed-run, pid {holder.pid}"
        assert retry.stopped == [f"stopped dbt (pid {child}) left running by a killed run ({killed_run})"]
        assert (tmp_path / "warehouse.duckdb.lock").read_text() == f"Dagster run retry, pid {os.getpid()}"
        retry.release()
    finally:
        os.killpg(holder.pid, signal.SIGKILL)


def test_a_recorded_pid_now_used_by_another_process_is_left_alone(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        # The pid of a dead child reused by an unrelated process: its start time differs.
        started = int(_start_time(bystander.pid))
        Path(f"{warehouse}.lock").write_text(f"Dagster run old, pid 1\nchild {bystander.pid} {started - 1}")
        lock = WarehouseLock(warehouse)
        lock.acquire(holder="Dagster run new")
        assert lock.stopped == []
        assert alive(bystander.pid)
        lock.release()
    finally:
        bystander.kill()
        bystander.wait()


def test_children_of_a_finished_run_are_forgotten(tmp_path):
    lock = WarehouseLock(tmp_path / "warehouse.duckdb")
    lock.acquire(holder="Dagster run one")
    child = subprocess.Popen(["sleep", "300"])
    try:
        lock.record_child(child.pid)
        assert f"child {child.pid} " in (tmp_path / "warehouse.duckdb.lock").read_text()
        lock.release()
        again = WarehouseLock(tmp_path / "warehouse.duckdb")
        again.acquire(holder="Dagster run two")
        assert again.stopped == [] and alive(child.pid)
        again.release()
    finally:
        child.kill()
        child.wait()
