"""The nightly run is incremental and gives the figures of a full rebuild.

One warehouse is built from every day but two (the last day D and a day L in the middle), then
receives D as a nightly run (``--partition D``), runs D again, and receives L late. After each
step the untouched partitions must not have been rebuilt (a marker planted in an old partition of
the incremental staging table survives), and at the end every public mart, and the staging table
itself, must equal one full build over the same landing (floats to 1e-9 relative). A last run with
``--full-refresh`` rebuilds every partition (the marker is gone) and changes no figure.
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
# Lineage columns that record which load wrote a row, not what the row says.
LOAD_COLUMNS = ["batch_id", "loaded_at", "source_file"]
MARKER = "planted-by-test_incremental"


def staged(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select * exclude ({', '.join(LOAD_COLUMNS)}) from {STAGING} order by event_id"
        ).df()


def plant_marker(warehouse: Path, day: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"update {STAGING} set source_file = '{MARKER}' "
            f"where event_id = (select min(event_id) from {STAGING} where partition_date = date '{day}')"
        )


def marker_survives(warehouse: Path) -> bool:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return (
            con.execute(f"select count(*) from {STAGING} where source_file = ?", [MARKER]).fetchone()[0] == 1
        )


def test_new_day_rerun_and_late_day_equal_a_full_rebuild(tmp_path):
    landing = tmp_path / "landing"
    generate(landing, **SMALL_LANDING)
    days = sorted(p.name.removeprefix("dt=") for p in (landing / "workflow_events").iterdir())
    first, late, new = days[0], days[len(days) // 2], days[-1]

    full = new_home(tmp_path / "full")
    code, log = full.run(landing, "full")
    assert code == 0, log
    expected = snapshot(full.warehouse)
    expected_staged = staged(full.warehouse)

    partial = copy_landing(landing, tmp_path / "partial")
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
    plant_marker(home.warehouse, first)

    def deliver(day: str) -> None:
        for source_dir in (held_back / day).iterdir():
            shutil.move(source_dir, partial / source_dir.name / f"dt={day}")

    deliver(new)
    for step in ("new_day", "same_day_again"):
        code, log = home.run(partial, step, partition=new)
        assert code == 0, log
        assert marker_survives(home.warehouse), f"{step}: an untouched partition was rebuilt"
    deliver(late)
    code, log = home.run(partial, "late_day", partition=late)
    assert code == 0, log
    assert marker_survives(home.warehouse), "late day: an untouched partition was rebuilt"

    actual = snapshot(home.warehouse)
    marts = sorted(name for name in expected if name.startswith("marts."))
    assert marts and sorted(name for name in actual if name.startswith("marts.")) == marts
    for name in marts:
        pd.testing.assert_frame_equal(actual[name], expected[name], rtol=1e-9, atol=1e-9, obj=name)
    pd.testing.assert_frame_equal(staged(home.warehouse), expected_staged, obj=STAGING)

    # A full refresh (after a change of a model's definition) rebuilds every partition.
    code, log = home.run(partial, "full_refresh", options=["--full-refresh"])
    assert code == 0, log
    assert not marker_survives(home.warehouse), "--full-refresh left an old partition in place"
    pd.testing.assert_frame_equal(staged(home.warehouse), expected_staged, obj=STAGING)
