"""Great Expectations suites and the code that runs them on pandas frames (no Dagster here).

Suites are JSON files under ``expectations/`` in GX's own suite format. The landing suites
(``landing__<contract>.json``) are generated from the contracts by ``landing_suite`` and committed;
``python -m value_pipeline.quality.expectations`` rewrites them and a unit test fails when they are
stale. The mart and intermediate suites are written by hand; their ``meta.asset_key`` names the
model they guard.

Values that change from run to run are suite parameters (``{"$PARAMETER": name}``), filled by
``suite_parameters``: the latest acceptable timestamp and date, and the registry ids a contract
column ``references``.

GX takes seconds to import, so it is imported on the first validation only and one ephemeral context
serves every validation of the process.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from value_pipeline.config import PROJECT_ROOT
from value_pipeline.contracts import Contract, load_contracts
from value_pipeline.landing.validation import CURRENCY_PATTERN

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SAMPLE_ROWS = 5
# The loader accepts timestamps up to a day ahead (source clocks drift); the suites allow the same.
FUTURE_TOLERANCE = timedelta(days=1)
# pandas dtypes of the contract types once read from DuckDB (dates arrive as datetime64 too).
DTYPES = {
    "string": "str",
    "timestamp": "datetime64",
    "date": "datetime64",
    "number": "float64",
    "boolean": "bool",
}

# GX forms of the contracts' row rules, keyed by the rule's SQL. A rule is SQL in its contract, so its
# GX form is written here once; generating a suite for a rule missing from this table fails.
ROW_RULES: dict[str, list[dict]] = {
    "end_date is null or end_date >= start_date": [
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {
                "column_A": "end_date",
                "column_B": "start_date",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "meta": {"guards": "an employee does not leave before starting"},
        }
    ],
    "scale_max > scale_min": [
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {
                "column_A": "scale_max",
                "column_B": "scale_min",
                "ignore_row_if": "either_value_is_missing",
            },
            "meta": {"guards": "a survey scale has a positive width (it divides the normalised score)"},
        }
    ],
    "score >= scale_min and score <= scale_max": [
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {
                "column_A": "score",
                "column_B": "scale_min",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "meta": {"guards": "a score is not below its scale"},
        },
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {
                "column_A": "scale_max",
                "column_B": "score",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "meta": {"guards": "a score is not above its scale"},
        },
    ],
    "(benefit_type = 'hours_saved') = (unit = 'hours')": [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {
                "column": "unit",
                "value_set": ["hours"],
                "row_condition": {
                    "type": "comparison",
                    "column": {"name": "benefit_type"},
                    "operator": "==",
                    "parameter": "hours_saved",
                },
            },
            "meta": {"guards": "hours saved are in hours (they are valued at the team's hourly cost)"},
        },
        {
            "type": "expect_column_values_to_not_be_in_set",
            "kwargs": {
                "column": "unit",
                "value_set": ["hours"],
                "row_condition": {
                    "type": "comparison",
                    "column": {"name": "benefit_type"},
                    "operator": "!=",
                    "parameter": "hours_saved",
                },
            },
            "meta": {"guards": "money benefits are in a currency, not hours"},
        },
    ],
    "use_case_id is not null or value_chain_id is not null": [
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {
                "column": "value_chain_id",
                "row_condition": {"type": "nullity", "column": {"name": "use_case_id"}, "is_null": True},
            },
            "meta": {"guards": "a cost belongs to a use case or a value chain"},
        }
    ],
}


def _expectation(kind: str, guards: str, **kwargs: Any) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"guards": guards}}


def landing_suite_name(contract: Contract) -> str:
    return f"landing__{contract.name}"


def landing_suite(contract: Contract) -> dict:
    """The suite of a raw contract table: the contract's columns, types and rules, re-checked on the
    rows the loader accepted (a failure means the loader let a bad row through)."""
    expectations = [
        _expectation(
            "expect_table_columns_to_match_ordered_list",
            "the raw table has the contract's columns in contract order, then the load metadata",
            column_list=[name for name, _ in contract.raw_columns()],
        )
    ]
    for column in contract.columns:
        name = column.target
        expectations.append(
            _expectation(
                "expect_column_values_to_be_of_type",
                f"{column.name} is typed as a {column.type}",
                column=name,
                type_=DTYPES[column.type],
            )
        )
        if column.required:
            expectations.append(
                _expectation("expect_column_values_to_not_be_null", f"{column.name} is required", column=name)
            )
        if column.enum:
            expectations.append(
                _expectation(
                    "expect_column_values_to_be_in_set",
                    f"{column.name} is one of the contract's values",
                    column=name,
                    value_set=list(column.enum),
                )
            )
        if column.min is not None:
            expectations.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    f"{column.name} is {'>' if column.exclusive_min else '>='} {column.min:g}",
                    column=name,
                    min_value=column.min,
                    strict_min=column.exclusive_min,
                )
            )
        if column.currency:
            expectations.append(
                _expectation(
                    "expect_column_values_to_match_regex",
                    f"{column.name} is an ISO 4217 code",
                    column=name,
                    regex=CURRENCY_PATTERN,
                )
            )
        if column.references:
            expectations.append(
                _expectation(
                    "expect_column_values_to_be_in_set",
                    f"{column.name} exists in the registry's {column.references}",
                    column=name,
                    value_set={"$PARAMETER": column.references},
                )
            )
        if column.type == "timestamp":
            expectations.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    f"{column.name} is not in the future (one day of clock skew allowed)",
                    column=name,
                    max_value={"$PARAMETER": "max_timestamp"},
                )
            )
    if contract.key:
        expectations.append(
            _expectation(
                "expect_compound_columns_to_be_unique",
                f"the key ({', '.join(contract.key)}) is unique within a delivery",
                column_list=["_partition_date", *(contract.column(k).target for k in contract.key)],
            )
        )
    for rule in contract.row_rules:
        if rule.rule not in ROW_RULES:
            raise ValueError(f"{contract.name}: row rule {rule.rule!r} has no GX form in ROW_RULES")
        expectations.extend(ROW_RULES[rule.rule])
    return {
        "name": landing_suite_name(contract),
        "meta": {
            "generated_from": f"value_pipeline/contracts/v1/{contract.name}.yml",
            "table": f"raw.{contract.raw_table}",
            "asset_key": ["raw", contract.raw_table],
        },
        "expectations": expectations,
    }


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def render_suite(suite: Mapping) -> str:
    return json.dumps(suite, indent=2) + "\n"


def load_suite(name: str) -> dict:
    return json.loads(suite_path(name).read_text())


def checked_suites() -> list[dict]:
    """Every hand-written suite (marts and intermediate models), in name order."""
    return [
        json.loads(p.read_text())
        for p in sorted(EXPECTATIONS_DIR.glob("*.json"))
        if not p.name.startswith("landing__")
    ]


def write_landing_suites() -> list[Path]:
    """Regenerate every landing suite from its contract."""
    paths = []
    for contract in load_contracts().values():
        path = suite_path(landing_suite_name(contract))
        path.write_text(render_suite(landing_suite(contract)))
        paths.append(path)
    return paths


def suite_parameters(now: datetime, reference_ids: Mapping[str, Sequence[str]] | None = None) -> dict:
    """Run-time values of the suites' ``$PARAMETER``s; ``now`` is naive UTC like the warehouse."""
    latest = pd.Timestamp(now + FUTURE_TOLERANCE)
    return {
        "max_timestamp": latest,
        "max_date": latest.normalize(),
        **{name: list(ids) for name, ids in (reference_ids or {}).items()},
    }


