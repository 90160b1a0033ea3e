"""Shared building blocks of the source adapters: timestamps, value maps and event-type rules.

Every adapter ends with a frame of ``workflow_events`` contract columns (in contract order, all text,
``event_ts`` as ISO 8601 UTC ending in ``Z``) followed by any extra source columns, plus a stats dict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from value_pipeline.contracts import load_contracts

CONTRACT = load_contracts()["workflow_events"]
CONTRACT_COLUMNS = [c.name for c in CONTRACT.columns]
EVENT_TYPES = CONTRACT.column("event_type").enum
ACTOR_TYPES = CONTRACT.column("actor_type").enum
RESOLUTION_TYPES = frozenset({"resolved", "closed"})
# ISO 8601 strings that carry their own offset; the rest are read in the source time zone.
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


class AdapterConfigError(ValueError):
    """The adapter configuration does not fit the source (unknown adapter, option, column or value)."""


def require_columns(delivered: Iterable[str], needed: Mapping[str, str], path: Path) -> None:
    """Raise naming the file and column when a mapped source column is absent.

    ``needed`` maps source column -> what it feeds (e.g. ``"SR Number" -> "case_id"``).
    """
    present = set(delivered)
    for column, role in needed.items():
        if column not in present:
            raise AdapterConfigError(
                f"{path}: column {column!r} (mapped to {role}) not found; the file has {sorted(present)}"
            )


def check_map_values(mapping: Mapping[str, str], allowed: Iterable[str], what: str) -> None:
    """Configuration maps may only produce contract values (event types, actor types)."""
    allowed = tuple(allowed)
    for key, value in mapping.items():
        if value not in allowed:
            raise AdapterConfigError(
                f"{what}: {key!r} maps to {value!r}, which is not one of {list(allowed)}"
            )


def parse_timestamps(
    values: pd.Series, fmt: str, time_zone: str, missing: Iterable[str] = ("", "?")
) -> tuple[pd.Series, pd.Series]:
    """Parse text timestamps to tz-aware UTC.

    ``fmt`` is a strptime format or ``"ISO8601"``. Values without an offset are local times of
    ``time_zone``. Returns (timestamps, invalid) where ``invalid`` flags values that were present but
    could not be read (unparseable, or a local time that does not exist / is ambiguous at a DST change);
    missing markers become NaT without being flagged.
    """
    text = values.astype("string").str.strip()
    is_missing = text.isna() | text.isin(list(missing))
    text = text.mask(is_missing)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    aware = (
        text.str.contains(_HAS_OFFSET, na=False) if fmt == "ISO8601" else pd.Series(False, index=text.index)
    )
    if aware.any():
        result[aware] = pd.to_datetime(text[aware], format=fmt, utc=True, errors="coerce")
    naive = ~aware & ~is_missing
    if naive.any():
        local = pd.to_datetime(text[naive], format=fmt, errors="coerce")
        result[naive] = local.dt.tz_localize(time_zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert(
            "UTC"
        )
    return result, result.isna() & ~is_missing


def format_utc(ts: pd.Series) -> pd.Series:
    """ISO 8601 UTC text (``2016-02-29T01:16:00Z``); fractions of a second only when there are any."""
    whole = ts.dt.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = ts.dt.strftime(".%f").where(ts.dt.microsecond != 0, "")
    return whole + fraction + "Z"


def map_values(
    values: pd.Series, mapping: Mapping[str, str], what: str, missing: Iterable[str] = ("", "?")
) -> pd.Series:
    """Map source codes through a configured table; a present value the table lacks is a config error."""
    text = values.astype("string").str.strip()
    text = text.mask(text.isin(list(missing)))
    unmapped = sorted(set(text.dropna()) - set(mapping))
    if unmapped:
        raise AdapterConfigError(f"{what}: no mapping for value(s) {unmapped}")
    return text.map(mapping, na_action="ignore").astype("string")


def assign_actor_types(
    actor_ids: pd.Series, mapping: Mapping[str, str] | None, default: str, what: str
) -> pd.Series:
    """actor_type per event: the configured type of the actor id, else ``default``."""
    mapping = dict(mapping or {})
    check_map_values(mapping, ACTOR_TYPES, f"{what} actor_types")
    check_map_values({"default_actor_type": default}, ACTOR_TYPES, what)
    return actor_ids.astype(object).map(mapping).astype("string").fillna(default)


def apply_event_rules(
    events: pd.DataFrame,
    *,
    explicit: pd.Series,
    first_event_opened: bool,
    reopen_after_resolution: bool,
    automation_event_type: str | None,
) -> pd.Series:
    """Final event types of ``events`` (columns case_id, event_ts, _order, event_type, actor_type).

    * ``first_event_opened``: the earliest event of a case (ties: source order) is ``opened`` unless
      its activity is mapped explicitly.
    * ``automation_event_type``: events done by automation whose activity is not mapped explicitly
      get this type instead of the default (e.g. ``automated_step``).
    * ``reopen_after_resolution``: the first event after a ``resolved``/``closed`` event that is not
      itself a resolution is ``reopened``, so a case that ends active again counts as open.
    """
    order = events.sort_values(["case_id", "event_ts", "_order"], kind="stable").index
    ordered = events.loc[order]
    types = ordered["event_type"].copy()
    implicit = ~explicit.loc[order]
    if automation_event_type is not None:
        check_map_values({"automation_event_type": automation_event_type}, EVENT_TYPES, "event rules")
        types = types.mask(implicit & (ordered["actor_type"] == "automation"), automation_event_type)
    if first_event_opened:
        first = ~ordered["case_id"].duplicated()
        types = types.mask(first & implicit, "opened")
    if reopen_after_resolution:
        same_case = ordered["case_id"].eq(ordered["case_id"].shift())
        after_resolution = same_case & types.shift().isin(RESOLUTION_TYPES)
        types = types.mask(after_resolution & ~types.isin(RESOLUTION_TYPES), "reopened")
    return types.reindex(events.index)


def finish(events: pd.DataFrame, extra_columns: list[str], where: str) -> pd.DataFrame:
    """Contract columns in contract order, then extras; enum and key checks.

    Rows are sorted by time, case and the adapter's source order ``_order`` (not written): events of
    a case that share a timestamp keep the source's order, which the warehouse reads as the file's line
    order (an event_id sort would put ``c:10`` before ``c:2``).
    """
    bad_types = set(events["event_type"]) - set(EVENT_TYPES)
    if bad_types:
        raise AdapterConfigError(f"{where}: event types {sorted(bad_types)} are not in the contract")
    duplicated = events["event_id"].duplicated()
    if duplicated.any():
        example = events.loc[duplicated, "event_id"].iloc[0]
        raise ValueError(f"{where}: {int(duplicated.sum())} duplicate event_id values, e.g. {example!r}")
    out = events.sort_values(["event_ts", "case_id", "_order"], kind="stable").reset_index(drop=True)
    out["event_ts"] = format_utc(out["event_ts"])
    # Optional contract columns an adapter does not fill are written empty.
    return out.reindex(columns=CONTRACT_COLUMNS + extra_columns).astype("string")


def summarise(events: pd.DataFrame, rows_read: int, dropped: Mapping[str, int]) -> dict:
    """The stats every adapter returns (extended by adapter-specific counts)."""
    return {
        "rows_read": rows_read,
        "events": len(events),
        "cases": int(events["case_id"].nunique()),
        "rows_dropped": {reason: int(n) for reason, n in dropped.items() if n},
        "event_types": {k: int(v) for k, v in events["event_type"].value_counts().sort_index().items()},
        "actor_types": {k: int(v) for k, v in events["actor_type"].value_counts().sort_index().items()},
    }
