"""Find the landing files of a contract and read the little each loader needs to know up front."""

from __future__ import annotations

import difflib
import gzip
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from value_pipeline.contracts import Contract, load_contracts

PARTITION_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
# Files delivered outside a dt= folder of a snapshot source count as the oldest delivery.
UNDATED_DELIVERY = date(1900, 1, 1)
# Read at most this much to find the header row.
HEADER_BYTES = 2**20
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".xlsx": "xlsx"}
SUPPORTED = ".csv, .csv.gz, .jsonl, .jsonl.gz, .ndjson, .parquet, .xlsx"
# Extensions of data files in a format the loader does not read: refused, not ignored, by default.
DATA_LIKE_SUFFIXES = {".tsv", ".xls", ".xlsm", ".xlsb", ".json", ".zip", ".bz2", ".xz", ".zst", ".7z", ".gz"}
# Policy for files that look like a contract's data but cannot be placed (registry setting
# unplaced_data_files): refuse the load, or warn and list them.
REFUSE, WARN = "refuse", "warn"


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


@dataclass(frozen=True)
class NotLoaded:
    """A file under the landing root that no load reads, and why.

    ``kind``: ``error`` (always refused: a dt= folder that is no date or lies in the future),
    ``data`` (looks like a contract's data but cannot be placed; refused unless the policy is warn)
    or ``ignored`` (hidden files, other extensions, files outside the contract folders: listed only).
    """

    relative_path: str
    reason: str
    kind: str
    # Contracts whose load this file concerns (empty: none, e.g. a file at the landing root).
    contracts: tuple[str, ...] = ()

    def refused(self, policy: str = REFUSE) -> bool:
        return self.kind == "error" or (self.kind == "data" and policy == REFUSE)


def _today() -> date:
    return datetime.now(UTC).date()


def survey(
    landing_root: Path,
    contracts: Iterable[Contract],
    today: date | None = None,
    only_folder: str | None = None,
) -> tuple[dict[str, list[LandingFile]], list[NotLoaded]]:
    """Every file under ``landing_root``: the contract files it places, and every other file with why.

    Placed: files of a known format directly in a contract folder (snapshot sources only) or in one of
    its ``dt=YYYY-MM-DD`` folders, whose stem names the contract where a folder holds several.
    Symbolic links are never followed; the registry folder's YAML files are read by the registry.
    ``only_folder``: survey that top-level folder only.
    """
    by_folder: dict[str, list[Contract]] = {}
    for contract in contracts:
        by_folder.setdefault(contract.folder, []).append(contract)
    latest = (today or _today()) + timedelta(days=1)
    placed: dict[str, list[LandingFile]] = {c.name: [] for cs in by_folder.values() for c in cs}
    skipped: list[NotLoaded] = []
    top = landing_root / only_folder if only_folder else landing_root
    if only_folder and top.is_symlink():
        reason = "a symbolic link to a folder: links are not followed (copy the folder)"
        return placed, [
            NotLoaded(only_folder or ".", reason, "data", _folder_contracts(by_folder, only_folder))
        ]
    if not top.is_dir():
        return placed, skipped
    for rel, path, link, link_to_dir in _walk(top, only_folder or ""):
        if link_to_dir:
            kind = "data" if rel.split("/")[0] in by_folder else "ignored"
            reason = "a symbolic link to a folder: links are not followed (copy the folder)"
            skipped.append(NotLoaded(rel, reason, kind, _folder_contracts(by_folder, rel)))
            continue
        outcome = _place(path, rel, link, by_folder, latest)
        if outcome is None:
            continue
        if isinstance(outcome, NotLoaded):
            skipped.append(outcome)
        else:
            contract, file = outcome
            placed[contract].append(file)
    for files in placed.values():
        files.sort(key=lambda f: (f.partition_date, f.relative_path))
    return placed, skipped


def _walk(folder: Path, rel: str) -> Iterator[tuple[str, Path, bool, bool]]:
    """(relative path, path, is a link, is a link to a folder) of every file or link, sorted.

    Symbolic links are listed, never followed.
    """
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        path = f"{rel}/{entry.name}" if rel else entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), path)
        else:
            link = entry.is_symlink()
            yield path, Path(entry.path), link, link and os.path.isdir(entry.path)


def _folder_contracts(by_folder: dict[str, list[Contract]], rel: str) -> tuple[str, ...]:
    return tuple(c.name for c in by_folder.get(rel.split("/")[0], []))


