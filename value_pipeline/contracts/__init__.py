"""Landing contracts: the machine-readable, versioned shape of every landing file.

The YAML files under ``v1/`` are the single source of truth; the loaders, ``value-pipeline
validate``, the Great Expectations suites and the contracts page of the docs all read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).parent / "v1"

COLUMN_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
}

# Load metadata appended to every raw contract table, in this order (see docs/architecture.md).
META_COLUMNS = (
    ("extra", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_line", "BIGINT"),
    ("_partition_date", "DATE"),
    ("_batch_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
)


@dataclass(frozen=True)
class Column:
    """One contract column."""

    name: str
    type: str
    required: bool
    description: str
    target: str
    enum: tuple[str, ...] = ()
    min: float | None = None
    exclusive_min: bool = False
    references: str | None = None
    first_of_month: bool = False
    currency: bool = False
    pseudonymise: bool = False
    # Plausible range of a date or timestamp (docs/bad_inputs.md): no earlier than ``earliest`` (an ISO
    # date; None = the registry's earliest date minus a few years) and no later than ``future`` (a
    # DuckDB interval) after the run's date.
    earliest: str | None = None
    future: str = "1 day"

    @property
    def sql_type(self) -> str:
        return COLUMN_TYPES[self.type]


@dataclass(frozen=True)
class RowRule:
    """A rule over several columns of one row, as a SQL boolean expression on typed values."""

    rule: str
    column: str
    reason: str


@dataclass(frozen=True)
class Contract:
    """The contract of one landing entity (a source folder, or one file stem of the finance folder)."""

    name: str
    version: int
    kind: str
    folder: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    file_stem: str | None = None
    row_rules: tuple[RowRule, ...] = field(default=())
    # Snapshot sources: a new delivery with quarantined rows is refused (``refuse``: the previous
    # delivery stays current and the load fails naming the rows) or loaded without them (``load``).
    on_quarantine: str = "load"

    @property
    def is_event_source(self) -> bool:
        return self.kind == "event"

    @property
    def raw_table(self) -> str:
        return self.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def raw_columns(self) -> list[tuple[str, str]]:
        """(name, SQL type) of the raw table: typed contract columns, then load metadata."""
        return [(c.target, c.sql_type) for c in self.columns] + list(META_COLUMNS)


COLUMN_KEYS = {
    "name",
    "type",
    "required",
    "description",
    "target",
    "enum",
    "min",
    "exclusive_min",
    "references",
    "first_of_month",
    "currency",
    "pseudonymise",
    "earliest",
    "future",
}
FUTURE_PATTERN = re.compile(r"^\d+ (day|month|year)s?$")


def _parse(path: Path) -> Contract:
    spec = yaml.safe_load(path.read_text())
    for c in spec["columns"]:
        # An unquoted comma in a YAML flow mapping silently splits a description into bogus keys.
        if unknown_keys := set(c) - COLUMN_KEYS:
            raise ValueError(f"{path}: column {c.get('name')!r} has unknown keys {sorted(unknown_keys)}")
        if c.get("type") not in {"date", "timestamp"} and {"earliest", "future"} & set(c):
            raise ValueError(f"{path}: column {c.get('name')!r}: earliest and future are for dates")
    columns = tuple(
        Column(
            name=c["name"],
            type=c["type"],
            required=bool(c.get("required", False)),
            description=c.get("description", ""),
            target=c.get("target", c["name"]),
            enum=tuple(c.get("enum", ())),
            min=c.get("min"),
            exclusive_min=bool(c.get("exclusive_min", False)),
            references=c.get("references"),
            first_of_month=bool(c.get("first_of_month", False)),
            currency=bool(c.get("currency", False)),
            pseudonymise=bool(c.get("pseudonymise", False)),
            earliest=_earliest(c.get("earliest"), path, c["name"]),
            future=_future(c.get("future", "1 day"), path, c["name"]),
        )
        for c in spec["columns"]
    )
    unknown = {c.type for c in columns} - COLUMN_TYPES.keys()
    if unknown:
        raise ValueError(f"{path}: unknown column type(s) {sorted(unknown)}")
    return Contract(
        name=spec["name"],
        version=int(spec["version"]),
        kind=spec["kind"],
        folder=spec["folder"],
        description=spec["description"],
        columns=columns,
        key=tuple(spec.get("key") or ()),
        file_stem=spec.get("file_stem"),
        row_rules=tuple(RowRule(**r) for r in spec.get("row_rules") or ()),
        on_quarantine=_on_quarantine(spec, path),
    )


def _on_quarantine(spec: dict, path: Path) -> str:
    default = "refuse" if spec["kind"] == "snapshot" else "load"
    value = spec.get("on_quarantine", default)
    if value not in {"refuse", "load"}:
        raise ValueError(f"{path}: on_quarantine must be refuse or load, not {value!r}")
    return value


def _earliest(value, path: Path, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise ValueError(f"{path}: column {name!r}: earliest {value!r} is not a date (YYYY-MM-DD)") from exc


def _future(value, path: Path, name: str) -> str:
    if not FUTURE_PATTERN.match(str(value)):
        raise ValueError(f"{path}: column {name!r}: future {value!r} is not like '1 day' or '5 years'")
    return str(value)


@cache
def load_contracts() -> dict[str, Contract]:
    """Every landing contract, by name, in a stable order."""
    return {c.name: c for c in (_parse(p) for p in sorted(CONTRACTS_DIR.glob("*.yml")))}
