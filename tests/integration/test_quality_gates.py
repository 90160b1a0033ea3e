"""The GX checks in the demo run, and what a failing one reports and blocks (on copies of the warehouse)."""

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from value_pipeline.contracts import load_contracts
from value_pipeline.defs import checks, quality
from value_pipeline.defs.dbt import dbt_cli_resource, dbt_models, dbt_statistics_marts
from value_pipeline.defs.lifecycle import commitment_forecasts
from value_pipeline.defs.publish import published_marts
from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.defs.value_chains import value_chain_estimates
from value_pipeline.quality.expectations import checked_suites, load_suite

pytestmark = pytest.mark.integration

METADATA = {
    "suite",
    "rows_validated",
    "expectations_evaluated",
    "expectations_failed",
    "unexpected_values",
    "failing_expectations",
    "sample_rows",
    "validation_seconds",
}


def _copy(settings, tmp_path: Path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.warehouse_path, target)
    return target


def test_every_gx_check_ran_and_passed_in_the_demo_run(demo_run):
    evaluations = {
        e.asset_key: e for e in demo_run.get_asset_check_evaluations() if e.check_name == quality.CHECK_NAME
    }
    expected = {dg.AssetKey(["raw", c.raw_table]) for c in load_contracts().values()} | {
        dg.AssetKey(s["meta"]["asset_key"]) for s in checked_suites()
    }
    assert set(evaluations) == expected
    for key, evaluation in evaluations.items():
        assert evaluation.passed, (key, evaluation.metadata["failing_expectations"].value)
        assert set(evaluation.metadata) >= METADATA, key
        assert evaluation.metadata["rows_validated"].value > 0, key
        assert evaluation.metadata["expectations_failed"].value == 0, key


def test_a_corrupted_mart_fails_its_check_with_the_expectation_and_sample_rows(settings, demo_run, tmp_path):
    con = duckdb.connect(str(_copy(settings, tmp_path)))
    con.execute(
        "update marts.kpi_scorecard set actual_value = 1.7 where rowid = (select min(rowid) "
        "from marts.kpi_scorecard where kpi_id = 'sla_compliance')"
    )
    scope_id = con.execute("select scope_id from marts.kpi_scorecard where actual_value = 1.7").fetchone()[0]
    result = quality.run_suite(con, load_suite("mart__kpi_scorecard"), "marts.kpi_scorecard")
    con.close()

    check = quality.check_result(result, dg.AssetKey(["marts", "kpi_scorecard"]))
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    [failure] = result.failures
    assert failure.expectation == "expect_column_values_to_be_between"
    assert failure.kwargs["column"] == "actual_value" and failure.unexpected_count == 1
    assert check.metadata["expectations_failed"].value == 1
    assert "ratio KPIs are shares in [0, 1]" in check.metadata["failing_expectations"].value
    assert f"| {scope_id} |" in check.metadata["sample_rows"].value
    assert "| 1.7 |" in check.metadata["sample_rows"].value


def test_a_failing_int_cases_check_blocks_the_statistics_and_the_marts_after_them(
    settings, demo_run, tmp_path
):
    path = _copy(settings, tmp_path)
    # A case as a faulty model would build it (the suite validates the cases built since it passed).
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update intermediate.int_cases set resolved_at = opened_at - interval 2 hour, cycle_hours = -2, "
            "built_at = timestamp '2100-01-01' "
            "where case_id = (select min(case_id) from intermediate.int_cases where resolved_at is not null)"
        )
    [gate] = [c for c in quality.defs.asset_checks if c.node_def.name == "gx_dbt_models"]
    result = dg.materialize(
        [dbt_models, value_chain_estimates, commitment_forecasts, dbt_statistics_marts, gate],
        selection=dg.AssetSelection.assets(*value_chain_estimates.keys, *dbt_statistics_marts.keys)
        | dg.AssetSelection.checks(*gate.check_keys),
        resources={"warehouse": WarehouseResource(path=str(path)), "dbt": dbt_cli_resource()},
        raise_on_error=False,
    )

    assert not result.success
    failed = {e.asset_key for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {dg.AssetKey(["intermediate", "int_cases"])}
    assert result.is_node_failed("gx_dbt_models")
    # Neither the statistics asset nor the step of the marts after it ran on the bad cases.
    assert result.is_node_untouched("stats__value_chain_estimates")
    assert result.is_node_untouched("dbt_statistics_marts")
    assert result.get_asset_materialization_events() == []


def test_a_fact_that_lost_rows_since_the_previous_run_blocks_publishing(
    settings, demo_run, tmp_path, monkeypatch
):
    monkeypatch.setenv("VALUE_PIPELINE_SERVING", str(tmp_path / "serving"))
    path = _copy(settings, tmp_path)
    with duckdb.connect(str(path)) as con:
        now = con.execute("select count(*) from marts.fct_kpi_daily").fetchone()[0]
        # The previous run counted 25% more rows: the fact lost 20% of them since.
        con.execute(
            "insert into audit.row_count_history values "
            "('marts.fct_kpi_daily', 'an earlier run', cast(current_timestamp as timestamp), ?)",
            [now * 5 // 4],
        )
    volume_checks = checks.fact_row_counts
    result = dg.materialize(
        [dbt_models, dbt_statistics_marts, published_marts, volume_checks],
        selection=dg.AssetSelection.assets(published_marts.key)
        | dg.AssetSelection.checks(*volume_checks.check_keys),
        resources={"warehouse": WarehouseResource(path=str(path)), "dbt": dbt_cli_resource()},
        raise_on_error=False,
    )

    assert not result.success
    evaluations = {e.asset_key: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {dg.AssetKey(key) for key in checks.GUARDED_FACTS}
    failed = evaluations.pop(dg.AssetKey(["marts", "fct_kpi_daily"]))
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.metadata["row_count"].value == now
    assert failed.metadata["previous_row_count"].value == now * 5 // 4
    assert failed.metadata["drop"].value == "20.0%"
    assert all(e.passed for e in evaluations.values())
    assert result.is_node_untouched("serving__published_marts")
    assert not (tmp_path / "serving").exists()
    with duckdb.connect(str(path)) as con:
        counted = con.execute(
            "select count(*) from audit.row_count_history where run_id = ?", [result.run_id]
        ).fetchone()[0]
    assert counted == len(checks.GUARDED_FACTS)
