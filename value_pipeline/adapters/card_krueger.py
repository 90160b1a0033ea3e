"""Card & Krueger (1994) New Jersey / Pennsylvania fast-food survey -> ``observations`` rows.

The public file (``public.dat`` + ``codebook`` from David Card's data archive) is fixed-width with
``.`` for missing values, one line per store. Mapping, one row per store and wave with known FTE:

* unit_id ``<NJ|PA>-<sheet>``: the sheet number is not unique on its own (sheet 407 is both a
  Pennsylvania and a New Jersey store), so the state is part of the id.
* group ``treatment`` for New Jersey (state = 1), ``control`` for Pennsylvania; period ``pre`` for
  wave 1 (Feb-Mar 1992), ``post`` for wave 2 (Nov-Dec 1992); metric ``fte``.
* value = FTE = empft + nmgrs + 0.5 * emppt; missing when any part is missing (the paper's rule). The
  six permanently closed stores (status2 = 3) carry 0 in the file and keep it.
* ``closed_as_zero=True`` (Table 3 row 5): the four temporarily closed stores (status2 in 2, 4, 5)
  get wave-2 FTE 0 instead of missing.
* observed_on: wave 2 from date2 (MMDDYY); wave 1 has no date in the file. One store's date2 reads
  1991, a keying error, and is left empty rather than guessed.
"""

from __future__ import annotations

import datetime as dt_
from pathlib import Path

import pandas as pd

from value_pipeline.contracts import load_contracts

CONTRACT = load_contracts()["observations"]
CONTRACT_COLUMNS = [c.name for c in CONTRACT.columns]
METRIC = "fte"
TEMPORARILY_CLOSED = (2, 4, 5)

# (name, first column, last column), 1-based and inclusive as printed in the codebook.
LAYOUT = (
    ("sheet", 1, 3), ("chain", 5, 5), ("co_owned", 7, 7), ("state", 9, 9),
    ("southj", 11, 11), ("centralj", 13, 13), ("northj", 15, 15), ("pa1", 17, 17),
    ("pa2", 19, 19), ("shore", 21, 21), ("ncalls", 23, 24), ("empft", 26, 30),
    ("emppt", 32, 36), ("nmgrs", 38, 42), ("wage_st", 44, 48), ("inctime", 50, 54),
    ("firstinc", 56, 60), ("bonus", 62, 62), ("pctaff", 64, 68), ("meals", 70, 70),
    ("open", 72, 76), ("hrsopen", 78, 82), ("psoda", 84, 88), ("pfry", 90, 94),
    ("pentree", 96, 100), ("nregs", 102, 103), ("nregs11", 105, 106), ("type2", 108, 108),
    ("status2", 110, 110), ("date2", 112, 117), ("ncalls2", 119, 120), ("empft2", 122, 126),
    ("emppt2", 128, 132), ("nmgrs2", 134, 138), ("wage_st2", 140, 144), ("inctime2", 146, 150),
    ("firstin2", 152, 156), ("special2", 158, 158), ("meals2", 160, 160), ("open2r", 162, 166),
    ("hrsopen2", 168, 172), ("psoda2", 174, 178), ("pfry2", 180, 184), ("pentree2", 186, 190),
    ("nregs2", 192, 193), ("nregs112", 195, 196),
)  # fmt: skip


def read_card_krueger(path: str | Path) -> pd.DataFrame:
    """The store file as a frame, one row per store, codebook names in lower case."""
    frame = pd.read_fwf(
        path,
        colspecs=[(start - 1, end) for _, start, end in LAYOUT],
        names=[name for name, _, _ in LAYOUT],
        header=None,
        na_values=["."],
        keep_default_na=False,
        dtype={"date2": "string"},
    )
    if frame["sheet"].isna().any() or frame["state"].isna().any():
        raise ValueError(f"{path}: rows without a sheet number or state; is this the Card & Krueger file?")
    return frame


def _fte(frame: pd.DataFrame, suffix: str) -> pd.Series:
    # Plain arithmetic keeps NaN when any part is missing, as the paper does.
    return frame[f"empft{suffix}"] + frame[f"nmgrs{suffix}"] + 0.5 * frame[f"emppt{suffix}"]


def _wave2_dates(date2: pd.Series) -> pd.Series:
    dates = pd.to_datetime(date2, format="%m%d%y", errors="coerce")
    return dates.where(dates.dt.year == 1992).dt.strftime("%Y-%m-%d")


def to_observations(df: pd.DataFrame, value_chain_id: str, closed_as_zero: bool = False) -> pd.DataFrame:
    """Rows of the observations contract (contract column names and order) for each store and wave."""
    state = df["state"].astype(int)
    unit_id = state.map({1: "NJ", 0: "PA"}) + "-" + df["sheet"].astype(int).astype(str)
    group = state.map({1: "treatment", 0: "control"})
    post = _fte(df, "2")
    if closed_as_zero:
        post = post.mask(df["status2"].isin(TEMPORARILY_CLOSED), 0.0)
    waves = [
        pd.DataFrame({"unit_id": unit_id, "group": group, "period": "pre", "value": _fte(df, "")}),
        pd.DataFrame(
            {
                "unit_id": unit_id,
                "group": group,
                "period": "post",
                "value": post,
                "observed_on": _wave2_dates(df["date2"]),
            }
        ),
    ]
    rows = pd.concat(waves, ignore_index=True).dropna(subset=["value"])
    rows = rows.assign(value_chain_id=value_chain_id, metric=METRIC, weight=float("nan"))
    return rows.reindex(columns=CONTRACT_COLUMNS).reset_index(drop=True)


def write_observations_csv(
    rows: pd.DataFrame, landing_root: str | Path, value_chain_id: str, dt: str | dt_.date
) -> Path:
    """Write rows to ``<landing_root>/observations/dt=<dt>/<value_chain_id>.csv``; return the path."""
    if Path(value_chain_id).name != value_chain_id or value_chain_id in ("", ".", ".."):
        raise ValueError(f"value_chain_id {value_chain_id!r} cannot be used as a file name")
    day = dt_.date.fromisoformat(dt) if isinstance(dt, str) else dt
    if isinstance(day, dt_.datetime):
        day = day.date()
    target = Path(landing_root) / CONTRACT.folder / f"dt={day.isoformat()}" / f"{value_chain_id}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    rows.reindex(columns=CONTRACT_COLUMNS).to_csv(target, index=False)
    return target
