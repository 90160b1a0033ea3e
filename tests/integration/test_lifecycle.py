"""The value lifecycle marts on the demo warehouse against an independent pandas recomputation
(tests/reference/lifecycle.py), the forecast asset against value_pipeline.stats.forecast on that
history, a past scorecard reproduced as it was, and every stage present in the demo."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.reference.lifecycle import compute_lifecycle
from value_pipeline.config import DBT_PROJECT_DIR
from value_pipeline.stats.forecast import forecast_cumulative, increments_window, scaled_projection

DBT = str(Path(sys.executable).parent / "dbt")


@pytest.fixture(scope="module")
def as_of(settings, demo_run) -> pd.Timestamp:
    import duckdb

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return pd.Timestamp(
            con.execute("select as_of_date from intermediate.int_reporting_period").fetchone()[0]
        )


@pytest.fixture(scope="module")
def expected(settings, reference, as_of) -> dict:
    return compute_lifecycle(settings.landing_root, reference["monthly"], as_of)


def _frame(warehouse, sql: str) -> pd.DataFrame:
    return warehouse.execute(sql).df()


def test_value_realization_equals_the_reference(warehouse, expected):
    actual = (
        _frame(warehouse, "select * from marts.value_realization").set_index("commitment_id").sort_index()
    )
    ref = expected["commitments"].sort_index()
    assert list(actual.index) == list(ref.index)
    for column in (
        "committed_value",
        "glide_path_value",
        "value_tracked",
        "value_validated",
        "action_cost",
        "realized_value",
        "pct_of_promise",
        "leakage_value",
    ):
        pd.testing.assert_series_equal(actual[column], ref[column].astype(float), rtol=1e-9, obj=column)
    assert actual["version_number"].tolist() == ref["version_number"].tolist()
    assert actual["is_variance_alert"].tolist() == ref["is_variance_alert"].tolist()
    assert (
        actual["previous_target_value"].fillna(-1).tolist()
        == ref["previous_target_value"].fillna(-1).tolist()
    )


def test_leakage_causes_equal_the_reference_and_add_up(warehouse, expected):
    actual = _frame(
        warehouse, "select commitment_id, use_case_id, cause, leakage_value from marts.value_leakage"
    )
    keys = ["commitment_id", "use_case_id", "cause"]
    merged = actual.merge(expected["leakage"], on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    pd.testing.assert_series_equal(
        merged["leakage_value"], merged["leakage_value_ref"], rtol=1e-9, atol=1e-6, check_names=False
    )
    totals = actual.groupby("commitment_id")["leakage_value"].sum()
    ref = expected["commitments"]["glide_path_value"] - expected["commitments"]["realized_value"]
    pd.testing.assert_series_equal(totals.sort_index(), ref.sort_index(), rtol=1e-9, check_names=False)


def test_forecasts_equal_the_method_on_the_reference_history(warehouse, expected):
    stats = _frame(warehouse, "select * from stats.commitment_forecasts").set_index(
        ["commitment_id", "projection_kind"]
    )
    for commitment_id, row in expected["commitments"].iterrows():
        history = expected["histories"][commitment_id]
        f = forecast_cumulative(
            increments_window(history), sum(history), int(row["months_to_deadline"]), row["committed_value"]
        )
        got = stats.loc[(commitment_id, "deadline")]
        assert got["n_increments"] == f.n_increments
        for column, value in (
            ("current_value", f.current),
            ("forecast_value", f.point),
            ("forecast_low", f.low),
            ("forecast_high", f.high),
            ("probability_reaching_target", f.probability_reaching_target),
            ("value_at_risk", f.value_at_risk),
        ):
            if value is None:
                assert pd.isna(got[column]), (commitment_id, column)
            else:
                assert got[column] == pytest.approx(value, rel=1e-9, abs=1e-6), (commitment_id, column)
        for expansion in expected["registry"].get("expansions") or []:
            if expansion["commitment_id"] != commitment_id:
                continue
            point, low, high = scaled_projection(f, expansion["scale"], expansion["horizon_months"])
            got = stats.loc[(commitment_id, "expansion")]
            assert (got["forecast_value"], got["forecast_low"], got["forecast_high"]) == pytest.approx(
                (point, low, high), rel=1e-9
            )
    realization = _frame(warehouse, "select * from marts.value_realization").set_index("commitment_id")
    deadline = stats.xs("deadline", level="projection_kind")
    assert realization["forecast_value"].equals(deadline["forecast_value"].reindex(realization.index))


def test_every_stage_is_in_the_demo(warehouse):
    cases = _frame(warehouse, "select * from marts.value_lifecycle").set_index("hypothesis_id")
    assert set(cases["lifecycle_stage"]) == {"define", "commit", "execute", "prove_and_grow"}
    realization = _frame(warehouse, "select * from marts.value_realization").set_index("commitment_id")
    assert realization.loc["C-CS-VALUE", "is_restated"]
    assert (
        "Restated on 2026-01-01: target $1.25M -> $1.35M"
        in realization.loc["C-CS-VALUE", "restatement_sentence"]
    )
    assert (
        realization.loc["C-FIN-VALUE", "status"] == "at_risk"
        and realization.loc["C-FIN-VALUE", "is_variance_alert"]
    )
    proven = cases.loc["H-IT"]
    assert proven["lifecycle_stage"] == "prove_and_grow" and proven["evidence_grade"] == "before_after"
    assert proven["renewal_sentence"].startswith(
        "You have realized $714K (117% of target); expanding to EMEA"
    )
    assert pd.isna(cases.loc["H-ACME", "commitment_id"])
    summary = _frame(warehouse, "select * from marts.exec_summary")
    assert len(summary) == 1
    assert summary.loc[0, "committed_value"] == pytest.approx(realization["committed_value"].sum())
    assert summary.loc[0, "realized_value"] == pytest.approx(realization["realized_value"].sum())
    portfolio = _frame(warehouse, "select * from marts.success_portfolio").set_index("scope_id")
    assert (
        portfolio.loc["finance_ops", "health"] == "red" and portfolio.loc["acme_corp", "health"] == "prospect"
    )
    assert portfolio.loc["it_operations", "expansion_whitespace"] == pytest.approx(
        cases.loc["H-IT", "expansion_value"]
    )
    tracker = _frame(warehouse, "select * from marts.operator_tracker").set_index(
        ["commitment_id", "use_case_id"]
    )
    assert tracker.loc[("C-ACCESS-VALUE", "UC09"), "blocker"] == "not live yet"


def test_a_past_scorecard_shows_the_commitment_then_in_force(settings, demo_run, reference, tmp_path):
    """Before the restatement (as of 2025-12-31) C-CS-VALUE's target is the original one."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.warehouse_path, copy)
    env = {**os.environ, "VALUE_PIPELINE_WAREHOUSE": str(copy)}
    command = [DBT, "run", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--select", "int_reporting_period int_commitment_versions int_commitments_as_of"]
    command += ["--vars", "{as_of_date: 2025-12-31}", "--target-path", str(tmp_path / "target")]
    command += ["--log-path", str(tmp_path / "logs")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    import duckdb

    with duckdb.connect(str(copy), read_only=True) as con:
        past = (
            con.execute(
                "select commitment_id, version_number, target_value, deadline, glide_path_value"
                " from intermediate.int_commitments_as_of order by commitment_id"
            )
            .df()
            .set_index("commitment_id")
        )
    expected = compute_lifecycle(settings.landing_root, reference["monthly"], pd.Timestamp("2025-12-31"))
    assert past.loc["C-CS-VALUE", "version_number"] == 1
    assert past.loc["C-CS-VALUE", "target_value"] == 1250000.0
    assert str(past.loc["C-CS-VALUE", "deadline"])[:10] == "2026-06-30"
    assert "C-ACCESS-VALUE" not in past.index
    pd.testing.assert_series_equal(
        past["glide_path_value"].sort_index(),
        expected["commitments"]["glide_path_value"].sort_index(),
        rtol=1e-9,
        check_names=False,
    )
