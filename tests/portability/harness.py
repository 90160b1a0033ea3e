"""Build the same landed demo on one engine, the way the Dagster job does, and read its marts back.

The landing files are validated once into a DuckDB staging file; each engine gets the same raw rows
(shipped with ``Engine.write_table`` unless the engine is that DuckDB file's copy), then dbt builds
every model and runs every test on it, with the value-chain statistics written between the layers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from value_pipeline.config import DBT_PROJECT_DIR
from value_pipeline.contracts import load_contracts
from value_pipeline.engines import Engine
from value_pipeline.engines.shipping import ship_registry, ship_tables
from value_pipeline.engines.types import duckdb_type
from value_pipeline.lifecycle import refresh_forecasts
from value_pipeline.value_chains import refresh_estimates

DBT = str(Path(sys.executable).parent / "dbt")
# The marts that read what a statistics step writes, and the step (as the Dagster job runs them).
STATISTICS: list[tuple[str, Callable[[Engine], object]]] = [
    ("path:models/marts/value_chains", refresh_estimates),
    ("path:models/marts/lifecycle", refresh_forecasts),
]


def canonical_type(data_type: str) -> str:
    """One name per type, whichever engine spelled it (the DuckDB name)."""
    return duckdb_type(data_type)


@dataclass
class Build:
    """One engine's warehouse after a full build: the engine, its dbt manifest and the build time."""

    engine: Engine
    target: str
    manifest: dict
    seconds: float

    def public_marts(self) -> dict[str, dict[str, str]]:
        """Every public mart and its contract types (as rendered for this engine)."""
        return {
            node["name"]: {c["name"]: c["data_type"] for c in node["columns"].values()}
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == "model" and "public" in node["tags"]
        }


def dbt_build(target: str, env: dict[str, str], target_path: Path, *selection: str) -> list[dict]:
    """``dbt build`` on ``target``, unit tests included (the nightly job leaves them out); raises with
    dbt's log tail when a model or a test fails, else returns the results."""
    command = [DBT, "build", "--target", target, "--target-path", str(target_path), *selection]
    completed = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
        capture_output=True,
        text=True,
    )
    if completed.returncode:
        raise AssertionError(f"dbt build on {target} failed:\n{completed.stdout[-6000:]}")
    return json.loads((target_path / "run_results.json").read_text())["results"]


def build(
    connect: Callable[[], Engine],
    staging: Path,
    env: dict[str, str],
    workdir: Path,
    *,
    ship: bool = True,
) -> Build:
    """Ship the staging file's raw tables to the engine ``connect`` opens (unless it already holds
    them), build, and return a fresh connection. An engine is open only between the dbt runs: a
    DuckDB file has one writer at a time."""
    started = time.perf_counter()
    with connect() as engine:
        target = engine.dbt_target
        if ship:
            with duckdb.connect(str(staging), read_only=True) as con:
                ship_registry(con, engine)
                raw = [c.raw_table for c in load_contracts().values()]
                ship_tables(con, engine, [*raw, "quarantine", "load_audit"])
    target_path = workdir / f"target-{target}"
    after_statistics = [selection for selection, _ in STATISTICS]
    results = dbt_build(target, env, target_path, "--exclude", *after_statistics)
    with connect() as engine:
        for _, step in STATISTICS:
            step(engine)
    results += dbt_build(target, env, target_path, "--select", *after_statistics)
    seconds = time.perf_counter() - started
    manifest = json.loads((target_path / "manifest.json").read_text())
    # The dbt unit tests run here, on every engine, and nowhere else in `make test`.
    passed = {r["unique_id"] for r in results if r["status"] == "pass"}
    assert manifest["unit_tests"] and set(manifest["unit_tests"]) <= passed, "not every dbt unit test passed"
    return Build(engine=connect(), target=target, manifest=manifest, seconds=seconds)
