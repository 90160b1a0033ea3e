"""Quiet runs: one line per finished step on the terminal, dbt's event stream in a log file.

``value-pipeline run`` and ``demo`` configure the ``progress`` logger (wired on the job in
``defs/jobs.py``) instead of Dagster's console logger, and point the dbt steps at a log file;
``--verbose`` keeps the console logger and dbt's stream on the terminal.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection
from pathlib import Path
from typing import IO, Any

import dagster as dg

# The job's dbt steps (value_pipeline/defs/dbt.py): their config takes the full-refresh switch and the log.
DBT_STEPS = ("dbt_models", "dbt_statistics_marts")


def dbt_log_path(warehouse_path: Path, run_id: str) -> Path:
    """Where a quiet run writes dbt's event stream: ``logs/<run_id>/dbt.log`` beside the warehouse file
    (so a landing root with a home of its own keeps its logs there too)."""
    return warehouse_path.parent / "logs" / run_id / "dbt.log"


def run_config(
    full_refresh: bool, verbose: bool, dbt_log: Path | None, steps: Collection[str] = DBT_STEPS
) -> dict[str, Any]:
    """The CLI's run configuration: the progress logger (or, ``verbose``, Dagster's console logger at
    INFO) and each dbt step's full-refresh switch and log file (none when ``verbose``); ``steps``: the
    dbt steps the run has (a run that selects what changed may have none)."""
    loggers = {"console": {"config": {"log_level": "INFO"}}} if verbose else {"progress": {}}
    step = {"full_refresh": full_refresh}
    if not verbose and dbt_log is not None:
        step["log_file"] = str(dbt_log)
    return {"loggers": loggers, "ops": {name: {"config": step} for name in DBT_STEPS if name in steps}}


def own_error_line(error: Any) -> str:
    """The first line of the first error in a chain that is not Dagster's wrapper (its own causes,
    e.g. the DuckDB error under a LandingError, say less)."""
    while error is not None and error.cls_name.startswith("Dagster") and error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines() if error is not None else []
    return lines[0] if lines else "no error message"


class StepLineHandler(logging.Handler):
    """Prints ``<step> ok|failed|skipped <seconds> s`` when a step ends (and a failed step's error), and
    the error of a failure outside any step (e.g. a resource that cannot start: the warehouse lock)."""

    def __init__(self, stream: IO[str]):
        super().__init__(level=logging.DEBUG)
        self.stream = stream
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if event is None:
            return
        if event.is_run_failure:
            data = event.job_failure_data
            # A failed step said its error on its line; a failure outside the steps (a resource that
            # cannot start, such as the refused warehouse lock) is said here.
            if data.error is not None and data.first_step_failure_event is None:
                self.stream.write(f"  run failed: {own_error_line(data.error)}\n")
                self.stream.flush()
            return
        if event.step_key is None:
            return
        if event.is_step_start:
            self.started[event.step_key] = record.created
            return
        if event.is_step_success:
            outcome, detail = "ok", ""
        elif event.is_step_failure:
            outcome, detail = "failed", f"\n    {own_error_line(event.step_failure_data.error)}"
        elif event.is_step_skipped:
            outcome, detail = "skipped", ""
        else:
            return
        seconds = record.created - self.started.pop(event.step_key, record.created)
        self.stream.write(f"  {event.step_key:<48} {outcome:<7} {seconds:7.1f} s{detail}\n")
        self.stream.flush()


@dg.logger(description="One line per finished step: name, ok/failed/skipped, seconds (value-pipeline run).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    # Not registered with logging.getLogger: each run gets its own logger and handler.
    logger = logging.Logger("value_pipeline.progress", level=logging.DEBUG)
    # The stream of the moment the run starts: a dbt step redirects sys.stdout to its log meanwhile.
    logger.addHandler(StepLineHandler(sys.stdout))
    return logger
