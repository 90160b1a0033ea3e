"""Quiet runs: the progress logger prints one line per finished step of a real Dagster run."""

import re
from pathlib import Path

import dagster as dg

from value_pipeline.progress import DBT_STEPS, dbt_log_path, progress_logger, run_config

LINE = re.compile(r"^  (?P<step>\S+) +(?P<outcome>ok|failed|skipped) +(?P<seconds>\d+\.\d) s$")


@dg.op
def loads() -> int:
    return 1


@dg.op
def breaks(value: int) -> int:
    raise ValueError(f"landing file events.csv line {value}: unterminated quote\nsecond line of detail")


@dg.op
def never_runs(value: int) -> int:
    return value


@dg.job(logger_defs={"console": dg.colored_console_logger, "progress": progress_logger})
def small_job():
    never_runs(breaks(loads()))


def test_one_line_per_finished_step_and_the_error_of_a_failed_one(capsys):
    with dg.instance_for_test() as instance:
        result = small_job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
    assert not result.success
    out = capsys.readouterr().out.splitlines()
    steps = [LINE.match(line) for line in out if not line.startswith("    ")]
    assert all(steps), out
    assert [(m["step"], m["outcome"]) for m in steps] == [("loads", "ok"), ("breaks", "failed")]
    assert out[out.index(steps[1].string) + 1] == (
        "    ValueError: landing file events.csv line 1: unterminated quote"
    ), "a failed step's first error line follows it"
    assert len(out) == 3, "nothing but the step lines: Dagster's console logger is not configured"


def test_the_cli_run_config_is_quiet_unless_verbose(tmp_path: Path):
    log = dbt_log_path(tmp_path / "warehouse.duckdb", "run-1")
    assert log == tmp_path / "logs" / "run-1" / "dbt.log"
    quiet = run_config(full_refresh=True, verbose=False, dbt_log=log)
    assert quiet["loggers"] == {"progress": {}}
    assert quiet["ops"] == {s: {"config": {"full_refresh": True, "log_file": str(log)}} for s in DBT_STEPS}
    loud = run_config(full_refresh=False, verbose=True, dbt_log=None)
    assert loud["loggers"] == {"console": {"config": {"log_level": "INFO"}}}
    assert loud["ops"] == {s: {"config": {"full_refresh": False}} for s in DBT_STEPS}
    # A run that selects what changed configures only the dbt steps it has.
    subset = run_config(False, False, log, steps={"dbt_models", "raw__ai_usage"})
    assert subset["ops"].keys() == {"dbt_models"}
    assert run_config(False, False, log, steps=set())["ops"] == {}


class LockedWarehouse(dg.ConfigurableResource):
    """Stands for the warehouse resource when another run holds the lock: it cannot start."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        raise RuntimeError("the warehouse w is in use by another run (Dagster run 123)")


@dg.op
def needs_the_warehouse(warehouse: LockedWarehouse) -> int:
    return 1


@dg.job(
    logger_defs={"progress": progress_logger},
    resource_defs={"warehouse": LockedWarehouse()},
)
def locked_job():
    needs_the_warehouse()


def test_a_resource_that_cannot_start_is_said_once(capsys):
    """The refusal by the warehouse lock happens before any step: the quiet run still says why."""
    with dg.instance_for_test() as instance:
        result = locked_job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
    assert not result.success
    out = capsys.readouterr().out
    assert out.count("is in use by another run (Dagster run 123)") == 1, out
