"""Write adapted events to a landing root in the contract layout, one file per UTC event date."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from value_pipeline.adapters.base import CONTRACT

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_UTC_TEXT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$"
# Optional contract columns (e.g. activity) may be absent: the loader reads them as NULL.
REQUIRED_COLUMNS = [c.name for c in CONTRACT.columns if c.required]


def write_workflow_events(df: pd.DataFrame, landing_root: Path, source_name: str) -> dict:
    """Write ``landing_root/workflow_events/dt=YYYY-MM-DD/<source_name>.csv`` by UTC event date.

    The source's files from an earlier run in partitions this run no longer fills are removed, so a
    re-run never leaves stale events behind. Each file is written beside its target and renamed, so a
    reader never sees half a file. Returns files written, rows, date range and stale files removed.
    """
    if not _SAFE_NAME.match(source_name):
        raise ValueError(f"source name {source_name!r} must be a plain file name (letters, digits, _ . -)")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{source_name}: events lack required contract column(s) {missing}")
    not_utc = ~df["event_ts"].astype("string").str.match(_UTC_TEXT, na=False)
    if not_utc.any():
        example = df.loc[not_utc, "event_ts"].iloc[0]
        raise ValueError(
            f"{source_name}: {int(not_utc.sum())} event_ts values are not ISO 8601 UTC, e.g. {example!r}"
        )

    folder = Path(landing_root) / CONTRACT.folder
    dates = df["event_ts"].str.slice(0, 10)
    written: list[Path] = []
    for day, part in df.groupby(dates, sort=True):
        target = folder / f"dt={day}" / f"{source_name}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        part.to_csv(partial, index=False, lineterminator="\n")
        os.replace(partial, target)
        written.append(target)
    kept = set(written)
    stale = [p for p in folder.glob(f"dt=*/{source_name}.csv") if p not in kept]
    for path in stale:
        path.unlink()
    return {
        "source_name": source_name,
        "folder": str(folder),
        "files": len(written),
        "rows": len(df),
        "first_date": written[0].parent.name[3:] if written else None,
        "last_date": written[-1].parent.name[3:] if written else None,
        "stale_files_removed": len(stale),
    }
