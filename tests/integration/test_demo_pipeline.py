"""The small demo built through the Dagster job, checked against the generator's ground truth and pandas."""

import shutil
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
import pytest

from tests.integration.conftest import assert_same, snapshot
from value_pipeline.cli import run_job

MARTS = ["marts.kpi_scorecard", "marts.fct_kpi_daily", "marts.fct_kpi_monthly", "intermediate.int_cases"]


def failure_messages(result) -> str:
    """Every step failure of a run, with the exceptions that caused it."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                messages.append(error.message)
                error = error.cause
    return "\n".join(messages)


def naive_utc(series: pd.Series) -> pd.Series:
    """Timestamps as naive UTC, whether they arrive naive (warehouse) or zone-aware (pandas reference)."""
    series = pd.to_datetime(series)
    return series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz is not None else series


def raw_rows(con, table: str, partition: str) -> pd.DataFrame:
    return con.execute(
        f"select * exclude (_batch_id, _loaded_at) from raw.{table} where _partition_date = ? order by all",
        [partition],
    ).df()


def test_run_succeeds_with_every_asset_check_passing(demo_run):
    evaluations = demo_run.get_asset_check_evaluations()
    assert evaluations, "the run evaluated no asset check"
    failed = [
        e.asset_check_key.to_user_string()
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == []
    materialized = {m.asset_key.to_user_string() for m in demo_run.get_asset_materialization_events()}
    assert {"raw/workflow_events", "intermediate/int_cases", "marts/kpi_scorecard"} <= materialized


def test_freshness_is_reported_not_skipped(demo_run):
    """The demo's data ends on 2026-06-30: every event source is reported stale (a warning), never skipped."""
    freshness = [
        e for e in demo_run.get_asset_check_evaluations() if e.check_name == "yesterday_landed_on_time"
    ]
    assert {e.asset_key.path[-1] for e in freshness} == {
        "workflow_events",
        "ai_usage",
        "survey_responses",
        "observations",
    }
    for evaluation in freshness:
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.passed or evaluation.description.startswith("stale: dt=")


def test_counts_equal_the_generators_ground_truth(warehouse, ground_truth):
    events = ground_truth["workflow_events"]
    classes = events["rows_by_class"]
    landed = warehouse.execute("select count(*) from raw.workflow_events").fetchone()[0]
    quarantined = warehouse.execute(
        "select count(*) from raw.quarantine where source = 'workflow_events'"
    ).fetchone()[0]
    assert landed + quarantined == events["rows_written"]
    assert quarantined == events["rows_failing_contract"] + classes["duplicate_row_in_file"]
    staged = warehouse.execute("select count(*) from staging.stg_workflow_events__events").fetchone()[0]
    assert staged == events["valid_distinct_events"], "re-delivered events must count once"
    cases, resolved, touchless = warehouse.execute(
        "select count(*), count(resolved_at), sum(case when is_touchless then 1 else 0 end) "
        "from intermediate.int_cases"
    ).fetchone()
    assert (cases, resolved, touchless) == (
        events["cases"],
        events["resolved_cases"],
        events["touchless_cases"],
    )
    per_use_case = dict(
        warehouse.execute("select use_case_id, count(*) from intermediate.int_cases group by 1").fetchall()
    )
    assert per_use_case == {
        uc: truth["cases"] for uc, truth in ground_truth["use_cases"].items() if truth["cases"]
    }


def test_int_cases_equal_a_pandas_recomputation_from_the_landing_files(warehouse, reference):
    expected = reference["cases"].set_index("case_id").sort_index()
    actual = (
        warehouse.execute(
            "select case_id, use_case_id, team, priority, opened_at, resolved_at, cycle_hours, sla_hours, "
            "is_sla_met as sla_met, is_touchless, case_window as window from intermediate.int_cases"
        )
        .df()
        .set_index("case_id")
        .sort_index()
    )
    assert list(actual.index) == list(expected.index)
    for column in ("use_case_id", "team", "priority", "is_touchless", "sla_met", "window"):
        pd.testing.assert_series_equal(
            actual[column].astype(object), expected[column].astype(object), check_names=False
        )
    for column in ("opened_at", "resolved_at"):
        pd.testing.assert_series_equal(
            naive_utc(actual[column]), naive_utc(expected[column]), check_names=False, check_dtype=False
        )
    for column in ("cycle_hours", "sla_hours"):
        pd.testing.assert_series_equal(
            actual[column].astype(float), expected[column].astype(float), check_names=False, rtol=1e-9
        )


