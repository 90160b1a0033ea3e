"""Warehouses shared by integration tests: the small demo, generated once and built once through the
Dagster job; and each real log, built once through the command a user runs (``own_data_build``)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from value_pipeline.cli import run_job
from value_pipeline.config import Settings
from value_pipeline.generator import generate


def pytest_collection_modifyitems(items):
    """Tests that run the job again (a new publish, new row-count history) go last, so every other test
    sees the demo run's own publish and reports."""
    items.sort(key=lambda item: item.get_closest_marker("mutates_demo") is not None)


@pytest.fixture(scope="session")
def settings() -> Settings:
    settings = Settings.from_env()
    settings.export()
    return settings


@pytest.fixture(scope="session")
def ground_truth(settings: Settings) -> dict:
    generate(settings.landing_root, size="small", seed=42)
    return json.loads((settings.landing_root / "ground_truth.json").read_text())


@pytest.fixture(scope="session")
def reference(settings: Settings, ground_truth: dict) -> dict:
    """The independent pandas computation of every KPI from the same landing files."""
    from tests.reference.kpis import compute_kpis

    return compute_kpis(settings.landing_root)


@pytest.fixture(scope="session")
def demo_run(settings: Settings, ground_truth: dict):
    """The ExecuteInProcessResult of the whole job over every delivered partition."""
    result = run_job(settings, None)
    assert result.success, "the demo run failed"
    return result


@pytest.fixture
def warehouse(settings: Settings, demo_run):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield con
    con.close()


REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
CLI = str(Path(sys.executable).parent / "value-pipeline")
RUN_TIMEOUT_S = 1800
# log -> (adapter, export, use case, events, cases): the counts published with the data
# (../shared/realdata/PROVENANCE.md).
OWN_DATA_LOGS = {
    "helpdesk": ("xes", REALDATA / "process_mining" / "helpdesk.xes.gz", "helpdesk", 21_348, 4_580),
    "bpic2012": ("xes", REALDATA / "process_mining" / "bpic2012.xes.gz", "loans", 262_200, 13_087),
    "servicenow": (
        "servicenow",
        REALDATA / "servicenow_incidents" / "incident_event_log.csv.gz",
        "incidents",
        180_887,
        20_769,
    ),
}


def own_data_command(home: Path, *args: str) -> subprocess.CompletedProcess:
    """``value-pipeline <args>`` in a fresh process with its own home and Dagster instance (and no
    start date: the command derives it from the zone's data)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("VALUE_PIPELINE_") or k in {"VALUE_PIPELINE_TARGET"}
    }
    env |= {"VALUE_PIPELINE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster_home")}
    done = subprocess.run(
        [CLI, *args], env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, (
        f"value-pipeline {' '.join(args)}: {done.stdout[-6000:]}{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="session")
def own_data_build(tmp_path_factory):
    """log -> the acceptance scenario of docs/own_data.md on it (``init``, ``adapt``, ``run`` in a home
    of its own): the commands' outputs and the paths they wrote. Each log is built once per session,
    on first use, whichever test module asks first."""
    built: dict[str, dict] = {}

    def build(log: str) -> dict:
        if log not in built:
            adapter, export, use_case, events, cases = OWN_DATA_LOGS[log]
            home = tmp_path_factory.mktemp(f"own_{log}")
            landing = home / "L"
            outputs = {
                "init": own_data_command(home, "init", str(landing)).stdout,
                "adapt": own_data_command(
                    home, "adapt", adapter, str(export), "--landing", str(landing), "--use-case", use_case
                ).stdout,
                "run": own_data_command(home, "run", "--landing", str(landing)).stdout,
            }
            built[log] = {
                "log": log,
                "use_case": use_case,
                "events": events,
                "cases": cases,
                "landing": landing,
                "outputs": outputs,
                "warehouse": home / "warehouse" / "warehouse.duckdb",
                "published": home / "serving" / "marts.duckdb",
            }
        return built[log]

    return build


# Columns that record which run built a row (an incremental model's), not what the row says.
BUILD_TIME_COLUMNS = ["built_at"]


def snapshot(con: duckdb.DuckDBPyConnection, table: str):
    """Every row of ``table`` in a stable order, for before/after comparisons with ``assert_same``."""
    frame = con.execute(f"select * from {table} order by all").df()
    return frame.drop(columns=[c for c in BUILD_TIME_COLUMNS if c in frame.columns])


def assert_same(before: dict, after: dict) -> None:
    """Same tables, rows and values; floats to 1e-12 relative (parallel sums vary in the last bits)."""
    import pandas as pd

    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name], rtol=1e-12, atol=1e-9, obj=name)


def landing_copy(settings: Settings, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "landing"
    shutil.copytree(settings.landing_root, target)
    return target
