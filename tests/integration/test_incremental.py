"""The nightly run is incremental and gives the figures of a full rebuild.

One warehouse is built from every day but two (the last day D and a day L in the middle), then
receives D as a nightly run (``--partition D``) with an extra file of events (one reopening an
old case, one of a case of its own), receives D again without that file (the events are gone),
and receives L late together with a registry change (an SLA policy of its own for one use case).
After each step the untouched partitions, cases, days and groups must not have been rebuilt
(markers planted in an old partition of the incremental staging table, in an old case of the
incremental case summary and of ``int_cases``, in the first day of the cycle-time medians, and in
the first month of the process transitions and the first day of the process hours of a use case
the registry change leaves alone survive), and at the end every public mart, the staging table,
``int_cases``, the case steps and variants, the cycle-time medians and the process aggregates
must equal one full build over the same landing and final registry (floats to 1e-9 relative), although
each nightly run selects only the sources that changed and what they feed (defs/selection.py). A
last run with ``--full-refresh`` rebuilds everything (the markers are gone) and changes no figure.
"""

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.reliability.conftest import SMALL_LANDING, copy_landing, new_home, snapshot
from value_pipeline.generator import generate

pytestmark = pytest.mark.integration

EVENT_SOURCES = ("workflow_events", "ai_usage", "survey_responses", "observations")
STAGING = "staging.stg_workflow_events__events"
SUMMARY = "intermediate.int_case_events_summarised"
# Lineage columns that record which load or run wrote a row, not what the row says.
LOAD_COLUMNS = ["batch_id", "loaded_at", "source_file", "built_at"]
MARKER = "planted-by-test_incremental"
CASES = "intermediate.int_cases"
CYCLE_TIMES = "intermediate.int_use_case_cycle_times_daily"
# A build time no run writes: marks a case summary and a case that no run has recomputed.
BUILT_MARKER = "2000-01-01 00:00:00"
# The process aggregates recompute a group whose steps were built after it, so their marker lies
# in the future (a group is still recomputed when its count of steps changes).
FUTURE_MARKER = "2999-01-01 00:00:00"
# Process aggregates incremental by use case and period: table, period column.
PROCESS_GROUPS = {
    "int_process_transitions_monthly": "case_month",
    "int_process_hours_daily": "event_date",
}
# The registry change of the late run: an SLA policy of its own for one use case's P2 cases.
SLA_POLICY = "  - {priority: P2, use_case_id: UC01, sla_hours: 48}\n"
CHANGED_USE_CASE = "UC02"
HEADER = "event_id,case_id,use_case_id,event_type,event_ts,actor_type,actor_id,team,priority"


def staged(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select * exclude ({', '.join(LOAD_COLUMNS)}) from {STAGING} order by event_id"
        ).df()


