"""The small demo, generated once and built once through the Dagster job, shared by integration tests."""

import json
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
