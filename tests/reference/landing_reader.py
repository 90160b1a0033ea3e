"""Read a landing root with plain pandas and apply the landing contracts' row validation.

Written from the contracts and docs only (not from the loaders), so that it can check them.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "value_pipeline" / "contracts" / "v1"
NO_PARTITION = pd.Timestamp("1900-01-01")
_PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|z|[+-]\d{2}(?::?\d{2})?)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}

# The contracts' row rules, as pandas predicates (True = the row passes; a NULL operand passes, as in SQL).
_ROW_RULES = {
    "use_case_id is not null or value_chain_id is not null": lambda d: (
        d["use_case_id"].notna() | d["value_chain_id"].notna()
    ),
    "(benefit_type = 'hours_saved') = (unit = 'hours')": lambda d: (
        d["benefit_type"].isna()
        | d["unit"].isna()
        | ((d["benefit_type"] == "hours_saved") == (d["unit"] == "hours"))
    ),
    "end_date is null or end_date >= start_date": lambda d: (
        d["end_date"].isna() | d["start_date"].isna() | (d["end_date"] >= d["start_date"])
    ),
    "scale_max > scale_min": lambda d: (
        d["scale_max"].isna() | d["scale_min"].isna() | (d["scale_max"] > d["scale_min"])
    ),
    "score >= scale_min and score <= scale_max": lambda d: (
        d[["score", "scale_min", "scale_max"]].isna().any(axis=1)
        | ((d["score"] >= d["scale_min"]) & (d["score"] <= d["scale_max"]))
    ),
}


@functools.cache
def load_contract(name: str) -> dict:
    """Return the landing contract `name` (a `value_pipeline/contracts/v1` YAML) as a dict."""
    return yaml.load((CONTRACTS_DIR / f"{name}.yml").read_text(), Loader=_YAML_LOADER)


def load_registry(landing_root: Path) -> dict:
    """Merge the YAML files of `<landing_root>/registry/` (lists concatenated, first scalar wins)."""
    merged: dict = {}
    paths = sorted((Path(landing_root) / "registry").glob("*.y*ml"))
    if not paths:
        raise FileNotFoundError(f"no registry YAML under {landing_root}/registry")
    for path in paths:
        for key, value in (yaml.load(path.read_text(), Loader=_YAML_LOADER) or {}).items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged.setdefault(key, value)
    return merged


def _partition_of(path: Path) -> pd.Timestamp:
    """Date of the `dt=` folder holding `path`, 1900-01-01 outside one."""
    for part in reversed(path.parts):
        match = _PARTITION.match(part)
        if match:
            return pd.Timestamp(match.group(1))
    return NO_PARTITION


def _format_of(path: Path) -> str | None:
    """The file format from the file name, `None` for files that are not landing files."""
    name = path.name.lower().removesuffix(".gz")
    for ext in ("csv", "jsonl", "parquet", "xlsx"):
        if name.endswith(f".{ext}"):
            return ext
    return None


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.lower().endswith(".gz") else data


def _read_file(path: Path, sheet: str | int) -> tuple[pd.DataFrame, int]:
    """One file (one sheet of a workbook) as text, plus the line number of its first data row."""
    fmt = _format_of(path)
    if fmt == "csv":
        text = _read_bytes(path).decode("utf-8-sig")
        header = text.split("\n", 1)[0]
        sep = ";" if header.count(";") > header.count(",") else ","
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=object, keep_default_na=False, skip_blank_lines=False
        )
        return frame, 2
    if fmt == "jsonl":
        lines = _read_bytes(path).decode("utf-8-sig").splitlines()
        frame, first = pd.DataFrame([json.loads(line) if line.strip() else {} for line in lines]), 1
    elif fmt == "parquet":
        frame, first = pd.read_parquet(io.BytesIO(_read_bytes(path))), 1
    else:
        frame, first = pd.read_excel(io.BytesIO(_read_bytes(path)), sheet_name=sheet, dtype=object), 2
    return frame.astype(object).map(lambda v: None if _is_null(v) else str(v)), first


def _is_null(value: object) -> bool:
    return (
        value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))
    )


def _as_text(series: pd.Series) -> pd.Series:
    """Stripped text, NULL for missing or blank values."""
    text = series.astype(object).str.strip()
    return text.where(text.notna() & (text != ""), None)


def _parse(text: pd.Series, col_type: str, time_zone: str) -> pd.Series:
    """Parse stripped text values to the contract type; unparseable values become NULL."""
    if col_type == "string":
        return text
    if col_type == "number":
        number = pd.to_numeric(text, errors="coerce").astype("float64")
        return number.where(np.isfinite(number))
    if col_type == "boolean":
        lowered = text.str.lower()
        return lowered.map(lambda v: True if v in _TRUE else False if v in _FALSE else pd.NA).astype(
            "boolean"
        )
    if col_type == "date":
        stamp = pd.to_datetime(text, format="ISO8601", errors="coerce")
        return stamp.where(stamp == stamp.dt.normalize())  # a date with a time of day is not a date
    has_offset = text.fillna("").str.contains(_OFFSET)
    aware = pd.to_datetime(text.where(has_offset), format="ISO8601", utc=True, errors="coerce")
    naive = pd.to_datetime(text.where(~has_offset), format="ISO8601", errors="coerce")
    naive = naive.dt.tz_localize(time_zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    return aware.where(has_offset, naive).dt.tz_localize(None)


def _validate(raw: pd.DataFrame, contract: dict, registry: dict) -> pd.DataFrame:
    """Typed contract columns plus `reject_reason` (NULL for accepted rows) of text rows from files."""
    time_zone = registry.get("source_time_zone") or "UTC"
    refs = {
        "use_cases": {str(u["id"]) for u in registry.get("use_cases", [])},
        "value_chains": {str(v["id"]) for v in registry.get("value_chains", [])},
    }
    out = pd.DataFrame(index=raw.index)
    reason = pd.Series(None, index=raw.index, dtype=object)

    def reject(mask: pd.Series, why: str) -> None:
        reason.loc[mask.to_numpy() & reason.isna().to_numpy()] = why

    for col in contract["columns"]:
        name = col["name"]
        source = raw[name] if name in raw.columns else pd.Series(None, index=raw.index, dtype=object)
        text = _as_text(source)
        present = text.notna()
        value = _parse(text, col["type"], time_zone)
        if col.get("required"):
            reject(~present, f"{name}: missing required value")
        reject(present & value.isna(), f"{name}: not a {col['type']}")
        if "enum" in col:
            reject(value.notna() & ~value.isin(col["enum"]), f"{name}: not in {col['enum']}")
        if "references" in col:
            reject(value.notna() & ~value.isin(refs[col["references"]]), f"{name}: not in the registry")
        if "min" in col:
            below = value < col["min"] if not col.get("exclusive_min") else value <= col["min"]
            reject(below.fillna(False), f"{name}: below the minimum")
        if col.get("first_of_month"):
            reject((value.dt.day != 1).fillna(False), f"{name}: not the first day of a month")
        if col.get("currency"):
            reject(value.notna() & ~value.fillna("").str.match(_CURRENCY), f"{name}: not a currency code")
        out[name] = value
    for rule in contract.get("row_rules", []):
        reject(~_ROW_RULES[rule["rule"]](out).fillna(True).astype(bool), rule["reason"])
    key = contract.get("key") or []
    if key:
        keyed = out.assign(_source_file=raw["_source_file"])[reason.isna()]
        repeated = keyed.duplicated(subset=["_source_file", *key], keep="first")
        reject(repeated.reindex(out.index, fill_value=False), "duplicate key within the file")
    meta = ["_source_file", "_source_line", "_partition_date"]
    return pd.concat([out, raw[meta]], axis=1).assign(reject_reason=reason)


def _source_files(landing_root: Path, contract: dict) -> list[tuple[Path, str | int]]:
    """The contract's landing files with the sheet to read (finance: by file stem or sheet name)."""
    folder = Path(landing_root) / contract["folder"]
    stem = contract.get("file_stem")
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and _format_of(p)):
        if not stem:
            found.append((path, 0))
        elif _format_of(path) == "xlsx":
            sheets = pd.ExcelFile(io.BytesIO(_read_bytes(path))).sheet_names
            if stem in sheets:
                found.append((path, stem))
            elif path.name.lower().startswith(stem):
                found.append((path, 0))
        elif path.name.lower().startswith(stem):
            found.append((path, 0))
    return found


