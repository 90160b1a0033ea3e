"""Bring your own data: a new landing zone (``init``) and a real export into it (``adapt``).

Pure of CLI code: the commands in value_pipeline/cli.py print what these functions return.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from value_pipeline.adapters import AdapterConfigError, adapt_source, write_workflow_events
from value_pipeline.adapters.runner import ADAPTERS
from value_pipeline.config import PROJECT_ROOT
from value_pipeline.contracts import load_contracts
from value_pipeline.registry import RegistryError, load_registry

STARTER_REGISTRY = PROJECT_ROOT / "assets" / "registry" / "starter_registry.yml"
LANDING_README = PROJECT_ROOT / "assets" / "landing" / "README.md"
REGISTRY_FOLDER = "registry"
REGISTRY_FILE = "registry.yml"
# The command's adapter names -> value_pipeline.adapters.ADAPTERS.
ADAPTER_NAMES = {"servicenow": "servicenow", "xes": "xes", "csv": "csv_mapping"}
# Options an adapter needs that a standard export makes obvious; --config replaces them key by key.
DEFAULT_OPTIONS: dict[str, dict] = {
    "servicenow": {
        "priority_map": {
            "1 - Critical": "P1",
            "2 - High": "P2",
            "3 - Moderate": "P3",
            "4 - Low": "P4",
            "5 - Planning": "P5",
        }
    },
}
_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_USE_CASES_KEY = re.compile(r"^use_cases\s*:\s*(?P<rest>[^#]*?)\s*(?:#.*)?$", re.MULTILINE)


class OnboardingError(ValueError):
    """The folder, file or option given cannot be used: the message names it and says what to do."""


# --- init ---------------------------------------------------------------------------------------


def _readme_text() -> str:
    rows = []
    for contract in load_contracts().values():
        name = f"`{contract.file_stem}.*` files: " if contract.file_stem else ""
        layout = "daily `dt=YYYY-MM-DD/` folders" if contract.is_event_source else "`dt=` delivery folders"
        rows.append(f"| `{contract.folder}/` | {name}{contract.description} | {layout} |")
    return LANDING_README.read_text(encoding="utf-8").replace("{folders}", "\n".join(rows))


def _is_zone(root: Path) -> bool:
    """True when ``root`` was made by init (its README starts with the template's first line)."""
    readme = root / "README.md"
    first = LANDING_README.read_text(encoding="utf-8").splitlines()[0]
    return readme.is_file() and readme.read_text(encoding="utf-8").splitlines()[:1] == [first]


def init_landing(root: Path) -> list[Path]:
    """Make ``root`` a landing zone: every contract folder, a starter registry and a README.

    An existing zone made by init gets what it lacks and keeps every file it has; any other folder
    that is not empty is refused. Returns the paths created.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise OnboardingError(f"{root}: is a file; give a new or empty folder")
    if root.is_dir() and any(root.iterdir()) and not _is_zone(root):
        raise OnboardingError(
            f"{root}: the folder is not empty and was not made by `value-pipeline init`; give a new or "
            "empty folder (init never writes over your files)"
        )
    created: list[Path] = []
    folders = sorted({c.folder for c in load_contracts().values()} | {REGISTRY_FOLDER})
    for name in folders:
        folder = root / name
        if not folder.is_dir():
            folder.mkdir(parents=True)
            created.append(folder)
    registry = root / REGISTRY_FOLDER
    # A second YAML file in registry/ would be merged with the starter: never add one beside the user's.
    if not [*registry.glob("*.yml"), *registry.glob("*.yaml")]:
        _write_new(registry / REGISTRY_FILE, STARTER_REGISTRY.read_text(encoding="utf-8"))
        created.append(registry / REGISTRY_FILE)
    if not (root / "README.md").exists():
        _write_new(root / "README.md", _readme_text())
        created.append(root / "README.md")
    return created


def _write_new(path: Path, text: str) -> None:
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)


# --- adapt --------------------------------------------------------------------------------------


@dataclass
class AdaptResult:
    """What ``adapt`` did: the adapter's stats, the writer's summary and the registry change."""

    stats: dict
    written: dict
    source_name: str
    registry_file: Path | None = None
    added_use_case: dict = field(default_factory=dict)


def read_adapter_config(path: Path | None) -> dict:
    """The ``--config`` YAML: adapter options (as under ``options:`` in assets/registry/realdata_sources.yml)
    plus an optional ``time_zone``."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise OnboardingError(f"{path}: no such file (--config takes a YAML file of adapter options)")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        raise OnboardingError(f"{where}: malformed YAML ({getattr(exc, 'problem', exc)})") from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise OnboardingError(
            f"{path}: expected a mapping of adapter options, found {type(document).__name__}"
        )
    return document