def test_quarantine_reconciles_per_file(warehouse):
    mismatches = warehouse.execute(
        """
        with raw_counts as (
            select 'workflow_events' as source, _source_file, count(*) as n
            from raw.workflow_events group by 2
            union all select 'ai_usage', _source_file, count(*) from raw.ai_usage group by 2
            union all select 'survey_responses', _source_file, count(*) from raw.survey_responses group by 2
            union all select 'observations', _source_file, count(*) from raw.observations group by 2
        ),
        quarantine_counts as (
            select source, source_file, count(*) as n from raw.quarantine group by 1, 2
        )
        select a.source, a.source_file
        from raw.load_audit as a
        left join raw_counts as r on r.source = a.source and r._source_file = a.source_file
        left join quarantine_counts as q on q.source = a.source and q.source_file = a.source_file
        where a.source in ('workflow_events', 'ai_usage', 'survey_responses', 'observations')
          and (a.landed_rows <> a.accepted_rows + a.quarantined_rows
               or a.accepted_rows <> coalesce(r.n, 0) or a.quarantined_rows <> coalesce(q.n, 0))
        """
    ).fetchall()
    assert mismatches == []


@pytest.mark.mutates_demo
def test_rerunning_a_partition_changes_nothing(settings, demo_run):
    import duckdb

    def state():
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            return {t: snapshot(con, t) for t in MARTS} | {
                "raw": raw_rows(con, "workflow_events", "2025-06-03")
            }

    before = state()
    assert run_job(settings, "2025-06-03").success
    assert_same(before, state())


@pytest.mark.mutates_demo
@pytest.mark.parametrize("problem", ["missing_column", "corrupt_xlsx"])
def test_file_level_errors_fail_the_run_and_keep_earlier_data(settings, demo_run, problem, tmp_path):
    import duckdb

    if problem == "missing_column":
        target = settings.landing_root / "workflow_events" / "dt=2025-06-10" / "events.csv"
        partition, expected = "2025-06-10", ["dt=2025-06-10/events.csv", "actor_type"]
    else:
        target = next((settings.landing_root / "finance").rglob("benefits.xlsx"))
        partition, expected = "2025-06-10", ["benefits.xlsx", "not a valid .xlsx"]
    backup = tmp_path / target.name
    shutil.copy(target, backup)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = {t: snapshot(con, t) for t in MARTS} | {"raw": raw_rows(con, "workflow_events", partition)}
    try:
        if problem == "missing_column":
            frame = pd.read_csv(target, dtype=str).drop(columns=["actor_type"])
            frame.to_csv(target, index=False)
        else:
            target.write_bytes(b"PK\x03\x04 truncated workbook")
        result = run_job(settings, partition)
    finally:
        shutil.copy(backup, target)
    assert not result.success
    messages = failure_messages(result)
    for fragment in expected:
        assert fragment in messages
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        after = {t: snapshot(con, t) for t in MARTS} | {"raw": raw_rows(con, "workflow_events", partition)}
    assert_same(before, after)


def test_definitions_schedule_and_sensor_evaluate(settings, ground_truth):
    from value_pipeline.definitions import defs
    from value_pipeline.defs.resources import LandingResource
    from value_pipeline.defs.sensors import RANGE_END_TAG, RANGE_START_TAG

    assert defs.resolve_job_def("value_pipeline_job") is not None
    repository = defs.get_repository_def()
    schedule = defs.resolve_schedule_def("nightly_value_pipeline")
    # The schedule asks the instance what changed (defs/selection.py): a new one has no nightly run
    # yet, so every asset of yesterday's partition (test_selection.py: the plan after a nightly run).
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 7, 1, 2, tzinfo=UTC),
            repository_def=repository,
        )
        requests = list(schedule.evaluate_tick(context).run_requests)
    assert [r.partition_key for r in requests] == ["2026-06-30"]
    assert requests[0].asset_selection is None

    # Nothing loaded yet in a new instance: the 546 days are one range run, not 546 runs
    # (tests/integration/test_sensor.py: nothing is requested once a run has loaded them).
    sensor = defs.resolve_sensor_def("new_partition_sensor")
    landing = {"landing": LandingResource(root=str(settings.landing_root))}
    with (
        dg.DagsterInstance.ephemeral() as instance,
        dg.build_sensor_context(instance=instance, resources=landing, repository_def=repository) as ctx,
    ):
        (request,) = sensor.evaluate_tick(ctx).run_requests
    assert request.tags[RANGE_START_TAG] == "2025-01-01" and request.tags[RANGE_END_TAG] == "2026-06-30"