def suite_columns(suite: Mapping) -> set[str] | None:
    """The columns a suite reads (so a check selects only those), or None when it needs every column."""
    columns = set(suite.get("meta", {}).get("key", []))
    for expectation in suite["expectations"]:
        kwargs = expectation["kwargs"]
        if expectation["type"].startswith("expect_table_columns"):
            return None
        columns.update(kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs)
        columns.update(kwargs.get("column_list", []))
        # Column names inside a row condition are the values of its {"name": ...} objects.
        columns.update(re.findall(r'"name": "([^"]+)"', json.dumps(kwargs.get("row_condition"))))
    return columns


# Expectations GX evaluates row by row: their outcome on a table is the sum of their outcomes on
# any split of its rows. Uniqueness is exact on a split by the hash of the unique columns (every
# copy of a key lands in the same chunk); the column-list check sees the same columns in every chunk.
ROW_LOCAL = {
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_table_columns_to_match_ordered_list",
}
UNIQUENESS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
# Rows per validated pandas frame: bounds the memory of a check on a table of any size.
CHUNK_ROWS = 1_000_000


def chunk_columns(suite: Mapping) -> list[str] | None:
    """The columns whose hash splits a table into chunks that validate independently: the suite's
    unique key, or [] when it has none. None when the suite cannot be split (an aggregate
    expectation, or two different unique keys)."""
    keys = set()
    for expectation in suite["expectations"]:
        kind, kwargs = expectation["type"], expectation["kwargs"]
        if kind in UNIQUENESS:
            keys.add(tuple(kwargs.get("column_list") or [kwargs["column"]]))
        elif kind not in ROW_LOCAL:
            return None
    if len(keys) > 1:
        return None
    return list(next(iter(keys), ()))


