"""The process marts against pm4py on the real logs: ``python -m bench.process_mining_reference``.

Builds each log as a user would (``value-pipeline init``, ``adapt``, ``run`` in a temporary home;
or reads homes built before, ``--home helpdesk=DIR``) and prints, per log, the figures that
tests/integration/test_process_mining_reference.py asserts: the edges and transitions of
marts.process_transitions (summed over case months) against pm4py's ``discover_dfg`` (and, for the XES
logs, the plain-Python count of tests/reference/process_mining.py), and the largest
difference between ``median_wait_hours * 3600`` and pm4py's ``discover_performance_dfg`` median, per
edge and month the cases started in.

pm4py reads helpdesk and BPIC 2012 from the XES files themselves, so those comparisons also check the
XES adapter; it has no reader for the ServiceNow export, so that log is read from the adapter's landing
files. pm4py's performance DFG (pm4py/algo/discovery/dfg/adapters/pandas/df_statistics.py
``get_dfg_graph``) is the target event's timestamp minus the source event's, when the log has no
``start_timestamp`` column (then it would use the target's start); these logs have none.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pm4py

from tests.reference.process_mining import directly_follows, read_cases

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"
CASE, ACTIVITY, TIMESTAMP = "case:concept:name", "concept:name", "time:timestamp"
# log -> (adapter, export, use case)
LOGS = {
    "helpdesk": ("xes", REALDATA / "process_mining" / "helpdesk.xes.gz", "helpdesk"),
    "bpic2012": ("xes", REALDATA / "process_mining" / "bpic2012.xes.gz", "loans"),
    "servicenow": (
        "servicenow",
        REALDATA / "servicenow_incidents" / "incident_event_log.csv.gz",
        "incidents",
    ),
}

Edge = tuple[str, str]
MonthEdge = tuple[date, str, str]


def pm4py_xes_log(path: Path) -> pd.DataFrame:
    """The log as pm4py reads an XES file (its lxml importer; the trace's ``concept:name`` is the case)."""
    return pm4py.read_xes(str(path), variant="iterparse", show_progress_bar=False)


def pm4py_landing_log(landing: Path) -> pd.DataFrame:
    """The adapter's workflow_events landing files, in file order, formatted by pm4py (which keeps that
    order for events of a case at the same instant, as the warehouse does)."""
    files = sorted((Path(landing) / "workflow_events").glob("dt=*/*.csv"))
    events = pd.concat(
        [pd.read_csv(f, dtype=str, usecols=["case_id", "activity", "event_ts"]) for f in files],
        ignore_index=True,
    )
    return pm4py.format_dataframe(
        events, case_id="case_id", activity_key="activity", timestamp_key="event_ts", timest_format="ISO8601"
    )


def pm4py_transitions(log: pd.DataFrame) -> dict[Edge, int]:
    dfg, _, _ = pm4py.discover_dfg(log.copy())
    return {edge: int(n) for edge, n in dfg.items()}


def case_months(log: pd.DataFrame) -> pd.Series:
    """case id -> first day of the UTC month of the case's first event."""
    first = log.groupby(CASE)[TIMESTAMP].min().dt.tz_convert("UTC")
    return first.dt.date.map(lambda day: day.replace(day=1))


def pm4py_median_waits(log: pd.DataFrame, months: list[date] | None = None) -> dict[MonthEdge, float]:
    """(case month, from, to) -> median wait in seconds, from pm4py's performance DFG of the log
    filtered to the cases that started in that month (every month unless ``months`` is given)."""
    started = case_months(log)
    waits: dict[MonthEdge, float] = {}
    for month in sorted(set(started)) if months is None else months:
        cases = started.index[started == month]
        performance, _, _ = pm4py.discover_performance_dfg(log[log[CASE].isin(cases)].copy())
        waits |= {(month, *edge): float(stats["median"]) for edge, stats in performance.items()}
    return waits


def mart_transitions(con: duckdb.DuckDBPyConnection, use_case: str) -> dict[Edge, int]:
    rows = con.execute(
        "select from_activity, to_activity, sum(transitions) from marts.process_transitions "
        "where use_case_id = ? group by 1, 2",
        [use_case],
    ).fetchall()
    return {(a, b): int(n) for a, b, n in rows}


def mart_median_waits(con: duckdb.DuckDBPyConnection, use_case: str) -> dict[MonthEdge, float]:
    rows = con.execute(
        "select case_month, from_activity, to_activity, median_wait_hours * 3600 "
        "from marts.process_transitions where use_case_id = ?",
        [use_case],
    ).fetchall()
    return {(month, a, b): seconds for month, a, b, seconds in rows}


def wait_differences(ours: dict[MonthEdge, float], theirs: dict[MonthEdge, float]) -> dict[MonthEdge, float]:
    """Absolute difference per (month, edge) of ``theirs``; infinite where ``ours`` lacks it or
    either median is missing."""
    return {
        key: abs(ours[key] - value)
        if key in ours and pd.notna(ours[key]) and pd.notna(value)
        else float("inf")
        for key, value in theirs.items()
    }


def figures(
    con: duckdb.DuckDBPyConnection, use_case: str, log: pd.DataFrame, plain: dict[Edge, int] | None = None
) -> dict:
    """The comparison of one log: edge and transition counts (against pm4py and, when given, the plain
    count of tests/reference/process_mining.py), and how far the medians are apart."""
    ours, theirs = mart_transitions(con, use_case), pm4py_transitions(log)
    our_waits, their_waits = mart_median_waits(con, use_case), pm4py_median_waits(log)
    differences = wait_differences(our_waits, their_waits)
    return {
        "edges": len(ours),
        "transitions": sum(ours.values()),
        "pm4py_edges": len(theirs),
        "pm4py_transitions": sum(theirs.values()),
        "dfg_equal": ours == theirs,
        "plain_count_equal": "n/a" if plain is None else ours == plain,
        "months": len({month for month, _, _ in their_waits}),
        "month_edges": len(their_waits),
        "month_edges_only_in_mart": len(set(our_waits) - set(their_waits)),
        "max_abs_median_diff_s": max(differences.values(), default=0.0),
    }


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    return f"{value:,}" if isinstance(value, int) else value


def table(rows: dict[str, dict]) -> str:
    """A Markdown table, one row per log."""
    columns = list(next(iter(rows.values())))
    lines = ["| log | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for log, row in rows.items():
        cells = [_cell(value) for value in row.values()]
        lines.append(f"| {log} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build(home: Path, adapter: str, export: Path, use_case: str) -> None:
    """The three commands of docs/own_data.md in a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VALUE_PIPELINE_")}
    env |= {"VALUE_PIPELINE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster_home")}
    cli = str(Path(sys.executable).parent / "value-pipeline")
    landing = str(home / "L")
    for args in (
        ["init", landing],
        ["adapt", adapter, str(export), "--landing", landing, "--use-case", use_case],
        ["run", "--landing", landing],
    ):
        subprocess.run([cli, *args], env=env, check=True, capture_output=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", action="append", default=[], help="LOG=DIR: a home built before")
    args = parser.parse_args(argv)
    homes = dict(h.split("=", 1) for h in args.home)
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        for log, (adapter, export, use_case) in LOGS.items():
            home = Path(homes[log]) if log in homes else Path(scratch) / log
            if log not in homes:
                build(home, adapter, export, use_case)
            if adapter == "xes":
                events, plain = pm4py_xes_log(export), dict(directly_follows(read_cases(export)))
            else:
                events, plain = pm4py_landing_log(home / "L"), None
            with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
                rows[log] = figures(con, use_case, events, plain)
    print(table(rows))


if __name__ == "__main__":
    main()
