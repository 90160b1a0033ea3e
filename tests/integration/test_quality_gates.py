"""The quality checks in the demo run, and what a failing one reports and blocks (on copies of the
warehouse): GX's learned bands warn, the dbt tests that own the model rules block."""

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

pytestmark = pytest.mark.integration


def _copy(settings, tmp_path: Path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.warehouse_path, target)
    return target


def test_every_anomaly_check_ran_warning_only_and_passed_in_the_demo_run(demo_run):
    evaluations = {
        e.asset_key: e for e in demo_run.get_asset_check_evaluations() if e.check_name == quality.CHECK_NAME
    }
    sources = {dg.AssetKey(["raw", c.raw_table]) for c in load_contracts().values() if c.is_event_source}
    assert set(evaluations) == sources | {quality.KPI_MONTHLY}
    for key, evaluation in evaluations.items():
        assert evaluation.passed, (key, evaluation.metadata["sample_rows"].value)
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.metadata["values_outside_band"].value == 0
    # The daily sources and the KPIs have history enough for a band on every checked value.
    for key in (
        dg.AssetKey(["raw", "workflow_events"]),
        dg.AssetKey(["raw", "ai_usage"]),
        quality.KPI_MONTHLY,
    ):
        metadata = evaluations[key].metadata
        assert metadata["values_with_a_band"].value > 0, key
    events = evaluations[dg.AssetKey(["raw", "workflow_events"])].metadata
    assert events["values_still_learning"].value == 0
    assert events["partitions"].value == "2026-06-24 .. 2026-06-30"
    assert not any(spec.blocking for check in quality.defs.asset_checks for spec in check.check_specs)


def test_a_partial_delivery_and_a_column_gone_empty_warn_with_their_bands(settings, demo_run, tmp_path):
    """Nine in ten events of the newest day missing, and the team of the day before gone: each is a
    value outside its learned band, named with the day and the metric."""
    path = _copy(settings, tmp_path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "delete from raw.workflow_events "
            "where _partition_date = date '2026-06-30' and hash(event_id) % 10 <> 0"
        )
        con.execute("update raw.workflow_events set team = null where _partition_date = date '2026-06-29'")
        check = quality.source_anomalies(con, load_contracts()["workflow_events"])
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["values_outside_band"].value == 2
    samples = check.metadata["sample_rows"].value
    assert "| 2026-06-30 | row_count |" in samples
    assert "| 2026-06-29 | empty_share__team | 1.0 |" in samples
    assert "is not below the band learned from its history" in check.metadata["failing_expectations"].value


def _test_scorecard_after(settings, tmp_path: Path, monkeypatch, update: str) -> tuple[Path, list[dict]]:
    """dbt's tests of kpi_scorecard (failures stored) on a copy of the demo warehouse after ``update``:
    the copy and the tests' results."""
    path = _copy(settings, tmp_path)
    with duckdb.connect(str(path)) as con:
        con.execute(update)
    monkeypatch.setenv("VALUE_PIPELINE_WAREHOUSE", str(path))
    invocation = dbt_cli_resource().cli(
        ["test", "--select", "kpi_scorecard", "--exclude-resource-type", "unit_test", "--store-failures"],
        raise_on_error=False,
    )
    invocation.wait()
    results = invocation.get_artifact("run_results.json")["results"]
    return path, [r for r in results if r["unique_id"].startswith("test.")]


def test_a_corrupted_mart_fails_the_dbt_test_that_owns_the_rule(settings, demo_run, tmp_path, monkeypatch):
    _, tests = _test_scorecard_after(
        settings,
        tmp_path,
        monkeypatch,
        "update marts.kpi_scorecard set actual_value = 1.7 where rowid = (select min(rowid) "
        "from marts.kpi_scorecard where kpi_id = 'sla_compliance')",
    )
    failed = [r["unique_id"] for r in tests if r["status"] == "fail"]
    assert len(failed) == 1 and "kpi_scorecard_ratio_actual_value_is_a_share" in failed[0], failed
    assert len(tests) > 20 and all(r["status"] == "pass" for r in tests if r["unique_id"] not in failed)


def test_a_null_in_a_not_null_column_fails_the_model_test_naming_the_column(
    settings, demo_run, tmp_path, monkeypatch
):
    """A model's never-NULL columns are one test (not_null_columns): it fails, and its failing rows
    name the column and count its NULLs."""
    path, tests = _test_scorecard_after(
        settings,
        tmp_path,
        monkeypatch,
        "update marts.kpi_scorecard set scope_name = null "
        "where rowid = (select min(rowid) from marts.kpi_scorecard)",
    )
    failed = [r["unique_id"] for r in tests if r["status"] == "fail"]
    assert len(failed) == 1 and ".kpi_scorecard_not_null." in failed[0], failed
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select column_name, null_rows from dbt_test__audit.kpi_scorecard_not_null"
        ).fetchall()
    assert rows == [("scope_name", 1)]


def test_a_failing_int_cases_test_blocks_the_statistics_and_the_marts_after_them(
    settings, demo_run, tmp_path
):
    path = _copy(settings, tmp_path)
    # A case as a faulty model would build it (the tests read the cases built since they last passed).
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update intermediate.int_cases set resolved_at = opened_at - interval 2 hour, cycle_hours = -2, "
            "built_at = timestamp '2100-01-01' "
            "where case_id = (select min(case_id) from intermediate.int_cases where resolved_at is not null)"
        )
    int_cases = dg.AssetKey(["intermediate", "int_cases"])
    # The cases and the model the statistics read, rebuilt from them (dbt skips it after the failure).
    observations = dg.AssetKey(["intermediate", "int_value_chain_observations"])
    result = dg.materialize(
        [dbt_models, value_chain_estimates, commitment_forecasts, dbt_statistics_marts],
        selection=dg.AssetSelection.assets(
            int_cases, observations, *value_chain_estimates.keys, *dbt_statistics_marts.keys
        ),
        resources={"warehouse": WarehouseResource(path=str(path)), "dbt": dbt_cli_resource()},
        raise_on_error=False,
    )

    assert not result.success
    failed = {e.asset_check_key for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed and {key.asset_key for key in failed} == {int_cases}
    assert result.is_node_failed("dbt_models")
    # Neither the statistics asset nor the step of the marts after it ran on the bad cases.
    assert result.is_node_untouched("stats__value_chain_estimates")
    assert result.is_node_untouched("dbt_statistics_marts")


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