def read_landing_rows(landing_root: Path, name: str, registry: dict | None = None) -> pd.DataFrame:
    """Every landed row of contract `name`, typed, with `_source_file`, `_source_line`,
    `_partition_date` and `reject_reason` (NULL when the row passes the contract)."""
    contract = load_contract(name)
    registry = registry if registry is not None else load_registry(landing_root)
    frames, files, partitions, lines = [], [], [], []
    for path, sheet in _source_files(landing_root, contract):
        raw, first_line = _read_file(path, sheet)
        raw.columns = [str(c).strip().lower() for c in raw.columns]
        frames.append(raw.loc[:, ~raw.columns.duplicated()] if raw.columns.has_duplicates else raw)
        relative = path.relative_to(landing_root)
        files.append(np.full(len(raw), relative.as_posix(), dtype=object))
        partitions.append(np.full(len(raw), _partition_of(relative).to_datetime64()))
        lines.append(np.arange(len(raw), dtype="int64") + first_line)
    if not frames:
        frames, files, partitions, lines = [pd.DataFrame()], [[]], [np.array([], "datetime64[us]")], [[]]
    raw = pd.concat(frames, ignore_index=True)
    blank = raw.apply(_as_text).isna().all(axis=1).to_numpy()
    raw = raw.assign(
        _source_file=np.concatenate(files).astype(object),
        _partition_date=pd.to_datetime(np.concatenate(partitions)).astype("datetime64[us]"),
        _source_line=np.concatenate(lines).astype("int64"),
    )
    return _validate(raw[~blank].reset_index(drop=True), contract, registry)


def read_source(landing_root: Path, name: str, registry: dict | None = None) -> pd.DataFrame:
    """Accepted rows of contract `name` as the warehouse's staging sees them.

    Event sources with a key keep one copy per key: the latest `dt=` partition, then the highest
    line. Snapshot sources keep only their latest delivery.
    """
    contract = load_contract(name)
    rows = read_landing_rows(landing_root, name, registry)
    rows = rows[rows["reject_reason"].isna()].drop(columns="reject_reason")
    if contract["kind"] == "snapshot":
        rows = rows[rows["_partition_date"] == rows["_partition_date"].max()]
    elif contract.get("key"):
        rows = rows.sort_values(["_partition_date", "_source_line", "_source_file"])
        rows = rows.drop_duplicates(subset=contract["key"], keep="last")
    renames = {c["name"]: c["target"] for c in contract["columns"] if "target" in c}
    return rows.rename(columns=renames).reset_index(drop=True)
