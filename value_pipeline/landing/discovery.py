"""Find the landing files of a contract and read the little each loader needs to know up front."""

from __future__ import annotations

import gzip
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from value_pipeline.contracts import Contract

PARTITION_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
# Files delivered outside a dt= folder of a snapshot source count as the oldest delivery.
UNDATED_DELIVERY = date(1900, 1, 1)
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".xlsx": "xlsx"}


class LandingError(Exception):
    """A file-level problem: the whole load stops and nothing already loaded changes."""


@dataclass(frozen=True)
class LandingFile:
    """One delivered file of one contract."""

    path: Path
    relative_path: str
    partition_date: date
    format: str
    compressed: bool


def _file_format(path: Path) -> tuple[str, bool] | None:
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in FORMATS:
        return None
    fmt = FORMATS[suffixes[-1]]
    if compressed and fmt in {"parquet", "xlsx"}:
        return None
    return fmt, compressed


def _stem(path: Path) -> str:
    return path.name.split(".")[0].lower()


def partition_of(folder: Path) -> date | None:
    """The date of a ``dt=YYYY-MM-DD`` folder, or None for any other folder."""
    match = PARTITION_DIR.match(folder.name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError as exc:
        raise LandingError(f"{folder}: folder name is not a valid dt=YYYY-MM-DD date") from exc


def discover(
    landing_root: Path, contract: Contract, partitions: set[date] | None = None
) -> list[LandingFile]:
    """Every file of ``contract`` under ``landing_root``, sorted by partition then path.

    Event sources only accept files inside ``dt=`` folders; snapshot sources also accept files at the
    top of their folder. The finance folder holds several contracts told apart by file stem.
    """
    source_dir = landing_root / contract.folder
    if not source_dir.is_dir():
        return []
    found: list[LandingFile] = []
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        if path.name.startswith((".", "_")):
            continue
        fmt = _file_format(path)
        if fmt is None:
            continue
        if contract.file_stem and _stem(path) != contract.file_stem:
            continue
        parent = path.parent
        partition = partition_of(parent) if parent != source_dir else None
        if partition is None:
            if contract.is_event_source or parent != source_dir:
                raise LandingError(
                    f"{path}: {contract.name} files must be inside a dt=YYYY-MM-DD folder of {source_dir}"
                )
            partition = UNDATED_DELIVERY
        if partitions is not None and partition not in partitions:
            continue
        found.append(
            LandingFile(
                path=path,
                relative_path=path.relative_to(landing_root).as_posix(),
                partition_date=partition,
                format=fmt[0],
                compressed=fmt[1],
            )
        )
    return sorted(found, key=lambda f: (f.partition_date, f.relative_path))


def event_partitions(landing_root: Path, contract: Contract) -> list[date]:
    """The dt= partitions present for an event source."""
    source_dir = landing_root / contract.folder
    if not source_dir.is_dir():
        return []
    dates = {partition_of(p) for p in source_dir.iterdir() if p.is_dir()}
    return sorted(d for d in dates if d is not None)


def read_header_line(file: LandingFile) -> str:
    """The first line of a CSV file, without BOM and line ending; empty files raise LandingError."""
    opener = gzip.open if file.compressed else open
    try:
        with opener(file.path, "rb") as handle:
            first = handle.readline()
    except (OSError, EOFError) as exc:
        raise LandingError(f"{file.relative_path}: cannot read the file ({exc})") from exc
    if not first.strip():
        raise LandingError(f"{file.relative_path}: the file is empty (a header row is required)")
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        return first.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise LandingError(f"{file.relative_path}: the header row is not UTF-8 ({exc})") from exc


def sniff_delimiter(header: str) -> str:
    """Comma or semicolon, whichever the header row uses more."""
    return ";" if header.count(";") > header.count(",") else ","


def check_xlsx(file: LandingFile) -> None:
    """An .xlsx file is a zip archive; anything else is reported before pandas gives a vaguer error."""
    if not zipfile.is_zipfile(file.path):
        raise LandingError(f"{file.relative_path}: not a valid .xlsx file (corrupt or not an Excel workbook)")
