"""XES event logs (IEEE 1849) -> ``workflow_events``, parsed as a stream with the standard library.

Mapping: trace ``concept:name`` -> case_id; event ``concept:name`` (the activity) -> event_type through
the configured ``activity_map`` (unmapped activities: ``default_event_type``); ``time:timestamp`` ->
event_ts; ``org:resource`` -> actor_id, and actor_type through ``actor_types`` (resource -> type);
the activity is kept in the contract's ``activity`` column and ``lifecycle:transition`` in ``lifecycle``.
``event_id`` = ``<case_id>:<n>``, n = the event's 1-based position in its trace. The sequence rules of
:func:`value_pipeline.adapters.base.apply_event_rules` then set ``opened`` / ``automated_step`` /
``reopened``. Events without a readable timestamp and traces without a name are dropped and counted.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

from value_pipeline.adapters.base import (
    EVENT_TYPES,
    apply_event_rules,
    assign_actor_types,
    check_map_values,
    finish,
    parse_timestamps,
    summarise,
)

EXTRA_COLUMNS: list[str] = []
_EVENT_KEYS = {
    "concept:name": "activity",
    "time:timestamp": "timestamp",
    "org:resource": "resource",
    "lifecycle:transition": "lifecycle",
}


_CHUNK_BYTES = 1 << 20


class _XesTarget:
    """Parser target that keeps only what the mapping needs: no element tree is ever built."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.case_id: str | None = None
        self.trace_events: list[dict] = []
        self.event: dict | None = None
        self.ready: list[dict] = []

    def start(self, tag: str, attrib: dict) -> None:
        tag = tag.rsplit("}", 1)[-1]
        parent = self.stack[-1] if self.stack else None
        self.stack.append(tag)
        if tag == "trace":
            self.case_id, self.trace_events = None, []
        elif tag == "event" and parent == "trace":
            self.event = {}
        elif parent == "event" and self.event is not None and attrib.get("key") in _EVENT_KEYS:
            self.event[_EVENT_KEYS[attrib["key"]]] = attrib.get("value")
        elif parent == "trace" and attrib.get("key") == "concept:name":
            self.case_id = attrib.get("value")

    def end(self, tag: str) -> None:
        tag = self.stack.pop()
        if tag == "event" and self.event is not None:
            self.trace_events.append(self.event)
            self.event = None
        elif tag == "trace":
            self.ready.extend(
                {"case_id": self.case_id, "event_index": index, **attributes}
                for index, attributes in enumerate(self.trace_events, start=1)
            )
            self.trace_events = []

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def iter_xes_events(path: Path) -> Iterator[dict]:
    """Yield one dict per event: case_id, event_index (1-based in its trace), activity, timestamp
    (text as written), resource, lifecycle; a trace without ``concept:name`` yields case_id None.

    Memory stays flat: the file is fed to the parser in chunks and each trace is released once read.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    target = _XesTarget()
    parser = ET.XMLParser(target=target)
    with opener(path, "rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            parser.feed(chunk)
            yield from target.ready
            target.ready = []
    parser.close()
    yield from target.ready


def adapt_xes(
    path: Path,
    *,
    use_case_id: str,
    time_zone: str = "UTC",
    activity_map: Mapping[str, str] | None = None,
    default_event_type: str = "worked",
    actor_types: Mapping[str, str] | None = None,
    default_actor_type: str = "human",
    first_event_opened: bool = True,
    reopen_after_resolution: bool = False,
    automation_event_type: str | None = "automated_step",
    team: str | None = None,
    priority: str | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Map an XES log onto ``workflow_events`` rows plus stats.

    ``team`` / ``priority`` are constants for the whole log (XES has no standard attribute for them).
    """
    path = Path(path)
    activity_map = dict(activity_map or {})
    check_map_values(activity_map, EVENT_TYPES, f"{path}: activity_map")
    check_map_values({"default_event_type": default_event_type}, EVENT_TYPES, str(path))
    columns = ["case_id", "event_index", *_EVENT_KEYS.values()]
    raw = pd.DataFrame.from_records(iter_xes_events(path), columns=columns)
    rows_read = len(raw)
    dropped: dict[str, int] = {}

    unnamed = raw["case_id"].isna()
    dropped["trace without concept:name"] = int(unnamed.sum())
    raw = raw.loc[~unnamed]
    ts, unreadable = parse_timestamps(raw["timestamp"], "ISO8601", time_zone, missing=("",))
    no_ts = ts.isna()
    dropped["missing time:timestamp"] = int((no_ts & ~unreadable).sum())
    dropped["unreadable time:timestamp"] = int(unreadable.sum())
    raw = raw.loc[~no_ts]

    activity = raw["activity"].astype("string")
    explicit = activity.isin(list(activity_map))
    events = pd.DataFrame(
        {
            "event_id": raw["case_id"] + ":" + raw["event_index"].astype(str),
            "case_id": raw["case_id"],
            "use_case_id": use_case_id,
            "event_type": activity.map(activity_map).astype("string").fillna(default_event_type),
            "event_ts": ts.loc[raw.index],
            "actor_id": raw["resource"].astype("string"),
            "team": team,
            "priority": priority,
            "activity": activity,
            "lifecycle": raw["lifecycle"],
            "_order": range(len(raw)),
        }
    )
    events["actor_type"] = assign_actor_types(events["actor_id"], actor_types, default_actor_type, str(path))
    events["event_type"] = apply_event_rules(
        events,
        explicit=explicit,
        first_event_opened=first_event_opened,
        reopen_after_resolution=reopen_after_resolution,
        automation_event_type=automation_event_type,
    )
    out = finish(events, EXTRA_COLUMNS, str(path))
    stats = summarise(out, rows_read, dropped)
    stats["events_without_resource"] = int(out["actor_id"].isna().sum())
    stats["activities_mapped_explicitly"] = int(explicit.sum())
    return out, stats