def cases(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * exclude (built_at) from {CASES} order by case_id").df()


def by_case(warehouse: Path, table: str, order: str) -> pd.DataFrame:
    """A model incremental by case, without its build stamps."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * exclude (built_at) from intermediate.{table} order by {order}").df()


def process_groups(warehouse: Path, table: str) -> pd.DataFrame:
    """A process aggregate without its build stamps, in a total order (its float sums are
    compared to 1e-9: an incremental run adds a day's steps in another order)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(f"select * exclude (built_at) from intermediate.{table}").df()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def cycle_times(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select * exclude (built_at) from {CYCLE_TIMES} order by use_case_id, date_day"
        ).df()


def plant_markers(warehouse: Path, day: str, before: str) -> None:
    """Mark an event of partition ``day``, the summary and the case row of a case delivered
    before ``before`` (of a use case the registry change leaves alone), and the first day of the
    cycle-time medians."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"update {STAGING} set source_file = '{MARKER}' "
            f"where event_id = (select min(event_id) from {STAGING} where partition_date = date '{day}')"
        )
        case_id = con.execute(
            f"select min(case_id) from (select case_id from {STAGING} group by case_id "
            f"having max(partition_date) < date '{before}' and max(use_case_id) <> '{CHANGED_USE_CASE}')"
        ).fetchone()[0]
        marked = f"timestamp '{BUILT_MARKER}' where case_id = ?"
        con.execute(f"update {SUMMARY} set events_built_at = {marked}", [case_id])
        con.execute(f"update {CASES} set built_at = {marked}", [case_id])
        con.execute(
            f"update {CYCLE_TIMES} set built_at = timestamp '{BUILT_MARKER}' "
            f"where date_day = (select min(date_day) from {CYCLE_TIMES})"
        )
        for table, period in PROCESS_GROUPS.items():
            con.execute(
                f"update intermediate.{table} set built_at = timestamp '{FUTURE_MARKER}' "
                f"where (use_case_id, {period}) = (select (min(use_case_id), min({period})) "
                f"from intermediate.{table} where use_case_id <> '{CHANGED_USE_CASE}' "
                f"and use_case_id = (select min(use_case_id) from intermediate.{table} "
                f"where use_case_id <> '{CHANGED_USE_CASE}'))"
            )


def markers_survive(warehouse: Path) -> tuple[bool, ...]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        staged_marker = con.execute(
            f"select count(*) from {STAGING} where source_file = ?", [MARKER]
        ).fetchone()
        summary_marker = con.execute(
            f"select count(*) from {SUMMARY} where events_built_at = timestamp '{BUILT_MARKER}'"
        ).fetchone()
        case_marker = con.execute(
            f"select count(*) from {CASES} where built_at = timestamp '{BUILT_MARKER}'"
        ).fetchone()
        day_marker = con.execute(
            f"select count(*) from {CYCLE_TIMES} where built_at = timestamp '{BUILT_MARKER}'"
        ).fetchone()
        groups_marked = [
            con.execute(
                f"select count(*) from intermediate.{table} where built_at = timestamp '{FUTURE_MARKER}'"
            ).fetchone()[0]
            > 0
            for table in PROCESS_GROUPS
        ]
        return (
            staged_marker[0] == 1,
            summary_marker[0] == 1,
            case_marker[0] == 1,
            day_marker[0] == 1,
            *groups_marked,
        )


def change_registry(landing: Path) -> None:
    """Give the changed use case's P2 cases an SLA policy of their own (12 hours, not 24)."""
    registry = landing / "registry" / "registry.yml"
    text = registry.read_text()
    assert SLA_POLICY in text, "the registry names UC01's P2 policy"
    policy = SLA_POLICY.replace("UC01", CHANGED_USE_CASE).replace("48", "12")
    registry.write_text(text.replace(SLA_POLICY, SLA_POLICY + policy))


def old_case(warehouse: Path, day: str) -> tuple[str, str]:
    """A resolved case opened on ``day``: its id and use case."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select case_id, use_case_id from intermediate.int_cases "
            f"where opened_date = date '{day}' and is_resolved order by case_id limit 1"
        ).fetchone()


def selected_sources(log: str) -> dict[str, bool]:
    """The run's table of sources (value-pipeline run --partition): source -> selected."""
    rows = [line.strip("│ ").split("│") for line in log.splitlines() if line.startswith("│")]
    return {cells[0].strip(): cells[1].strip() == "yes" for cells in rows if len(cells) == 3}


def test_new_day_rerun_and_late_day_equal_a_full_rebuild(tmp_path):
    landing = tmp_path / "landing"
    generate(landing, **SMALL_LANDING)
    days = sorted(p.name.removeprefix("dt=") for p in (landing / "workflow_events").iterdir())
    first, late, new = days[0], days[len(days) // 2], days[-1]
    partial = copy_landing(landing, tmp_path / "partial")
    change_registry(landing)

    full = new_home(tmp_path / "full")
    code, log = full.run(landing, "full")
    assert code == 0, log
    expected = snapshot(full.warehouse)
    expected_staged = staged(full.warehouse)
    expected_cases = cases(full.warehouse)
    expected_cycle_times = cycle_times(full.warehouse)
    expected_steps = by_case(full.warehouse, "int_case_steps", "event_id")
    expected_variants = by_case(full.warehouse, "int_case_variants", "case_id")
    expected_groups = {table: process_groups(full.warehouse, table) for table in PROCESS_GROUPS}

    held_back = tmp_path / "held_back"
    for day in (late, new):
        (held_back / day).mkdir(parents=True)
        for source in EVENT_SOURCES:
            folder = partial / source / f"dt={day}"
            if folder.is_dir():
                shutil.move(folder, held_back / day / source)
    home = new_home(tmp_path / "incremental")
    code, log = home.run(partial, "without_two_days")
    assert code == 0, log
    plant_markers(home.warehouse, first, before=days[len(days) // 4])
    assert all(markers_survive(home.warehouse)), "the markers are planted"

    def deliver(day: str) -> None:
        for source_dir in (held_back / day).iterdir():
            shutil.move(source_dir, partial / source_dir.name / f"dt={day}")

    def check_markers(step: str) -> None:
        staged_marker, summary_marker, case_marker, day_marker, *groups_marked = markers_survive(
            home.warehouse
        )
        assert staged_marker, f"{step}: an untouched partition was rebuilt"
        assert summary_marker, f"{step}: an untouched case summary was recomputed"
        assert case_marker, f"{step}: an untouched case was rebuilt"
        assert day_marker, f"{step}: an untouched day of the cycle-time medians was recomputed"
        for table, marked in zip(PROCESS_GROUPS, groups_marked, strict=True):
            assert marked, f"{step}: an untouched group of {table} was recomputed"

    # Day D first arrives with events it will not have in the end: a reopening of an old case
    # (which leaves it open) and a case of its own.
    reopened, use_case = old_case(home.warehouse, days[len(days) // 4])
    deliver(new)
    extra = partial / "workflow_events" / f"dt={new}" / "withdrawn.csv"
    extra.write_text(
        f"{HEADER}\nWITHDRAWN-1,{reopened},{use_case},reopened,{new}T08:00:00Z,human,a1,,\n"
        f"WITHDRAWN-2,WITHDRAWN-CASE,{use_case},opened,{new}T09:00:00Z,human,a1,,\n"
    )
    code, log = home.run(partial, "new_day", partition=new)
    assert code == 0, log
    check_markers("new day")
    # Only the sources with a folder of the day are loaded; the registry and the snapshots are not.
    chosen = selected_sources(log)
    assert chosen["workflow_events"] and chosen["ai_usage"], log
    assert not any(chosen[s] for s in ("registry", "finance_benefits", "hr_roster")), log
    assert cases(home.warehouse).set_index("case_id").loc[reopened, "resolved_at"] is pd.NaT

    extra.unlink()
    code, log = home.run(partial, "new_day_withdrawn", partition=new)
    assert code == 0, log
    check_markers("new day again")
    deliver(late)
    change_registry(partial)
    code, log = home.run(partial, "late_day", partition=late)
    assert code == 0, log
    check_markers("late day")
    assert selected_sources(log)["registry"], "the changed registry is loaded again"

    actual = snapshot(home.warehouse)
    marts = sorted(name for name in expected if name.startswith("marts."))
    assert marts and sorted(name for name in actual if name.startswith("marts.")) == marts
    for name in marts:
        pd.testing.assert_frame_equal(actual[name], expected[name], rtol=1e-9, atol=1e-9, obj=name)
    pd.testing.assert_frame_equal(staged(home.warehouse), expected_staged, obj=STAGING)
    pd.testing.assert_frame_equal(cases(home.warehouse), expected_cases, obj="int_cases")
    pd.testing.assert_frame_equal(
        cycle_times(home.warehouse), expected_cycle_times, rtol=1e-9, atol=1e-9, obj=CYCLE_TIMES
    )
    pd.testing.assert_frame_equal(
        by_case(home.warehouse, "int_case_steps", "event_id"), expected_steps, obj="int_case_steps"
    )
    pd.testing.assert_frame_equal(
        by_case(home.warehouse, "int_case_variants", "case_id"), expected_variants, obj="int_case_variants"
    )
    for table, expected_table in expected_groups.items():
        pd.testing.assert_frame_equal(
            process_groups(home.warehouse, table), expected_table, rtol=1e-9, atol=1e-9, obj=table
        )

    # A full refresh (after a change of a model's definition) rebuilds every partition and case.
    code, log = home.run(partial, "full_refresh", options=["--full-refresh"])
    assert code == 0, log
    assert not any(markers_survive(home.warehouse)), "--full-refresh left old rows in place"
    pd.testing.assert_frame_equal(staged(home.warehouse), expected_staged, obj=STAGING)
    pd.testing.assert_frame_equal(cases(home.warehouse), expected_cases, obj="int_cases")
