"""Reliability fixtures: a small generated landing, isolated homes, and whole runs in subprocesses.

Every run gets its own VALUE_PIPELINE_HOME and DAGSTER_HOME through the environment of the
subprocess, so nothing touches the session demo warehouse of tests/integration.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from value_pipeline.generator import generate
from value_pipeline.instance import write_instance_yaml

# The shortest range the demo registry allows: every value-chain window must hold cases.
SMALL_LANDING = {"events": 8000, "seed": 7, "start": date(2025, 1, 1), "end": date(2026, 2, 28)}
RUN_TIMEOUT_S = 900
# Mart columns that record when a run computed them, not what it computed.
RUN_TIME_COLUMNS = {"value_chain": ["estimated_at"]}
CLI = [sys.executable, "-m", "value_pipeline.cli"]


@dataclass
class Home:
    """An isolated VALUE_PIPELINE_HOME with its own Dagster instance and warehouse."""

    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"VALUE_PIPELINE_LANDING", "VALUE_PIPELINE_WAREHOUSE", "VALUE_PIPELINE_LOCK_TIMEOUT"}
        }
        env |= {
            "VALUE_PIPELINE_HOME": str(self.root),
            "DAGSTER_HOME": str(self.root / "dagster_home"),
            "PYTHONUNBUFFERED": "1",
        }
        return env | extra

    def start(
        self, landing: Path, log: Path, partition: str | None = None, options: Sequence[str] = (), **env: str
    ) -> subprocess.Popen:
        """Start ``value-pipeline run [options]`` in its own session, stdout and stderr to ``log``."""
        args = [*CLI, "run", "--landing", str(landing), *options]
        args += ["--partition", partition] if partition else []
        with log.open("wb") as out:
            return subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=self.env(**env), start_new_session=True
            )

    def run(
        self, landing: Path, name: str, partition: str | None = None, options: Sequence[str] = (), **env: str
    ) -> tuple[int, str]:
        """Run to the end; returns the exit code and the log."""
        log = self.root / f"{name}.log"
        process = self.start(landing, log, partition, options, **env)
        try:
            code = process.wait(timeout=RUN_TIMEOUT_S)
        finally:
            kill_group(process)
        return code, log.read_text(errors="replace")


def dbt_log(run_log: str) -> str:
    """The dbt log a quiet run names on its first lines ("dbt's log: <path>"); empty when none was
    written (dbt did not run)."""
    # The path may be wrapped onto the next line of the run's output (long temporary paths).
    match = re.search(r"dbt's log:\s+(\S+)", run_log)
    path = Path(match.group(1)) if match else None
    return path.read_text(errors="replace") if path is not None and path.exists() else ""


def new_home(path: Path) -> Home:
    write_instance_yaml(path / "dagster_home")
    return Home(path)


def kill_group(process: subprocess.Popen) -> None:
    """Kill what is left of a run this test started (its own session), e.g. an orphaned dbt."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_for_log(process: subprocess.Popen, log: Path, pattern: str, timeout_s: float = 600) -> str:
    """Poll ``log`` until ``pattern`` appears; fails if the run ends or the time runs out first."""
    deadline = time.monotonic() + timeout_s
    regex = re.compile(pattern)
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if regex.search(text):
            return text
        if process.poll() is not None:
            pytest.fail(
                f"the run ended (exit {process.returncode}) before its log showed {pattern!r}:\n{text}"
            )
        time.sleep(0.2)
    pytest.fail(f"the log never showed {pattern!r} within {timeout_s} s")


def session_gone(process: subprocess.Popen, timeout_s: float = 60) -> bool:
    """True once no process of the run's session is left (children of a killed run die too)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def snapshot(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Every table of schema marts (sorted rows) and the row count of every raw table."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('marts', 'raw') order by all"
            ).fetchall()
        ]
        result = {
            f"marts.{name}": con.execute(f"select * from marts.{name} order by all")
            .df()
            .drop(columns=RUN_TIME_COLUMNS.get(name, []))
            for schema, name in tables
            if schema == "marts"
        }
        counts = [
            (name, con.execute(f"select count(*) from raw.{name}").fetchone()[0])
            for schema, name in tables
            if schema == "raw"
        ]
    result["raw row counts"] = pd.DataFrame(counts, columns=["table", "rows"])
    return result


def assert_same(expected: dict[str, pd.DataFrame], actual: dict[str, pd.DataFrame]) -> None:
    """Same tables, rows and values; floats to 1e-12 relative (parallel sums vary in the last bits)."""
    assert sorted(actual) == sorted(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(actual[name], frame, rtol=1e-12, atol=1e-9, obj=name)


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory) -> Path:
    """A small deterministic landing root (about 8,400 workflow events over 14 months)."""
    root = tmp_path_factory.mktemp("reliability") / "landing"
    generate(root, **SMALL_LANDING)
    return root


@pytest.fixture(scope="session")
def reference_home(small_landing: Path, tmp_path_factory) -> Home:
    """A home whose warehouse holds one uninterrupted run over ``small_landing`` (do not modify)."""
    home = new_home(tmp_path_factory.mktemp("reference_home"))
    code, log = home.run(small_landing, "reference")
    assert code == 0, f"the reference run failed:\n{log}"
    return home


@pytest.fixture(scope="session")
def reference(reference_home: Home) -> dict[str, pd.DataFrame]:
    """Marts and raw counts of the uninterrupted reference run."""
    return snapshot(reference_home.warehouse)


def copy_landing(landing: Path, target: Path) -> Path:
    shutil.copytree(landing, target)
    return target
