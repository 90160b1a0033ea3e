"""The ingest assets in a real in-process Dagster run: files not loaded are in the run's metadata,
a refused file fails the run, and the reconciliation check compares the files' own lines."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from value_pipeline.defs.ingest import RECONCILIATION_CHECK, contract_assets, registry
from value_pipeline.defs.resources import LandingResource, WarehouseResource

ROSTER = (
    "user_id,team,ai_eligible,start_date,role,end_date\n"
    "u1,cs_amer,true,2024-01-01,agent,\n\nu2,cs_amer,false,2024-02-01,agent,\n"
)


def materialize_roster(landing: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    roster = next(a for a in contract_assets if a.key.path[-1] == "hr_roster")
    return dg.materialize(
        [registry, roster],
        resources={
            "landing": LandingResource(root=str(landing)),
            "warehouse": WarehouseResource(path=str(warehouse)),
        },
        raise_on_error=False,
    )


def test_run_metadata_lists_files_not_loaded_and_the_check_counts_lines(landing: Path, tmp_path: Path):
    folder = landing / "hr_roster" / "dt=2025-05-01"
    folder.mkdir(parents=True)
    (folder / "roster.csv").write_text(ROSTER)
    (folder / "_SUCCESS").write_text("")
    (landing / "notes.txt").write_text("delivered by HR")

    result = materialize_roster(landing, tmp_path / "warehouse.duckdb")

    assert result.success
    events = {e.asset_key.path[-1]: e for e in result.get_asset_materialization_events()}
    roster = events["hr_roster"].materialization.metadata
    assert "hr_roster/dt=2025-05-01/_SUCCESS" in roster["files_not_loaded"].value
    assert "notes.txt" in events["registry_settings"].materialization.metadata["files_not_loaded"].value
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == RECONCILIATION_CHECK and check.passed
    # Four lines: header, a row, a blank line, a row; two of them hold rows.
    assert (check.metadata["data_lines"].value, check.metadata["landed"].value) == (2, 2)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select file_lines, non_data_lines from raw.load_audit").fetchall() == [(4, 2)]


def test_a_refused_file_outside_the_contract_folders_fails_the_run(landing: Path, tmp_path: Path):
    misspelt = landing / "hr_rooster" / "dt=2025-05-01"
    misspelt.mkdir(parents=True)
    (misspelt / "roster.csv").write_text(ROSTER)

    result = materialize_roster(landing, tmp_path / "warehouse.duckdb")

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.step_failure_data.error)
    assert "hr_rooster/dt=2025-05-01/roster.csv" in message and "did you mean 'hr_roster'" in message
