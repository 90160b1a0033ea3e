"""Any CSV event log (one row per event) -> ``workflow_events`` through a configured column mapping.

``columns`` maps contract columns to source columns: ``case_id`` and ``event_ts`` are required,
``event_id``, ``actor_id``, ``team``, ``priority`` and ``activity`` optional. The event type comes from the
values of ``event_type_columns`` joined with ``" / "`` (e.g. ``"Completed / Resolved"``) through
``event_type_map`` (unmapped: ``default_event_type``), then the sequence rules of
:func:`value_pipeline.adapters.base.apply_event_rules`. Without an ``event_id`` column the id is
``<case_id>:<n>``, n = the row's 1-based position among its case's rows in the file. Rows without a
case id or a readable timestamp are dropped and counted. The ``activity`` column keeps the source's own
name for the step: the mapped ``activity`` column, else the joined ``event_type_columns`` value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from value_pipeline.adapters.base import (
    EVENT_TYPES,
    AdapterConfigError,
    apply_event_rules,
    assign_actor_types,
    check_map_values,
    finish,
    map_values,
    parse_timestamps,
    require_columns,
    summarise,
)

REQUIRED = ("case_id", "event_ts")
OPTIONAL = ("event_id", "actor_id", "team", "priority", "activity")
STATUS_SEPARATOR = " / "


def adapt_csv(
    path: Path,
    *,
    use_case_id: str,
    columns: Mapping[str, str],
    event_type_columns: Sequence[str],
    event_type_map: Mapping[str, str] | None = None,
    default_event_type: str = "worked",
    time_zone: str = "UTC",
    timestamp_format: str = "ISO8601",
    priority_map: Mapping[str, str] | None = None,
    actor_types: Mapping[str, str] | None = None,
    default_actor_type: str = "human",
    first_event_opened: bool = True,
    reopen_after_resolution: bool = False,
    automation_event_type: str | None = "automated_step",
    keep_columns: Sequence[str] = (),
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> tuple[pd.DataFrame, dict]:
    """Map a CSV event log onto ``workflow_events`` rows plus stats.

    ``priority_map`` translates source priorities (e.g. impact ``Major`` -> ``P1``); without it the
    values pass through. ``keep_columns`` are source columns carried as extra columns.
    """
    path = Path(path)
    unknown = set(columns) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise AdapterConfigError(f"{path}: columns maps unknown contract column(s) {sorted(unknown)}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise AdapterConfigError(f"{path}: columns must map {missing}")
    event_type_map = dict(event_type_map or {})
    check_map_values(event_type_map, EVENT_TYPES, f"{path}: event_type_map")
    check_map_values({"default_event_type": default_event_type}, EVENT_TYPES, str(path))

    raw = pd.read_csv(path, dtype=str, keep_default_na=False, sep=delimiter, encoding=encoding)
    needed = {source: target for target, source in columns.items()}
    needed |= {c: "event_type" for c in event_type_columns} | {c: "extra column" for c in keep_columns}
    require_columns(raw.columns, needed, path)
    rows_read = len(raw)
    dropped: dict[str, int] = {}

    case_id = raw[columns["case_id"]].str.strip()
    no_case = case_id.eq("")
    dropped["no case id"] = int(no_case.sum())
    ts, unreadable = parse_timestamps(raw[columns["event_ts"]], timestamp_format, time_zone)
    dropped["missing timestamp"] = int((ts.isna() & ~unreadable & ~no_case).sum())
    dropped["unreadable timestamp"] = int((unreadable & ~no_case).sum())
    if "event_id" in columns:
        event_id = raw[columns["event_id"]].str.strip()
    else:
        event_id = case_id + ":" + (raw.groupby(case_id).cumcount() + 1).astype(str)
    keep = ~no_case & ts.notna()

    parts = [raw[c].str.strip() for c in event_type_columns]
    status = parts[0].str.cat(parts[1:], sep=STATUS_SEPARATOR) if len(parts) > 1 else parts[0]
    explicit = status.isin(list(event_type_map))

    def optional(name: str) -> pd.Series | None:
        if name not in columns:
            return None
        return raw[columns[name]].str.strip().replace("", pd.NA).astype("string")

    events = pd.DataFrame(
        {
            "event_id": event_id,
            "case_id": case_id,
            "use_case_id": use_case_id,
            "event_type": status.map(event_type_map).astype("string").fillna(default_event_type),
            "event_ts": ts,
            "actor_id": optional("actor_id"),
            "team": optional("team"),
            "priority": optional("priority"),
            "activity": optional("activity") if "activity" in columns else status,
            **{c: raw[c] for c in keep_columns},
            "_order": range(rows_read),
        }
    ).loc[keep]
    explicit = explicit.loc[keep]
    if priority_map is not None:
        events["priority"] = map_values(events["priority"], priority_map, f"{path}: priority_map")
    events["actor_type"] = assign_actor_types(events["actor_id"], actor_types, default_actor_type, str(path))
    events["event_type"] = apply_event_rules(
        events,
        explicit=explicit,
        first_event_opened=first_event_opened,
        reopen_after_resolution=reopen_after_resolution,
        automation_event_type=automation_event_type,
    )
    out = finish(events, list(keep_columns), str(path))
    stats = summarise(out, rows_read, dropped)
    stats["rows_mapped_explicitly"] = int(explicit.sum())
    return out, stats