def validate_table(
    con: duckdb.DuckDBPyConnection,
    suite: Mapping,
    table: str,
    where: str = "true",
    parameters: Mapping[str, Any] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> SuiteResult:
    """Validate the rows of ``table`` matching ``where``, reading only the columns the suite uses,
    at most about ``chunk_rows`` rows at a time (split by ``chunk_columns``)."""
    columns = suite_columns(suite)
    present = con.sql(f"select * from {table} limit 0").columns
    # Columns the suite names but the table lacks stay out of the select: GX reports them missing.
    selected = [c for c in present if columns is None or c in columns]
    select = f"select {', '.join(_quoted(c) for c in selected)} from {table} where ({where})"
    key = chunk_columns(suite)
    chunks = 1
    if key is not None:
        rows = con.execute(f"select count(*) from {table} where ({where})").fetchone()[0]
        chunks = -(-rows // chunk_rows)
    if chunks <= 1:
        return validate(read_frame(con.sql(select)), suite, parameters)
    in_key = [c for c in key if c in present]
    splits = _value_ranges(con, table, where, in_key[0], chunk_rows) if in_key else None
    if splits is None:
        hashed = ", ".join(_quoted(c) for c in (in_key or selected))
        splits = [f"hash({hashed}) % {chunks} = {i}" for i in range(chunks)]
    parts = [validate(read_frame(con.sql(f"{select} and {split}")), suite, parameters) for split in splits]
    return merge_results(parts)


# --- Rows built since the last passing validation ---------------------------------------------
# A suite whose meta names a ``built_at_column`` (the time the dbt run that wrote a row started) is
# validated on the rows written since its last passing validation with the same suite and the same
# registry ids, plus every other row of their keys (so uniqueness is still checked against the whole
# table). The mark is stored only when a validation passes: rows that failed are validated again
# next run. Time parameters stay out of the fingerprint: a later run only widens the bounds.

VALIDATIONS_DDL = """
create table if not exists audit.gx_validations (
    suite varchar, fingerprint varchar, validated_through timestamp, validated_at timestamp
)"""
TIME_PARAMETERS = {"max_timestamp", "max_date"}


def _create_validations_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists audit")
    con.execute(VALIDATIONS_DDL)


def suite_fingerprint(suite: Mapping, parameters: Mapping[str, Any]) -> str:
    """A digest of the suite and the parameters a later run could narrow (the registry ids)."""
    kept = {k: sorted(map(str, v)) for k, v in parameters.items() if k not in TIME_PARAMETERS}
    text = json.dumps({"suite": suite, "parameters": kept}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def validated_through(con: duckdb.DuckDBPyConnection, suite: str, fingerprint: str) -> datetime | None:
    """The latest ``built_at`` a passing validation of this suite and fingerprint covered."""
    _create_validations_table(con)
    return con.execute(
        "select max(validated_through) from audit.gx_validations where suite = ? and fingerprint = ?",
        [suite, fingerprint],
    ).fetchone()[0]


def record_validation(
    con: duckdb.DuckDBPyConnection, suite: str, fingerprint: str, through: datetime
) -> None:
    _create_validations_table(con)
    con.execute(
        "insert into audit.gx_validations values (?, ?, ?, cast(current_timestamp as timestamp))",
        [suite, fingerprint, through],
    )


def rows_built_since(suite: Mapping, table: str, through: datetime) -> str:
    """The rows of ``table`` built after ``through`` and every row sharing a key with one of them."""
    column = _quoted(suite["meta"]["built_at_column"])
    newer = f"{column} > timestamp '{through.isoformat(sep=' ')}'"
    key = chunk_columns(suite)
    if key is None:
        raise ValueError(f"{suite['name']}: an aggregate expectation needs every row, not the new ones")
    if not key:
        return newer
    columns = ", ".join(_quoted(c) for c in key)
    return f"{newer} or ({columns}) in (select {columns} from {table} where {newer})"


def validate_model(
    con: duckdb.DuckDBPyConnection,
    audit: duckdb.DuckDBPyConnection,
    suite: Mapping,
    parameters: Mapping[str, Any],
) -> tuple[SuiteResult, datetime | None]:
    """Validate a model's suite on the rows built since its last passing validation (the time it
    covered is returned, None for every row) when it names a ``built_at_column``, else on every row.
    ``con`` holds the table, ``audit`` the validation marks."""
    table = suite["meta"]["table"]
    column = suite["meta"].get("built_at_column")
    if column is None:
        return validate_table(con, suite, table, "true", parameters), None
    fingerprint = suite_fingerprint(suite, parameters)
    since = validated_through(audit, suite["name"], fingerprint)
    through = con.execute(f"select max({_quoted(column)}) from {table}").fetchone()[0]
    where = rows_built_since(suite, table, since) if since else "true"
    result = validate_table(con, suite, table, where, parameters)
    if result.success and through is not None:
        record_validation(audit, suite["name"], fingerprint, through)
    return result, since


# A key column with at most this many values splits by ranges of its values (see _value_ranges).
MAX_RANGE_VALUES = 100_000


def _value_ranges(
    con: duckdb.DuckDBPyConnection, table: str, where: str, column: str, chunk_rows: int
) -> list[str] | None:
    """Conditions that split the rows into ranges of ``column``'s values of about ``chunk_rows`` rows
    (all rows of one value in one range; NULLs in their own), or None when the column has too many
    values, a value with more than twice ``chunk_rows`` rows, or a value without a SQL literal. A
    range of a clustered column (the delivery date) reads only its own row groups, where a hash
    split reads the whole table once per chunk."""
    name = _quoted(column)
    counts = con.execute(
        f"select {name}, count(*) from {table} where ({where}) group by {name} order by {name} nulls first "
        f"limit {MAX_RANGE_VALUES + 1}"
    ).fetchall()
    if (
        len(counts) > MAX_RANGE_VALUES
        or any(count > 2 * chunk_rows for _, count in counts)
        or not all(_literal(v) for v, _ in counts if v is not None)
    ):
        return None
    splits: list[str] = []
    first = last = None
    rows = 0
    for value, count in counts:
        if value is None:
            splits.append(f"{name} is null")
            continue
        if first is not None and rows + count > chunk_rows:
            splits.append(f"{name} between {_literal(first)} and {_literal(last)}")
            first = None
        if first is None:
            first, rows = value, 0
        last, rows = value, rows + count
    if first is not None:
        splits.append(f"{name} between {_literal(first)} and {_literal(last)}")
    return splits


def _literal(value: Any) -> str | None:
    """``value`` as a SQL literal (a constant lets DuckDB skip row groups by their min/max), or None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str | date | datetime):
        return "'" + str(value).replace("'", "''") + "'"
    return None


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def merge_results(parts: Sequence[SuiteResult], samples: int = SAMPLE_ROWS) -> SuiteResult:
    """One suite's results on disjoint chunks of a table as its result on the whole table: an
    expectation fails when it fails in any chunk, with the chunks' unexpected counts added up."""
    merged: dict[str, Failure] = {}
    for part in parts:
        for f in part.failures:
            key = f"{f.expectation} {json.dumps(f.kwargs, sort_keys=True, default=str)}"
            if (seen := merged.get(key)) is None:
                merged[key] = f
                continue
            counts = [c for c in (seen.unexpected_count, f.unexpected_count) if c is not None]
            merged[key] = Failure(
                expectation=seen.expectation,
                kwargs=seen.kwargs,
                guards=seen.guards,
                unexpected_count=sum(counts) if counts else None,
                observed=seen.observed if seen.observed is not None else f.observed,
                sample_rows=(seen.sample_rows + f.sample_rows)[:samples],
            )
    return SuiteResult(
        suite=parts[0].suite,
        success=all(p.success for p in parts),
        rows=sum(p.rows for p in parts),
        evaluated=parts[0].evaluated,
        failures=tuple(merged.values()),
        seconds=sum(p.seconds for p in parts),
    )


def read_frame(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """A DuckDB relation as pandas, VARCHAR columns as pandas strings even when every value is NULL
    (DuckDB hands those over as ``object``, which would fail a string type expectation).

    The relation runs once, into Arrow. Strings become pandas strings straight from Arrow (DuckDB's
    own conversion builds a Python object per value: 2.6 s of a 760,000-row chunk, 0.1 s this way);
    every other column is converted by DuckDB as before, single-threaded so rows keep their order."""
    table = relation.to_arrow_table()
    types = zip(relation.columns, relation.types, strict=True)
    strings = [name for name, type_ in types if str(type_) == "VARCHAR"]
    others = table.drop_columns(strings)
    frame = pd.DataFrame(index=range(table.num_rows))
    if others.num_columns:
        with duckdb.connect(config={"threads": 1}) as local:
            frame = local.from_arrow(others).df()
    for name in strings:
        frame[name] = table[name].to_pandas(types_mapper=_string_dtype)
    return frame[list(relation.columns)]


def _string_dtype(arrow_type) -> pd.StringDtype | None:
    import pyarrow as pa

    text = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
    if any(is_text(arrow_type) for is_text in text):
        return pd.StringDtype(na_value=float("nan"))
    return None


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
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch under this size (an md5 over a hash of every row, twice per
    # validation: 2.3 s of a 760,000-row chunk's 8.7 s). The fingerprint only names a batch for
    # look-up, which these ephemeral validations never do.
    pandas_execution_engine.HASH_THRESHOLD = 0

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def validate(
    frame: pd.DataFrame,
    suite: Mapping,
    parameters: Mapping[str, Any] | None = None,
    samples: int = SAMPLE_ROWS,
) -> SuiteResult:
    """Run ``suite`` on ``frame`` with GX Core; failures carry up to ``samples`` offending rows.

    GX first only decides pass or fail; a failing frame is validated again for the unexpected
    values and rows, which cost three times the check itself (1.0 s against 0.3 s for the workflow
    events' suite on a 1M-row chunk)."""
    started = time.perf_counter()
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": _nanosecond_times(frame)})
    result = _gx_validate(batch, suite, {"result_format": "BOOLEAN_ONLY"}, parameters)
    if not result.success:
        details = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": samples,
            "include_unexpected_rows": True,
        }
        result = _gx_validate(batch, suite, details, parameters)
    failures = tuple(_failure(r, samples) for r in result.results if not r.success)
    return SuiteResult(
        suite=suite["name"],
        success=bool(result.success),
        rows=len(frame),
        evaluated=len(result.results),
        failures=failures,
        seconds=time.perf_counter() - started,
    )


def _gx_validate(batch, suite: Mapping, result_format: dict, parameters: Mapping[str, Any] | None):
    """One GX validation of ``batch`` against ``suite``, reporting in ``result_format``."""
    import great_expectations as gx

    # GX takes ownership of what it is given: hand it a copy so the suite dict stays as loaded.
    gx_suite = gx.ExpectationSuite(
        name=suite["name"], expectations=json.loads(json.dumps(suite["expectations"]))
    )
    return batch.validate(
        gx_suite, result_format=result_format, expectation_parameters=dict(parameters or {})
    )


def _nanosecond_times(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its datetime columns in nanoseconds where their values fit (1677 to 2262): GX
    compares those vectorised and other resolutions row by row in Python (4.4 s instead of 0.05 s
    for a 760,000-row ``expect_column_values_to_be_between`` on a timestamp)."""
    converted = {}
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_datetime64_dtype(dtype) and dtype != "datetime64[ns]":
            try:
                converted[name] = frame[name].astype("datetime64[ns]")
            except (OverflowError, pd.errors.OutOfBoundsDatetime):
                continue
    return frame.assign(**converted) if converted else frame


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


if __name__ == "__main__":
    for written in write_landing_suites():
        print(written.relative_to(PROJECT_ROOT))