def source_name(use_case_id: str, export: Path) -> str:
    """The landing file name of an export: ``<use case>-<file name without extensions>``."""
    stem = Path(export).name.split(".")[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{use_case_id}-{stem}").strip("._-")
    return name or "export"


def _source_config(kind: str, export: Path, use_case_id: str, config: dict) -> dict:
    if kind not in ADAPTER_NAMES:
        raise OnboardingError(f"unknown adapter {kind!r}; use one of {', '.join(ADAPTER_NAMES)}")
    options = {**DEFAULT_OPTIONS.get(kind, {}), **config}
    time_zone = options.pop("time_zone", "UTC")
    adapter = ADAPTERS[ADAPTER_NAMES[kind]]
    needed = [
        name
        for name, parameter in inspect.signature(adapter).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY
        and parameter.default is parameter.empty
        and name != "use_case_id"
        and name not in options
    ]
    if needed:
        raise AdapterConfigError(
            f"the {kind} adapter needs the option(s) {needed}: put them in a YAML file given with --config "
            "(docs/own_data.md shows one)"
        )
    return {
        "id": source_name(use_case_id, export),
        "adapter": ADAPTER_NAMES[kind],
        "path": Path(export).name,
        "use_case_id": use_case_id,
        "time_zone": time_zone,
        "options": options,
    }


def _run_adapter(source: dict, export: Path) -> tuple[pd.DataFrame, dict]:
    """The adapter on the export; a file it cannot read is an OnboardingError naming the file."""
    try:
        return adapt_source(source, export.parent)
    except ET.ParseError as exc:
        raise OnboardingError(f"{export}: not a well-formed XES (XML) file: {exc}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise OnboardingError(f"{export}: cannot read the export ({exc})") from exc


def adapt_export(
    kind: str, export: Path, landing_root: Path, use_case_id: str, config: dict | None = None
) -> AdaptResult:
    """Map ``export`` onto ``workflow_events`` dt= files of ``landing_root`` and make sure the registry
    names ``use_case_id`` (added, marked for review, when missing). Running it again on the same
    export rewrites the same files and changes nothing else."""
    export, landing_root = Path(export), Path(landing_root)
    if not export.is_file():
        raise OnboardingError(f"{export}: no such file")
    if not (landing_root / REGISTRY_FOLDER).is_dir():
        raise OnboardingError(
            f"{landing_root}: not a landing zone (no {REGISTRY_FOLDER}/ folder); "
            f"make one with `value-pipeline init {landing_root}`"
        )
    registry = load_registry(landing_root)
    source = _source_config(kind, export, use_case_id, config or {})
    events, stats = _run_adapter(source, export)
    if events.empty:
        raise OnboardingError(
            f"{export}: no event left after mapping ({stats['rows_read']} rows read, dropped: "
            f"{stats['rows_dropped'] or 'none'}); nothing written"
        )
    written = write_workflow_events(events, landing_root, source["id"])
    result = AdaptResult(stats=stats, written=written, source_name=source["id"])
    if use_case_id not in registry.ids("use_cases"):
        units = registry.ids("business_units")
        if not units:
            raise RegistryError(
                f"{registry.source}: no business unit to put use case {use_case_id!r} in; add one under "
                "business_units (see the starter registry of `value-pipeline init`)"
            )
        entry = {
            "id": use_case_id,
            "name": use_case_id,
            "business_unit": units[0],
            "status": "identified",
            "identified_date": date.fromisoformat(events["event_ts"].min()[:10]),
        }
        result.registry_file = add_use_case_to_registry(landing_root, entry, export.name)
        result.added_use_case = entry
    return result


def use_case_block(entry: dict, indent: str, export_name: str) -> list[str]:
    """The YAML lines of a use case added by adapt, with the comment saying what to review."""
    comment = [
        f"# Added by `value-pipeline adapt` from {export_name} on {date.today().isoformat()}. TO REVIEW:",
        "# status stays `identified` (not live) until you set go_live_date and status: automated;",
        "# identified_date is the first event's day; name and business_unit are placeholders.",
    ]
    body = [f"- id: {_scalar(entry['id'])}"] + [
        f"  {key}: {_scalar(value)}" for key, value in entry.items() if key != "id"
    ]
    return [f"{indent}{line}\n" for line in comment + body]


def _scalar(value: str | date) -> str:
    """A YAML scalar that reads back as the same value: plain when it can be, else quoted."""
    if isinstance(value, date):
        return value.isoformat()
    plain = re.fullmatch(r"[A-Za-z0-9_][\w .-]*", value) and yaml.safe_load(value) == value
    return value if plain else json.dumps(value)


def insert_use_case(text: str, entry: dict, export_name: str) -> str:
    """``text`` with ``entry`` appended to its ``use_cases`` list; every other line (comments too)
    stays as written. A missing or empty (``[]``) list becomes a block list."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((n for n, line in enumerate(lines) if _USE_CASES_KEY.match(line)), None)
    if start is None:
        return "".join(lines) + "\nuse_cases:\n" + "".join(use_case_block(entry, "  ", export_name))
    rest = _USE_CASES_KEY.match(lines[start]).group("rest")
    if rest not in ("", "[]"):
        raise OnboardingError(
            f"use_cases is written as {rest!r} on line {start + 1}; write it as a block list "
            "(one `- id: ...` entry per line) so a use case can be added"
        )
    if rest == "[]":
        lines[start] = "use_cases:\n"
    # The list ends before the next line that starts a top-level key or a top-level comment.
    last, indent = start, None
    for n in range(start + 1, len(lines)):
        line = lines[n]
        if not line.strip():
            continue
        if _TOP_LEVEL_KEY.match(line) or (line.startswith("#")):
            break
        last = n
        if indent is None and line.lstrip().startswith("-"):
            indent = line[: len(line) - len(line.lstrip())]
    block = use_case_block(entry, "  " if indent is None else indent, export_name)
    return "".join(lines[: last + 1] + block + lines[last + 1 :])


def add_use_case_to_registry(landing_root: Path, entry: dict, export_name: str) -> Path:
    """Add ``entry`` to the registry file holding ``use_cases`` (else registry.yml), keeping the
    file's comments; the result must validate, or the file is left as it was. Returns the file."""
    folder = Path(landing_root) / REGISTRY_FOLDER
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    target = next((p for p in files if _USE_CASES_KEY.search(p.read_text(encoding="utf-8"))), None)
    if target is None:
        target = next((p for p in files if p.name == REGISTRY_FILE), files[0])
    before = target.read_text(encoding="utf-8")
    after = insert_use_case(before, entry, export_name)
    _replace(target, after)
    try:
        load_registry(Path(landing_root))
    except RegistryError:
        _replace(target, before)
        raise
    return target


def _replace(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
