"""Pure rules behind the freshness and volume checks (no Dagster, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Freshness:
    """Whether yesterday's partition of a source had landed when the check ran."""

    passed: bool
    due: date
    deadline_passed: bool
    latest: date | None
    message: str


def freshness(now_local: datetime, deadline_hour: int, partitions: list[date]) -> Freshness:
    """Yesterday's partition (in the schedule's zone) must be present once ``deadline_hour`` has passed.

    Before the deadline a missing partition is not yet late, so the check passes and says so.
    """
    due = now_local.date() - timedelta(days=1)
    latest = max(partitions) if partitions else None
    deadline_passed = now_local.hour >= deadline_hour
    if due in partitions:
        return Freshness(True, due, deadline_passed, latest, f"dt={due} has landed")
    if not deadline_passed:
        return Freshness(True, due, False, latest, f"dt={due} is not due before {deadline_hour:02d}:00")
    behind = f"the latest partition is dt={latest}" if latest else "nothing has landed yet"
    return Freshness(
        False, due, True, latest, f"stale: dt={due} had not landed by {deadline_hour:02d}:00; {behind}"
    )


@dataclass(frozen=True)
class VolumeChange:
    """A fact's row count against the previous run's."""

    passed: bool
    previous: int | None
    current: int
    drop: float | None


def volume_change(previous: int | None, current: int, max_drop: float = 0.15) -> VolumeChange:
    """Fail when the row count fell by more than ``max_drop`` since the previous run (growth is fine)."""
    if previous is None or previous == 0:
        return VolumeChange(True, previous, current, None)
    drop = (previous - current) / previous
    return VolumeChange(drop <= max_drop, previous, current, drop)
