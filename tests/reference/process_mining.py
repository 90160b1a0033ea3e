"""Independent reading of an XES log's directly-follows relation, in plain Python (no pm4py, no pandas,
no SQL, nothing from value_pipeline).

A case is every trace with the same ``concept:name``; its events are ordered by ``time:timestamp``
(read as UTC), ties by their position in the file. Events without a timestamp are left out, as the
adapter and pm4py leave them out. A pair of consecutive events of a case is one directly-follows
occurrence; its wait is the later timestamp minus the earlier one.
"""

from __future__ import annotations

import gzip
import statistics
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

Event = tuple[datetime, str]  # (timestamp in UTC, activity)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _keyed(element: ET.Element) -> dict[str, str]:
    """The ``key -> value`` attributes directly under ``element`` (nested attributes are not read)."""
    return {child.get("key"): child.get("value") for child in element if child.get("key") is not None}


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_cases(path: Path) -> dict[str, list[Event]]:
    """case name -> its events in case order."""
    path = Path(path)
    cases: dict[str, list[Event]] = defaultdict(list)
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as stream:
        for _, element in ET.iterparse(stream, events=("end",)):
            if _local(element.tag) != "trace":
                continue
            name = _keyed(element).get("concept:name")
            for child in element:
                if _local(child.tag) != "event":
                    continue
                attributes = _keyed(child)
                if name is not None and attributes.get("time:timestamp"):
                    cases[name].append((_utc(attributes["time:timestamp"]), attributes["concept:name"]))
            element.clear()
    # sorted() is stable: events at the same instant stay in file order.
    return {name: sorted(events, key=lambda event: event[0]) for name, events in cases.items()}


def directly_follows(cases: dict[str, list[Event]]) -> Counter[tuple[str, str]]:
    """(from activity, to activity) -> occurrences."""
    return Counter((before[1], after[1]) for events in cases.values() for before, after in pairwise(events))


def median_waits_by_month(cases: dict[str, list[Event]]) -> dict[tuple[date, str, str], float]:
    """(month the case started, from, to) -> median wait in seconds over that month's cases."""
    waits: dict[tuple[date, str, str], list[float]] = defaultdict(list)
    for events in cases.values():
        month = events[0][0].date().replace(day=1)
        for before, after in pairwise(events):
            waits[month, before[1], after[1]].append((after[0] - before[0]).total_seconds())
    return {key: statistics.median(values) for key, values in waits.items()}
