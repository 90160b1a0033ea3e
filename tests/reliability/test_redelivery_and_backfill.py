"""Deliveries repeated and delivered late give the figures of a clean build: nothing double-counted.

One warehouse goes through three runs: a full run of a landing where one day (D) is missing and
another day (E) carries a second copy of its file; a backfill run with ``--partition D`` once D has
landed; and a run re-delivering E unchanged. The reference is one clean run over the same data.
"""

import json
import shutil

import duckdb
import pandas as pd
import pytest

from tests.reliability.conftest import assert_same, copy_landing, new_home, snapshot

pytestmark = pytest.mark.integration

DUPLICATE_REASON = "duplicate key (event_id) within the delivery"


def plain_days(landing) -> list[str]:
    """Workflow-event days delivered as plain CSV with no planted defect or re-delivery."""
    truth = json.loads((landing / "ground_truth.json").read_text())["workflow_events"]
    special = {path.split("/")[1] for paths in truth["special_files"].values() for path in paths}
    days = sorted(p.name for p in (landing / "workflow_events").iterdir() if p.name not in special)
    return [d.removeprefix("dt=") for d in days]


def counts(snap: dict) -> dict[str, int]:
    return dict(snap["raw row counts"].itertuples(index=False))


def test_duplicate_file_redelivery_and_backfill_equal_a_clean_build(small_landing, reference, tmp_path):
    days = plain_days(small_landing)
    late, doubled = days[len(days) // 2], days[len(days) // 3]
    landing = copy_landing(small_landing, tmp_path / "landing")
    held_back = tmp_path / "held_back"
    held_back.mkdir()
    for source in ("workflow_events", "ai_usage", "survey_responses", "observations"):
        folder = landing / source / f"dt={late}"
        if folder.is_dir():
            shutil.move(folder, held_back / source)
    day_file = landing / "workflow_events" / f"dt={doubled}" / "events.csv"
    shutil.copy(day_file, day_file.with_name("events_copy.csv"))
    copied_rows = len(pd.read_csv(day_file))
    home = new_home(tmp_path / "home")

    code, log = home.run(landing, "without_late_day")
    assert code == 0, log
    before = counts(snapshot(home.warehouse))
    assert before["workflow_events"] < counts(reference)["workflow_events"], "day D is not loaded yet"

    for source_dir in held_back.iterdir():
        shutil.move(source_dir, landing / source_dir.name / f"dt={late}")
    code, log = home.run(landing, "backfill", partition=late)
    assert code == 0, log
    backfilled = snapshot(home.warehouse)
    extra_quarantine = {"quarantine": copied_rows, "load_audit": 1}
    expected_counts = {t: n + extra_quarantine.get(t, 0) for t, n in counts(reference).items()}
    assert counts(backfilled) == expected_counts
    assert_same(
        {k: v for k, v in reference.items() if k.startswith("marts.")},
        {k: v for k, v in backfilled.items() if k.startswith("marts.")},
    )

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        quarantined = con.execute(
            "select reason, count(*) from raw.quarantine where source_file like '%events_copy.csv' group by 1"
        ).fetchall()
    assert quarantined == [(DUPLICATE_REASON, copied_rows)], "every row of the second copy is a duplicate"

    code, log = home.run(landing, "same_day_again", partition=doubled)
    assert code == 0, log
    assert_same(backfilled, snapshot(home.warehouse))