def _place(
    path: Path, rel: str, link: bool, by_folder: dict[str, list[Contract]], latest: date
) -> tuple[str, LandingFile] | NotLoaded | None:
    """Place one file, or say why it is not loaded (None: a registry file)."""
    parts = rel.split("/")
    fmt = _file_format(path)
    looks_like_data = fmt is not None or bool({s.lower() for s in path.suffixes} & DATA_LIKE_SUFFIXES)
    if parts[0] == "registry":
        if len(parts) == 2 and path.suffix.lower() in {".yml", ".yaml"}:
            return None  # read by the registry
        return NotLoaded(rel, "not a registry file (registry/*.yml or *.yaml)", "ignored")
    folder_contracts = by_folder.get(parts[0])
    owners = tuple(c.name for c in folder_contracts or [])
    if link:
        return NotLoaded(
            rel,
            "a symbolic link: links are not followed (copy the file)",
            "data" if owners and looks_like_data else "ignored",
            owners,
        )
    if len(parts) == 1:
        return NotLoaded(rel, "not inside a contract folder", "ignored")
    if folder_contracts is None:
        hint = difflib.get_close_matches(parts[0], list(by_folder), n=1)
        reason = f"folder {parts[0]!r} is not a contract folder" + (
            f" (did you mean {hint[0]!r}?)" if hint else ""
        )
        return NotLoaded(rel, reason, "data" if looks_like_data and hint else "ignored")
    # Hidden and temporary files: dot files, Spark/Hadoop markers (_SUCCESS), Excel lock files (~$).
    if any(p.startswith((".", "_", "~")) for p in parts[1:]):
        return NotLoaded(rel, "hidden or temporary (the name starts with ., _ or ~)", "ignored", owners)
    if fmt is None:
        if looks_like_data:
            return NotLoaded(rel, f"unsupported format: use one of {SUPPORTED}", "data", owners)
        return NotLoaded(rel, f"not a data file: the extension is not one of {SUPPORTED}", "ignored", owners)
    if len(parts) > 3:
        return NotLoaded(
            rel, f"nested folder: files go directly in {parts[0]}/dt=YYYY-MM-DD/", "data", owners
        )
    partition = UNDATED_DELIVERY
    if len(parts) == 3:
        match = PARTITION_DIR.match(parts[1])
        if not match:
            return NotLoaded(rel, f"{parts[1]!r} is not a dt=YYYY-MM-DD folder", "data", owners)
        try:
            partition = date.fromisoformat(match.group(1))
        except ValueError:
            return NotLoaded(
                rel, f"{parts[1]}: folder name is not a valid dt=YYYY-MM-DD date", "error", owners
            )
        if partition > latest:
            return NotLoaded(
                rel,
                f"{parts[1]}: the delivery is dated in the future (after {latest}); it would outrank "
                "every later delivery: rename the folder to the day it was delivered",
                "error",
                owners,
            )
    stem = _stem(path)
    candidates = [c for c in folder_contracts if not c.file_stem or c.file_stem == stem]
    if not candidates:
        stems = ", ".join(sorted(c.file_stem for c in folder_contracts if c.file_stem))
        near = tuple(c.name for c in folder_contracts if c.file_stem and stem.startswith(c.file_stem))
        return NotLoaded(
            rel, f"the name matches no contract of {parts[0]}/ (file names: {stems})", "data", near or owners
        )
    contract = candidates[0]
    if len(parts) == 2 and contract.is_event_source:
        return NotLoaded(
            rel, f"{contract.name} files must be inside a dt=YYYY-MM-DD folder of {parts[0]}/", "data", owners
        )
    file = LandingFile(
        path=path, relative_path=rel, partition_date=partition, format=fmt[0], compressed=fmt[1]
    )
    return contract.name, file


def not_loaded(landing_root: Path, policy: str = REFUSE, today: date | None = None) -> list[NotLoaded]:
    """Every file under ``landing_root`` that no load reads, with why.

    Raises LandingError for a file the ``policy`` refuses that no contract's load would refuse (it
    lies outside the contract folders, e.g. in a misspelt folder).
    """
    _, skipped = survey(landing_root, load_contracts().values(), today)
    error = orphan_error(skipped, policy)
    if error:
        raise LandingError(error)
    return skipped


def orphan_error(skipped: list[NotLoaded], policy: str = REFUSE) -> str | None:
    """The error for the first refused file that belongs to no contract's load, if any."""
    orphans = [n for n in skipped if not n.contracts and n.refused(policy)]
    return f"{orphans[0].relative_path}: {orphans[0].reason}" if orphans else None


def discover(
    landing_root: Path,
    contract: Contract,
    partitions: set[date] | None = None,
    *,
    policy: str = REFUSE,
    today: date | None = None,
) -> tuple[list[LandingFile], list[NotLoaded]]:
    """The files of ``contract`` (sorted by partition then path) and the files of its folder not loaded.

    Raises LandingError naming the first file the ``policy`` refuses (see NotLoaded).
    """
    siblings = [c for c in load_contracts().values() if c.folder == contract.folder]
    placed, skipped = survey(landing_root, siblings, today, only_folder=contract.folder)
    mine = [n for n in skipped if contract.name in n.contracts]
    refused = [n for n in mine if n.refused(policy)]
    if refused:
        more = f" (and {len(refused) - 1} more file(s) refused)" if len(refused) > 1 else ""
        raise LandingError(f"{refused[0].relative_path}: {refused[0].reason}{more}")
    files = placed[contract.name]
    if partitions is not None:
        files = [f for f in files if f.partition_date in partitions]
    return files, mine


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
            head = handle.read(HEADER_BYTES)
    except (OSError, EOFError) as exc:
        raise LandingError(f"{file.relative_path}: cannot read the file ({exc})") from exc
    # The header ends at the first LF, CRLF or lone CR (old Mac exports end lines with CR only).
    first = re.split(rb"\r\n|\r|\n", head, maxsplit=1)[0]
    if not first.strip():
        raise LandingError(f"{file.relative_path}: the file is empty (a header row is required)")
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        return first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LandingError(f"{file.relative_path}: the header row is not UTF-8 ({exc})") from exc


def sniff_delimiter(header: str) -> str:
    """Comma or semicolon, whichever the header row uses more."""
    return ";" if header.count(";") > header.count(",") else ","


def check_xlsx(file: LandingFile) -> None:
    """An .xlsx file is a zip archive; anything else is reported before pandas gives a vaguer error."""
    if not zipfile.is_zipfile(file.path):
        raise LandingError(f"{file.relative_path}: not a valid .xlsx file (corrupt or not an Excel workbook)")
