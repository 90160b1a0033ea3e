"""Great Expectations suites and the code that runs them on small pandas frames (no Dagster here).

Suites are hand-written JSON files under ``expectations/`` in GX's own suite format. GX owns the
distribution and anomaly rules (``value_pipeline/quality/anomalies.py`` builds the frames they
validate: a source's daily profile, the KPIs' latest months, each row with its learned band); the
contract rules are enforced at landing and the model rules are dbt tests (docs/quality_checks.md).

GX takes seconds to import, so it is imported on the first validation only and one ephemeral context
serves every validation of the process.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from value_pipeline.config import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SAMPLE_ROWS = 5


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict:
    return json.loads(suite_path(name).read_text())


@dataclass(frozen=True)
class Failure:
    """One failing expectation: what it checks, how often it failed and a few offending rows."""

    expectation: str
    kwargs: dict
    guards: str
    unexpected_count: int | None
    observed: str | None
    sample_rows: tuple[dict, ...]


@dataclass(frozen=True)
class SuiteResult:
    """The outcome of one suite on one frame."""

    suite: str
    success: bool
    rows: int
    evaluated: int
    failures: tuple[Failure, ...]
    seconds: float

    def failures_markdown(self) -> str:
        if not self.failures:
            return "every expectation passed"
        lines = ["| expectation | arguments | unexpected | observed | guards |", "|---|---|---|---|---|"]
        for f in self.failures:
            unexpected = "" if f.unexpected_count is None else str(f.unexpected_count)
            lines.append(
                f"| {f.expectation} | {_cell(_short_kwargs(f.kwargs))} | {unexpected} | "
                f"{_cell(f.observed or '')} | {_cell(f.guards)} |"
            )
        return "\n".join(lines)

    def samples_markdown(self) -> str:
        blocks = [
            f"**{f.expectation}** ({_cell(_short_kwargs(f.kwargs))})\n\n{_markdown_rows(f.sample_rows)}"
            for f in self.failures
            if f.sample_rows
        ]
        return "\n\n".join(blocks) or "no failing rows"


def _short_kwargs(kwargs: Mapping) -> str:
    return json.dumps(kwargs, default=str)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def _markdown_rows(rows: Sequence[Mapping]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(str(r[c])) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


@cache
def _batch_definition():
    # Set before GX is imported: it reads the switch at import time.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def validate(frame: pd.DataFrame, suite: Mapping, samples: int = SAMPLE_ROWS) -> SuiteResult:
    """Run ``suite`` on ``frame`` with GX Core; failures carry up to ``samples`` offending rows."""
    import great_expectations as gx

    started = time.perf_counter()
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    # GX takes ownership of what it is given: hand it a copy so the suite dict stays as loaded.
    gx_suite = gx.ExpectationSuite(
        name=suite["name"], expectations=json.loads(json.dumps(suite["expectations"]))
    )
    result = batch.validate(
        gx_suite,
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": samples,
            "include_unexpected_rows": True,
        },
    )
    failures = tuple(_failure(r, samples) for r in result.results if not r.success)
    return SuiteResult(
        suite=suite["name"],
        success=bool(result.success),
        rows=len(frame),
        evaluated=len(result.results),
        failures=failures,
        seconds=time.perf_counter() - started,
    )


def _failure(result, samples: int) -> Failure:
    config = result.expectation_config
    details = result.result or {}
    rows = details.get("unexpected_rows")
    sample_rows = (
        tuple({k: _plain(v) for k, v in r.items()} for r in rows.head(samples).to_dict("records"))
        if isinstance(rows, pd.DataFrame)
        else ()
    )
    observed = details.get("observed_value")
    if result.exception_info and result.exception_info.get("raised_exception"):
        observed = result.exception_info.get("exception_message")
    return Failure(
        expectation=config.type,
        kwargs={k: v for k, v in config.kwargs.items() if k != "batch_id"},
        guards=config.meta.get("guards", "") if config.meta else "",
        unexpected_count=details.get("unexpected_count"),
        observed=None if observed is None else str(observed),
        sample_rows=sample_rows,
    )
