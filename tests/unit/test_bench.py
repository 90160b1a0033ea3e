"""The benchmark's pure helpers: medians of successful runs, ratios, the table, the run order of B."""

import sys

import duckdb
import pytest

from bench.measure import (
    Measurement,
    model_time_table,
    ratio,
    results_table,
    run_measured,
    summarise,
    topological_order,
)
from bench.run import dbt_duckdb_settings


def test_summarise_takes_medians_of_successful_runs_only():
    runs = [
        Measurement(10.0, 300, 0),
        Measurement(2.0, 100, 0),
        Measurement(1.0, 50, 1),
        Measurement(4.0, 200, 0),
    ]
    assert summarise(runs) == {"wall_s": 4.0, "peak_rss_bytes": 200, "runs": 3}
    assert summarise([Measurement(1.0, 1, 2)]) == {"wall_s": None, "peak_rss_bytes": None, "runs": 0}


def test_ratio_is_missing_when_a_side_is():
    assert ratio(6.0, 4.0) == 1.5
    assert ratio(None, 4.0) is None
    assert ratio(6.0, None) is None
    assert ratio(6.0, 0.0) is None


def test_results_table_shows_ratios_and_missing_variants():
    gib = 2**30
    table = results_table(
        {
            1_000_000: {
                "A": {"wall_s": 30.0, "peak_rss_bytes": 2 * gib},
                "B": {"wall_s": 20.0, "peak_rss_bytes": gib},
                "C": {"wall_s": 60.0, "peak_rss_bytes": 4 * gib},
                "D": {"wall_s": 3.0, "peak_rss_bytes": gib},
                "E": {"wall_s": 4.5, "peak_rss_bytes": gib},
                "F": {"wall_s": 24.0, "peak_rss_bytes": gib},
            },
            10_000_000: {"A": {"wall_s": 100.0, "peak_rss_bytes": gib}},
        }
    ).splitlines()
    assert table[0].count("|") == table[1].count("|") == table[2].count("|")
    assert table[2] == (
        "| 1,000,000 | 30.0 s | 2.00 GB | 20.0 s | 1.00 GB | 60.0 s | 4.00 GB | 3.0 s | 1.00 GB "
        "| 4.5 s | 1.00 GB | 24.0 s | 1.00 GB | 1.50 | 1.25 | 0.50 | 0.10 | 0.15 | 0.50 |"
    )
    assert table[3].startswith("| 10,000,000 | 100.0 s | 1.00 GB | n/a | n/a |")
    assert table[3].endswith("| n/a | n/a | n/a | n/a | n/a | n/a |")


def test_model_time_table_sums_the_models_and_their_share():
    nodes = {
        "A": {
            "models": {"steps": 30.0, "variants": 10.0, "other": 60.0},
            "tests": {"steps": 5.0, "other": 15.0},
        },
        "D": {"models": {"steps": 3.0, "other": 6.0}, "tests": {"other": 1.0}},
    }
    table, sentence = model_time_table(["steps", "variants"], nodes, {"A": 180.0, "D": None}).split("\n\n")
    lines = table.splitlines()
    assert lines[0] == "| model | A: model | A: its tests | D: model | D: its tests |"
    assert lines[2] == "| `steps` | 30.0 s | 5.0 s | 3.0 s | 0.0 s |"
    assert lines[3] == "| `variants` | 10.0 s | 0.0 s | 0.0 s | 0.0 s |"
    assert lines[4] == "| these 2 models | 40.0 s | 5.0 s | 3.0 s | 0.0 s |"
    assert sentence == (
        "Models and their tests together, A: 45.0 s, 37.5% of all dbt nodes' 120.0 s, 25.0% of the run's "
        "180.0 s wall time; D: 3.0 s, 30.0% of all dbt nodes' 10.0 s."
    )


def test_topological_order_puts_dependencies_first_and_rejects_cycles():
    nodes = {"mart": ["int", "stg"], "int": ["stg", "source.outside"], "stg": [], "test": ["mart"]}
    assert topological_order(nodes) == ["stg", "int", "mart", "test"]
    with pytest.raises(ValueError, match="cycle"):
        topological_order({"a": ["b"], "b": ["a"]})


def test_run_measured_counts_the_memory_of_child_processes(tmp_path):
    """A parent that only waits for a child holding ~200 MB must show the child's memory."""
    child = "b = bytearray(200 * 2**20); import time; time.sleep(1.0)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    m = run_measured([sys.executable, "-c", parent], env={}, cwd=tmp_path, log=tmp_path / "log")
    assert m.returncode == 0
    assert m.peak_rss_bytes > 200 * 2**20
    assert m.wall_s >= 1.0
    # The peak is broken down by process: the child holds the 200 MB.
    assert len(m.peak_processes) == 2
    assert max(m.peak_processes.values()) > 200 * 2**20 > min(m.peak_processes.values())
    assert sum(m.peak_processes.values()) == m.peak_rss_bytes


def test_run_measured_stops_a_tree_past_the_memory_cap(tmp_path):
    """A child that keeps allocating is killed with its parent once the tree passes the cap."""
    child = "import time\nb = []\nwhile True:\n    b.append(bytearray(50 * 2**20)); time.sleep(0.05)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    m = run_measured(
        [sys.executable, "-c", parent], env={}, cwd=tmp_path, log=tmp_path / "log", max_rss_bytes=300 * 2**20
    )
    assert m.stopped == "memory cap"
    assert m.returncode != 0
    assert 300 * 2**20 < m.peak_rss_bytes < 2**30
    assert summarise([m])["runs"] == 0


def test_the_floor_runs_with_the_dbt_profiles_duckdb_settings():
    settings = dbt_duckdb_settings()
    assert settings == {"disabled_optimizers": "common_subplan"}, "memory_limit comes from the environment"
    with duckdb.connect(config={**settings, "memory_limit": "1GB"}) as con:
        disabled = con.execute("select current_setting('disabled_optimizers')").fetchone()[0]
    assert disabled == "common_subplan"
