"""Fail on engine-specific SQL and contract types in the dbt project (see docs/engines.md).

The models must run unchanged on DuckDB, PostgreSQL, Spark/Databricks, Snowflake and BigQuery. Each
rule below names SQL that broke on at least one of them and the portable spelling to use instead.
Engine-specific SQL belongs in the adapter-specific implementations of an ``adapter.dispatch``
macro (``{% macro postgres__name(...) %}``, ``default__name``): those bodies are not checked.

Usage: ``python -m value_pipeline.lint.portable_sql dbt_project/models dbt_project/macros ...``
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# (rule id, pattern, what to write instead)
RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "double-colon-cast",
        re.compile(r"(?<!:)::(?!:)"),
        "cast(x as type) with dbt.type_*() or type_double()",
    ),
    ("qualify", re.compile(r"\bqualify\b", re.I), "a window in a CTE and a where clause"),
    ("median", re.compile(r"\bmedian\s*\(", re.I), "percentile_cont(0.5) within group (order by x)"),
    (
        "quantile",
        re.compile(r"\b(quantile_cont|quantile_disc|quantile|percentile|approx_quantile)\s*\(", re.I),
        "percentile_cont(p) within group (order by x)",
    ),
    (
        "generate-series",
        re.compile(r"\b(generate_series|range|unnest|explode)\s*\(", re.I),
        "integer_range() / date_spine() (macros/cross_db/date_spine.sql)",
    ),
    ("string-agg", re.compile(r"\b(string_agg|group_concat|listagg)\s*\(", re.I), "dbt.listagg()"),
    (
        "date-format",
        re.compile(r"\b(strftime|strptime|to_char|date_format|format_date)\s*\(", re.I),
        "dates as date columns; text via cast(x as dbt.type_string())",
    ),
    (
        "float-type",
        re.compile(r"\bas\s+(double(\s+precision)?|float[48]?|real|float64)\b", re.I),
        "cast(x as {{ type_double() }})",
    ),
    (
        "string-type",
        re.compile(r"\bas\s+(varchar|text|string|char)\b(?!\s*\()", re.I),
        "cast(x as {{ dbt.type_string() }})",
    ),
    (
        "decimal-without-scale",
        re.compile(r"\bas\s+(numeric|decimal|number)\b(?!\s*\(\s*\d+\s*,\s*\d+\s*\))", re.I),
        "decimal(p, s) with both numbers (Spark rounds a bare numeric to an integer)",
    ),
    (
        "raw-date-function",
        re.compile(
            r"\b(datediff|date_diff|dateadd|date_add|date_sub|timestampdiff|timestamp_diff|"
            r"date_trunc|last_day|age|epoch|unix_micros|unix_timestamp|to_timestamp)\s*\(",
            re.I,
        ),
        "dbt.datediff / dbt.dateadd / dbt.date_trunc / dbt.last_day or macros/cross_db",
    ),
    (
        "extract-part",
        re.compile(r"\bextract\s*\(\s*(epoch|dow|isodow|doy|week|isoyear)\b", re.I),
        "seconds_between() / iso_week_start() (macros/cross_db)",
    ),
    (
        "integer-division",
        re.compile(r"/\s*\d+(?![\d.eE])"),
        "divide by a decimal literal (7.0) or cast one side to type_double()",
    ),
    ("try-cast", re.compile(r"\btry_cast\s*\(", re.I), "dbt.safe_cast()"),
    ("null-function", re.compile(r"\b(ifnull|nvl|nvl2|iff|if)\s*\(", re.I), "coalesce() / case when"),
    ("filter-clause", re.compile(r"\bfilter\s*\(\s*where\b", re.I), "sum(case when ... then 1 else 0 end)"),
    ("by-all", re.compile(r"\b(group|order)\s+by\s+all\b", re.I), "list the columns"),
    ("star-modifier", re.compile(r"\*\s*(exclude|except|replace)\s*\(", re.I), "list the columns"),
    ("ilike", re.compile(r"\bilike\b", re.I), "lower(x) like 'pattern'"),
    ("now", re.compile(r"\bnow\s*\(", re.I), "current_timestamp"),
]

# Contract types every engine spells the same way; any other type is written per engine in Jinja
# (``{{ {'postgres': 'double precision', 'bigquery': 'float64'}.get(target.type, 'double') }}``).
PORTABLE_CONTRACT_TYPES = {"bigint", "integer", "boolean", "date", "timestamp"}
_DATA_TYPE = re.compile(r"^\s*data_type:\s*(.+?)\s*$")
_DECIMAL = re.compile(r"decimal\(\s*\d+\s*,\s*\d+\s*\)")

_DISPATCH_IMPLEMENTATION = re.compile(r"{%-?\s*macro\s+\w+__\w+\s*\(.*?{%-?\s*endmacro\s*-?%}", re.S | re.I)
_JINJA_COMMENT = re.compile(r"{#.*?#}", re.S)
_JINJA = re.compile(r"{{.*?}}|{%.*?%}", re.S)
_SQL_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    rule: str
    text: str
    hint: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.text.strip()}  -> use {self.hint}"


def _blank(match: re.Match[str]) -> str:
    """The match with everything but newlines blanked out, so line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def checked_text(sql: str) -> str:
    """``sql`` with what is not checked blanked out: dispatch implementations, Jinja, comments and
    string literals (their words are data, not SQL)."""
    for pattern in (_JINJA_COMMENT, _DISPATCH_IMPLEMENTATION, _JINJA, _SQL_COMMENT, _STRING):
        sql = pattern.sub(_blank, sql)
    return sql


def check_sql(sql: str, path: Path = Path("<sql>")) -> list[Finding]:
    """Every engine-specific construct in one SQL file's text."""
    text = checked_text(sql)
    original = sql.splitlines()
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for rule, pattern, hint in RULES:
            if pattern.search(line):
                findings.append(Finding(path, number, rule, original[number - 1], hint))
    return findings


def check_yaml(text: str, path: Path = Path("<yml>")) -> list[Finding]:
    """Every contract ``data_type`` that some engine spells differently (double, varchar, ...)."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _DATA_TYPE.match(line)
        if not match:
            continue
        value = match.group(1).strip("\"'").strip()
        if "{{" in value or value.lower() in PORTABLE_CONTRACT_TYPES or _DECIMAL.fullmatch(value.lower()):
            continue
        findings.append(
            Finding(path, number, "contract-type", line, "a per-engine Jinja type (docs/engines.md)")
        )
    return findings


def project_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_dir():
            yield from sorted(p for p in root.rglob("*") if p.suffix in {".sql", ".yml", ".yaml"})
        else:
            yield root


def check_file(path: Path) -> list[Finding]:
    text = path.read_text()
    return check_sql(text, path) if path.suffix == ".sql" else check_yaml(text, path)


def main(argv: list[str] | None = None) -> int:
    roots = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    if not roots:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    findings = [f for path in project_files(roots) for f in check_file(path)]
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} engine-specific construct(s): see docs/engines.md", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
