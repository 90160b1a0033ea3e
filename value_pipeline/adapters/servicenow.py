"""ServiceNow incident audit-log export (one row per update of an incident) -> ``workflow_events``.

Mapping, per incident (``number`` = case_id):

* ``opened``: at ``opened_at``, actor ``opened_by``; team and priority as on the incident's first update.
* ``worked``: one per update row, at ``sys_updated_at``, actor ``sys_updated_by``, team
  (``assignment_group``) and priority as on that row; activity ``incident_state`` of the row, extra
  ``sys_mod_count``. ``event_id`` = ``<number>:update:<n>``, n = position of the row in the incident's
  update order (``sys_mod_count``, then file order).
* ``resolved``: at ``resolved_at`` when present, actor ``resolved_by``.
* ``closed``: at ``closed_at`` when present, actor ``sys_updated_by`` of the last update in state
  ``Closed`` (none when the export holds no such row).
  Resolved and closed events take team and priority from the latest update and carry ``made_sla``
  as on the latest update: the source's own SLA verdict, to reconcile the warehouse's SLA figure with.
  Only the latest value is a verdict: in the UCI export the flag turns false at the closing update
  (8,172 of the 8,174 incidents that ever show false), and final-false incidents took 429 h on
  average to resolve against 18 h for final-true ones, while earlier rows still say true.

The opened, resolved and closed events carry the activity ``Opened``, ``Resolved`` and ``Closed`` (the
field they come from). ``opened_at``, ``resolved_at`` and ``closed_at`` are read from the incident's
latest update (the export repeats the final values on every row). Events = update rows + incidents
(opened) + incidents with ``resolved_at`` + incidents with ``closed_at``, less what is dropped: rows
without an incident number, incidents whose ``opened_at`` is missing or unreadable (all their rows),
update rows whose ``sys_updated_at`` is unreadable; an unreadable ``resolved_at``/``closed_at`` drops
only that event. Every drop is counted in the stats by reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from value_pipeline.adapters.base import (
    assign_actor_types,
    finish,
    map_values,
    parse_timestamps,
    require_columns,
    summarise,
)

TIMESTAMP_FORMAT = "%d/%m/%Y %H:%M"
MISSING = "?"
CLOSED_STATE = "Closed"
EXTRA_COLUMNS = ["sys_mod_count", "made_sla"]
SOURCE_COLUMNS = {
    "number": "case_id",
    "incident_state": "activity",
    "sys_mod_count": "event order",
    "made_sla": "made_sla",
    "opened_at": "opened event_ts",
    "opened_by": "opened actor_id",
    "sys_updated_at": "worked event_ts",
    "sys_updated_by": "worked actor_id",
    "resolved_at": "resolved event_ts",
    "resolved_by": "resolved actor_id",
    "closed_at": "closed event_ts",
    "priority": "priority",
    "assignment_group": "team",
}


def parse_servicenow_timestamps(
    values: pd.Series, time_zone: str = "UTC", fmt: str = TIMESTAMP_FORMAT
) -> tuple[pd.Series, pd.Series]:
    """Read ``d/m/Y H:M`` local times (``?`` = missing) as UTC; returns (timestamps, unreadable)."""
    return parse_timestamps(values, fmt, time_zone, missing=("", MISSING))


def adapt_servicenow(
    path: Path,
    *,
    use_case_id: str,
    priority_map: Mapping[str, str],
    time_zone: str = "UTC",
    timestamp_format: str = TIMESTAMP_FORMAT,
    actor_types: Mapping[str, str] | None = None,
    default_actor_type: str = "human",
) -> tuple[pd.DataFrame, dict]:
    """Map a ServiceNow incident audit-log CSV onto ``workflow_events`` rows plus stats."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    require_columns(raw.columns, SOURCE_COLUMNS, path)
    rows_read = len(raw)
    raw = raw.assign(_file_order=range(rows_read))
    dropped: dict[str, int] = {}

    no_number = raw["number"].str.strip().isin(["", MISSING])
    dropped["no incident number"] = int(no_number.sum())
    rows = raw.loc[~no_number].copy()
    rows["_mod"] = pd.to_numeric(rows["sys_mod_count"], errors="coerce")
    rows = rows.sort_values(["number", "_mod", "_file_order"], kind="stable", na_position="last")
    rows["_update_no"] = rows.groupby("number").cumcount() + 1
    for column in ("opened_at", "resolved_at", "closed_at", "sys_updated_at"):
        rows[column + "_ts"], rows[column + "_bad"] = parse_servicenow_timestamps(
            rows[column], time_zone, timestamp_format
        )

    first = rows.groupby("number").head(1).set_index("number")
    latest = rows.groupby("number").tail(1).set_index("number")
    no_open = latest["opened_at_ts"].isna()
    dropped["incident without a readable opened_at (all its rows)"] = int(
        rows["number"].isin(latest.index[no_open]).sum()
    )
    latest = latest.loc[~no_open]
    first = first.loc[latest.index]
    rows = rows.loc[rows["number"].isin(latest.index)]

    closing = rows.loc[rows["incident_state"] == CLOSED_STATE].groupby("number").tail(1).set_index("number")
    incidents = latest.index.to_series()
    final = {
        "use_case_id": use_case_id,
        "team": latest["assignment_group"],
        "priority": latest["priority"],
        "made_sla": latest["made_sla"],
    }
    opened = pd.DataFrame(
        {
            "event_id": incidents + ":opened",
            "case_id": incidents,
            "use_case_id": use_case_id,
            "event_type": "opened",
            "activity": "Opened",
            "event_ts": latest["opened_at_ts"],
            "actor_id": latest["opened_by"],
            "team": first["assignment_group"],
            "priority": first["priority"],
        }
    )
    has_resolved = latest["resolved_at_ts"].notna()
    dropped["unreadable resolved_at (resolved event only)"] = int(latest["resolved_at_bad"].sum())
    resolved = pd.DataFrame(
        {
            "event_id": incidents + ":resolved",
            "case_id": incidents,
            "event_type": "resolved",
            "activity": "Resolved",
            "event_ts": latest["resolved_at_ts"],
            "actor_id": latest["resolved_by"],
            **final,
        }
    ).loc[has_resolved]
    has_closed = latest["closed_at_ts"].notna()
    dropped["unreadable closed_at (closed event only)"] = int(latest["closed_at_bad"].sum())
    closed = pd.DataFrame(
        {
            "event_id": incidents + ":closed",
            "case_id": incidents,
            "event_type": "closed",
            "activity": "Closed",
            "event_ts": latest["closed_at_ts"],
            "actor_id": closing["sys_updated_by"].reindex(incidents.index),
            **final,
        }
    ).loc[has_closed]
    dropped["unreadable sys_updated_at (worked event only)"] = int(rows["sys_updated_at_bad"].sum())
    updates = rows.loc[rows["sys_updated_at_ts"].notna()]
    worked = pd.DataFrame(
        {
            "event_id": updates["number"] + ":update:" + updates["_update_no"].astype(str),
            "case_id": updates["number"],
            "use_case_id": use_case_id,
            "event_type": "worked",
            "event_ts": updates["sys_updated_at_ts"],
            "actor_id": updates["sys_updated_by"],
            "team": updates["assignment_group"],
            "priority": updates["priority"],
            "activity": updates["incident_state"],
            "sys_mod_count": updates["sys_mod_count"],
        }
    )

    # Source order of an incident's events: opened, its updates in update order, resolved, closed.
    events = pd.concat([opened, worked, resolved, closed], ignore_index=True)
    events["_order"] = range(len(events))
    for column in ("actor_id", "team"):
        events[column] = events[column].astype("string").str.strip().replace({MISSING: pd.NA, "": pd.NA})
    events["priority"] = map_values(events["priority"], priority_map, f"{path}: priority_map")
    events["actor_type"] = assign_actor_types(events["actor_id"], actor_types, default_actor_type, str(path))
    out = finish(events, EXTRA_COLUMNS, str(path))

    stats = summarise(out, rows_read, dropped)
    opened_at = latest["opened_at_ts"]
    stats["incidents_without_resolved_at"] = int((~has_resolved).sum())
    stats["updates_before_opened_at"] = int(
        (updates["sys_updated_at_ts"] < updates["number"].map(opened_at)).sum()
    )
    return out, stats
