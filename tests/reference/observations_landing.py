"""Published data as observations files, loaded by the real landing loader (the estimator tests)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from value_pipeline.contracts import load_contracts
from value_pipeline.landing import load_source


def land_observations(rows: pd.DataFrame, root: Path, *, earliest: str | None = None) -> tuple:
    """Write ``rows`` (the observations contract's columns) as one file under ``root`` and load it:
    (the load result, the loaded rows of raw.observations with ``observed_on`` as timestamps)."""
    folder = root / "observations" / "dt=2026-01-01"
    folder.mkdir(parents=True)
    rows.to_csv(folder / "observations.csv", index=False)
    con = duckdb.connect()
    result = load_source(
        con, root, load_contracts()["observations"], source_time_zone="UTC", earliest=earliest
    )
    loaded = con.sql(
        "select unit_id, group_name, period, observed_on, metric_value from raw.observations"
    ).df()
    con.close()
    return result, loaded.assign(observed_on=pd.to_datetime(loaded["observed_on"]))
