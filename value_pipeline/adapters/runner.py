"""Run the adapters configured in a sources file (``assets/registry/realdata_sources.yml``), one at a
time or into a whole landing root with its registry."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from value_pipeline.adapters.base import AdapterConfigError
from value_pipeline.adapters.csv_mapping import adapt_csv
from value_pipeline.adapters.landing_writer import write_workflow_events
from value_pipeline.adapters.servicenow import adapt_servicenow
from value_pipeline.adapters.xes import adapt_xes
from value_pipeline.registry import parse_registry

ADAPTERS = {"servicenow": adapt_servicenow, "xes": adapt_xes, "csv_mapping": adapt_csv}
REQUIRED_KEYS = ("id", "adapter", "path", "use_case_id")
KNOWN_KEYS = {*REQUIRED_KEYS, "time_zone", "description", "options"}


def _check(source: dict, where: str) -> None:
    missing = [k for k in REQUIRED_KEYS if not source.get(k)]
    if missing:
        raise AdapterConfigError(f"{where}: missing {missing}")
    unknown = set(source) - KNOWN_KEYS
    if unknown:
        raise AdapterConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(KNOWN_KEYS)}")
    try:
        ZoneInfo(source.get("time_zone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise AdapterConfigError(f"{where}: unknown time_zone {source.get('time_zone')!r}") from exc
    adapter = ADAPTERS.get(source["adapter"])
    if adapter is None:
        raise AdapterConfigError(f"{where}: unknown adapter {source['adapter']!r}; known: {sorted(ADAPTERS)}")
    accepted = set(inspect.signature(adapter).parameters) - {"path", "use_case_id", "time_zone"}
    unknown = set(source.get("options") or {}) - accepted
    if unknown:
        raise AdapterConfigError(
            f"{where}: adapter {source['adapter']!r} has no option(s) {sorted(unknown)}; "
            f"allowed: {sorted(accepted)}"
        )


def load_source_configs(path: Path) -> list[dict]:
    """The ``sources`` list of a sources file, each entry checked (keys, adapter, option names)."""
    path = Path(path)
    document = yaml.safe_load(path.read_text()) or {}
    sources = document.get("sources")
    if not isinstance(sources, list):
        raise AdapterConfigError(f"{path}: expected a 'sources' list")
    seen: set[str] = set()
    for index, source in enumerate(sources):
        if not isinstance(source, dict):
            raise AdapterConfigError(f"{path}: sources[{index}] must be a mapping")
        where = f"{path}: source {source.get('id', index)!r}"
        _check(source, where)
        if source["id"] in seen:
            raise AdapterConfigError(f"{where}: duplicate id")
        seen.add(source["id"])
    return sources


def adapt_source(source_config: dict, realdata_root: Path) -> tuple[pd.DataFrame, dict]:
    """Run one configured adapter; returns (events frame, stats)."""
    _check(source_config, f"source {source_config.get('id')!r}")
    adapter = ADAPTERS[source_config["adapter"]]
    return adapter(
        Path(realdata_root) / source_config["path"],
        use_case_id=source_config["use_case_id"],
        time_zone=source_config.get("time_zone", "UTC"),
        **(source_config.get("options") or {}),
    )


def run_adapter(source_config: dict, realdata_root: Path, landing_root: Path) -> dict:
    """Adapt one configured source and write it to the landing root under its id; returns the stats
    of the adapter with the writer's summary under ``written``."""
    events, stats = adapt_source(source_config, realdata_root)
    stats["source_id"] = source_config["id"]
    stats["written"] = write_workflow_events(events, landing_root, source_config["id"])
    return stats


def build_realdata_landing(
    sources_path: Path,
    registry_path: Path,
    realdata_root: Path,
    landing_root: Path,
    only: list[str] | None = None,
) -> dict:
    """Run the configured adapters (``only``: these source ids) into ``landing_root`` and copy the
    registry to ``landing_root/registry/registry.yml``; returns source id -> :func:`run_adapter` stats.

    Everything is checked before anything is written: the registry must validate and name every
    selected source's use case, ``only`` must name configured sources, and the landing registry folder
    may hold no other YAML file (the loader would merge it in).
    """
    sources = load_source_configs(sources_path)
    registry_path = Path(registry_path)
    registry = parse_registry(registry_path.read_text(encoding="utf-8"), str(registry_path))
    if only is not None:
        unknown = sorted(set(only) - {s["id"] for s in sources})
        if unknown:
            raise AdapterConfigError(f"{sources_path}: no source(s) {unknown}")
        sources = [s for s in sources if s["id"] in only]
    use_cases = set(registry.ids("use_cases"))
    missing = sorted({s["use_case_id"] for s in sources} - use_cases)
    if missing:
        raise AdapterConfigError(f"{registry_path}: no use case(s) {missing} named by {sources_path}")
    folder = Path(landing_root) / "registry"
    target = folder / "registry.yml"
    others = sorted(p.name for p in [*folder.glob("*.yml"), *folder.glob("*.yaml")] if p != target)
    if others:
        raise AdapterConfigError(f"{folder}: holds other registry file(s) {others} the loader would merge")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(registry_path, target)
    return {s["id"]: run_adapter(s, realdata_root, landing_root) for s in sources}
