"""Test session setup: every test writes under one temporary home, never into the user's data/."""

import os
import tempfile
from pathlib import Path

import pytest

# Set before any value_pipeline module reads the environment (definitions read it on import).
_HOME = Path(tempfile.mkdtemp(prefix="value-pipeline-tests-"))
os.environ["VALUE_PIPELINE_HOME"] = str(_HOME)
os.environ["DAGSTER_HOME"] = str(_HOME / "dagster_home")
os.environ.pop("VALUE_PIPELINE_LANDING", None)
os.environ.pop("VALUE_PIPELINE_WAREHOUSE", None)
(_HOME / "dagster_home").mkdir()
(_HOME / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


@pytest.fixture(scope="session")
def test_home() -> Path:
    return _HOME
