"""Run the adapters configured in a sources file (``assets/registry/realdata_sources.yml``)."""

from __future__ import annotations

import inspect
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from value_pipeline.adapters.base import AdapterConfigError
from value_pipeline.adapters.csv_mapping import adapt_csv
from value_pipeline.adapters.landing_writer import write_workflow_events
from value_pipeline.adapters.servicenow import adapt_servicenow
from value_pipeline.adapters.xes import adapt_xes

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
