"""Pure helpers of the benchmark: process-tree sampling, medians, ratios, the Markdown table.

No Dagster or dbt imports: unit-tested in tests/unit/test_bench.py.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

SAMPLE_INTERVAL_S = 0.05
VARIANTS = {
    "A": "full nightly job through Dagster (ingest, dbt build, checks, publish, reports)",
    "B": "the same compiled dbt SQL in one DuckDB connection (models and data tests)",
    "C": "pandas implementation of the six KPIs from the landing files",
    "D": "incremental nightly run: one day re-delivered on top of the built warehouse",
    "E": "incremental nightly run: the last day delivered new to a warehouse built without it",
    "F": "A's floor: a bare typed load of the same landing files (one INSERT per source) plus B",
}


@dataclass(frozen=True)
class Measurement:
    """One run of one variant: wall time, peak RSS of the process tree, exit code."""

    wall_s: float
    peak_rss_bytes: int
    returncode: int
    # Why the runner stopped the run, if it did ("timeout", "memory cap").
    stopped: str | None = None
    # Resident memory of each process of the tree at the moment of the peak.
    peak_processes: dict[str, int] | None = None


def tree_rss(process: psutil.Process) -> dict[str, int]:
    """Resident memory of a process and each of its descendants, by ``pid name`` (vanishing
    children are left out)."""
    sizes = {}
    for p in [process, *process.children(recursive=True)]:
        try:
            sizes[f"{p.pid} {_label(p)}"] = p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return sizes


def _label(process: psutil.Process) -> str:
    """``dbt build``, ``value_pipeline.cli run``, ...: the program and its first argument."""
    words = [Path(w).name for w in process.cmdline()[:4] if not w.startswith("-") or w == "-m"]
    words = [w for w in words if w not in {"python", "python3", "-m"} and not w.startswith("python3.")]
    return " ".join(words[:2]) or process.name()


def _kill_tree(process: psutil.Process) -> None:
    for p in [*process.children(recursive=True), process]:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            continue


def run_measured(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    timeout_s: float = 7200,
    max_rss_bytes: int | None = None,
) -> Measurement:
    """Run ``args`` in a fresh process; sample the RSS of its whole tree until it ends. The tree is
    killed past ``timeout_s`` or when its RSS passes ``max_rss_bytes`` (a run that would exhaust the
    machine's memory fails as a measurement instead of taking other processes with it)."""
    started = time.perf_counter()
    stopped = None
    with log.open("wb") as out:
        child = subprocess.Popen(list(args), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        watched = psutil.Process(child.pid)
        peak, at_peak = 0, {}
        while child.poll() is None:
            try:
                sizes = tree_rss(watched)
            except psutil.NoSuchProcess:
                break
            if sum(sizes.values()) > peak:
                peak, at_peak = sum(sizes.values()), sizes
            if time.perf_counter() - started > timeout_s:
                stopped = "timeout"
            elif max_rss_bytes is not None and peak > max_rss_bytes:
                stopped = "memory cap"
            if stopped:
                _kill_tree(watched)
                break
            time.sleep(SAMPLE_INTERVAL_S)
        returncode = child.wait()
    return Measurement(time.perf_counter() - started, peak, returncode, stopped, at_peak)


def summarise(runs: Iterable[Measurement]) -> dict[str, float | int]:
    """Median wall time and median peak memory of successful runs (None when none succeeded)."""
    ok = [r for r in runs if r.returncode == 0]
    if not ok:
        return {"wall_s": None, "peak_rss_bytes": None, "runs": 0}
    return {
        "wall_s": statistics.median(r.wall_s for r in ok),
        "peak_rss_bytes": int(statistics.median(r.peak_rss_bytes for r in ok)),
        "runs": len(ok),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def machine_description() -> dict[str, str | int | float]:
    """CPU model, cores, memory and load: the context every figure needs."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} s"


def _gigabytes(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**30:,.2f} GB"


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def results_table(sizes: Mapping[int, Mapping[str, Mapping]]) -> str:
    """One row per size: median wall time and peak memory of A-F, then A/B, A/F, A/C, D/A, E/A (wall
    time) and A/C of peak memory."""
    lines = [
        "| events | A wall | A peak | B wall | B peak | C wall | C peak | D wall | D peak | E wall | E peak "
        "| F wall | F peak | A/B | A/F | A/C | D/A | E/A | A/C peak |",
        "|" + "---:|" * 19,
    ]
    for events in sorted(sizes):
        v = sizes[events]

        def get(variant: str, key: str, v=v):
            return v.get(variant, {}).get(key)

        cells = [f"{events:,}"]
        for variant in VARIANTS:
            cells += [_seconds(get(variant, "wall_s")), _gigabytes(get(variant, "peak_rss_bytes"))]
        cells += [
            _times(ratio(get("A", "wall_s"), get("B", "wall_s"))),
            _times(ratio(get("A", "wall_s"), get("F", "wall_s"))),
            _times(ratio(get("A", "wall_s"), get("C", "wall_s"))),
            _times(ratio(get("D", "wall_s"), get("A", "wall_s"))),
            _times(ratio(get("E", "wall_s"), get("A", "wall_s"))),
            _times(ratio(get("A", "peak_rss_bytes"), get("C", "peak_rss_bytes"))),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def topological_order(nodes: Mapping[str, Sequence[str]]) -> list[str]:
    """Node ids ordered so every node comes after the nodes it depends on (ties by id)."""
    remaining = {n: {d for d in deps if d in nodes} for n, deps in nodes.items()}
    order: list[str] = []
    while remaining:
        ready = sorted(n for n, deps in remaining.items() if not deps)
        if not ready:
            raise ValueError(f"dependency cycle among {sorted(remaining)}")
        order += ready
        for n in ready:
            del remaining[n]
        for deps in remaining.values():
            deps.difference_update(ready)
    return order


def as_dict(measurement: Measurement) -> dict:
    return asdict(measurement)


def model_time_table(
    models: Sequence[str], nodes: Mapping[str, Mapping], walls: Mapping[str, float | None]
) -> str:
    """dbt's seconds of ``models`` and of the tests on them in each run (``nodes``: variant -> the
    models' and tests' seconds), then their sum, its share of every dbt node's seconds and of the
    run's wall time (``walls``)."""
    variants = [v for v in VARIANTS if v in nodes]
    lines = [
        "| model | " + " | ".join(f"{v}: model | {v}: its tests" for v in variants) + " |",
        "|---|" + "---:|" * (2 * len(variants)),
    ]

    def cell(value: float) -> str:
        return f"{value:,.1f} s"

    for model in models:
        cells = []
        for v in variants:
            cells += [cell(nodes[v]["models"].get(model, 0.0)), cell(nodes[v]["tests"].get(model, 0.0))]
        lines.append(f"| `{model}` | " + " | ".join(cells) + " |")
    totals, shares = [], []
    for v in variants:
        mine = sum(nodes[v][kind].get(m, 0.0) for kind in ("models", "tests") for m in models)
        every = sum(sum(nodes[v][kind].values()) for kind in ("models", "tests"))
        totals += [
            cell(sum(nodes[v]["models"].get(m, 0.0) for m in models)),
            cell(sum(nodes[v]["tests"].get(m, 0.0) for m in models)),
        ]
        share_of_wall = ratio(mine, walls.get(v))
        shares.append(
            f"{v}: {cell(mine)}, {ratio(mine, every):.1%} of all dbt nodes' {cell(every)}"
            + (f", {share_of_wall:.1%} of the run's {cell(walls[v])} wall time" if share_of_wall else "")
        )
    lines.append(f"| these {len(models)} models | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n\nModels and their tests together, " + "; ".join(shares) + "."
