"""The registry: version-controlled YAML of use cases, teams, KPIs, SLA policies, value chains,
hypotheses, commitments (effective-dated: a restatement is a new row) and expansions.

Its schema is value_pipeline/registry_schema.py. Parsing is strict and pure: duplicate YAML keys,
anchors and aliases, unknown keys (with the nearest valid one), wrong types and a registry that cannot
produce the KPIs are errors naming the file and the entry. ``registry_tables`` flattens a registry into
the rows of the ``raw.registry_*`` tables (docs/architecture.md).
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from value_pipeline.registry_schema import (
    DATE_PATTERN,
    KPI_UNITS,
    SECTIONS,
    SETTINGS,
    TOP_LEVEL_KEYS,
    TYPE_NAMES,
    Key,
    list_keys,
    raw_tables,
)

# A survey or a report produces evidence; it is not an action that can be credited with value.
NOT_ACTIONS = {"survey", "report", "analysis", "dashboard", "study"}


class RegistryError(ValueError):
    """The registry cannot be used: the message names the file and the entry."""


# Column names and SQL types of every raw.registry_* table, in order (derived from the schema).
TABLES: dict[str, list[tuple[str, str]]] = raw_tables()


@dataclass
class Registry:
    """A parsed, validated registry: one dict per entry, with typed values (dates as ``date``) and
    defaults filled in; keys left out stay out."""

    source: str
    settings: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejected_value_chains: list[tuple[str, str]] = field(default_factory=list)

    def ids(self, section: str) -> list[str]:
        return [str(e["id"]) for e in self.sections.get(section, [])]


# --- YAML: strict loading ----------------------------------------------------------------------------


class _Refused(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, anchors, aliases and merge keys, and leaves dates as text
    (the schema checks them, naming the entry and key, instead of the YAML library raising)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                event.start_mark,
                "YAML anchors and aliases (&name, *name) are not allowed: write the value out",
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise _Refused(node.start_mark, "expected a mapping")
        mapping: dict = {}
        lines: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(
                    key_node.start_mark, "YAML merge keys (<<) are not allowed: write the keys out"
                )
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool | None):
                raise _Refused(key_node.start_mark, "a mapping key must be text")
            line = key_node.start_mark.line + 1
            if key in lines:
                raise _Refused(key_node.start_mark, f"duplicate key {key!r} (first on line {lines[key]})")
            lines[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load(text: str, source: str) -> dict:
    """The YAML document of one registry file, which must be a non-empty mapping."""
    try:
        doc = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except _Refused as exc:
        raise RegistryError(f"{source}: line {exc.mark.line + 1}: {exc.message}") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise RegistryError(f"{source}: malformed YAML: {exc}") from exc
    sections = ", ".join(f"{s.name}:" for s in SECTIONS)
    if doc is None:
        raise RegistryError(f"{source}: the registry is empty: it needs at least use_cases: and kpis:")
    if not isinstance(doc, dict):
        raise RegistryError(
            f"{source}: the registry must be a mapping of settings and sections ({sections}), "
            f"not {_kind(doc)}"
        )
    return doc


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", str: "text", bool: "true/false", type(None): "nothing"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


# --- Structure: the schema's keys, types and allowed values --------------------------------------------


def _nearest(word: Any, valid: list[str]) -> str:
    close = difflib.get_close_matches(str(word), valid, n=1)
    return f"did you mean {close[0]!r}?" if close else f"one of {', '.join(valid)}"


def _known(mapping: dict, valid: list[str], where: str) -> None:
    for name in mapping:
        if name not in valid:
            raise RegistryError(f"{where}: unknown key {name!r} ({_nearest(name, valid)})")


def _in_range(value: float, key: Key) -> bool:
    return not (
        (key.exclusive_minimum is not None and value <= key.exclusive_minimum)
        or (key.minimum is not None and value < key.minimum)
        or (key.maximum is not None and value > key.maximum)
    )


def _date(value: Any, where: str) -> date:
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RegistryError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RegistryError(f"{where}: {value!r} is not text (write it in quotes)")
    return value


def _value(value: Any, key: Key, where: str, sep: str = ".") -> Any:
    """``value`` of ``key`` checked against the schema and typed; RegistryError names ``where.key``."""
    at = f"{where}{sep}{key.name}"
    if key.type == "text":
        _text(value, at)
        if key.allowed and value not in key.allowed:
            close = difflib.get_close_matches(value, key.allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RegistryError(f"{at}: {value!r} is not one of {', '.join(key.allowed)}{hint}")
        if key.pattern and not re.fullmatch(key.pattern, value):
            raise RegistryError(f"{at}: {value!r} does not match {key.pattern}")
        return value
    if key.type in ("integer", "number"):
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not (whole or (key.type == "number" and isinstance(value, float) and math.isfinite(value))):
            raise RegistryError(f"{at}: {value!r} is not a {TYPE_NAMES[key.type]}")
        if not _in_range(value, key):
            raise RegistryError(f"{where}: {key.name} must be {key.range_rule}")
        return int(value) if key.type == "integer" else float(value)
    if key.type == "date":
        return _date(value, at)
    if key.type == "text_map":
        if not isinstance(value, dict):
            raise RegistryError(f"{at}: must be a mapping, not {_kind(value)}")
        return {name: _text(v, f"{at}.{name}") for name, v in value.items()}
    if key.type == "mapping":
        return _entry(value, key.keys, at)
    if not isinstance(value, list):
        raise RegistryError(f"{at}: must be a {TYPE_NAMES[key.type]}, not {_kind(value)}")
    if key.type == "date_range":
        if len(value) != 2:
            raise RegistryError(f"{at}: must be [first day, last day]")
        return [_date(v, f"{at}[{n}]") for n, v in enumerate(value)]
    if key.type == "text_list":
        return [_text(v, f"{at}[{n}]") for n, v in enumerate(value)]
    return [_entry(item, key.keys, f"{at}[{n}]") for n, item in enumerate(value)]


def _entry(raw: Any, keys: tuple[Key, ...], where: str) -> dict[str, Any]:
    """One mapping checked against ``keys``: no unknown key, typed values, defaults, required keys."""
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: must be a mapping, not {_kind(raw)}")
    _known(raw, [k.name for k in keys], where)
    entry: dict[str, Any] = {}
    for key in keys:
        value = raw.get(key.name)
        if value is None or value == "":
            if key.default is not None:
                entry[key.name] = key.default
            continue
        entry[key.name] = _value(value, key, where)
    missing = [k.name for k in keys if k.required and k.name not in entry]
    if missing:
        raise RegistryError(f"{where}: missing {', '.join(missing)}")
    return entry


def _read(doc: dict, source: str) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    """The settings given and every section's entries of one registry document, checked and typed."""
    _known(doc, list(TOP_LEVEL_KEYS), source)
    settings = {
        key.name: str(_value(doc[key.name], key, source, sep=": "))
        for key in SETTINGS
        if doc.get(key.name) not in (None, "")
    }
    sections: dict[str, list[dict]] = {}
    for section in SECTIONS:
        raw = [] if doc.get(section.name) is None else doc[section.name]
        if not isinstance(raw, list):
            raise RegistryError(f"{source}: `{section.name}` must be a list of mappings, not {_kind(raw)}")
        sections[section.name] = []
        for n, item in enumerate(raw):
            ident = item.get("id") if isinstance(item, dict) else None
            label = ident if isinstance(ident, str) and "id" in section.row_key else n
            sections[section.name].append(_entry(item, section.keys, f"{source}: {section.name}[{label}]"))
    return settings, sections


# --- Meaning: references between entries and rules across keys ------------------------------------------


def _check_unique(entries: list[dict], section: str, source: str) -> None:
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries):
        key = str(entry.get("id"))
        if key in seen:
            raise RegistryError(
                f"{source}: duplicate id {key!r} in `{section}` (entries {seen[key]} and {n})"
            )
        seen[key] = n


def _action_rejection(chain: dict) -> str | None:
    action = chain.get("action") or {}
    if not action.get("text"):
        return "no action: a value chain credits an action, and this one names none"
    if str(action.get("kind", "")).lower() in NOT_ACTIONS:
        return f"the 'action' is a {action['kind']}, which produces evidence but is not an action"
    if not action.get("start_date"):
        return "the action has no start_date"
    return None


def _check(given: dict[str, Any], sections: dict[str, list[dict]], source: str) -> Registry:
    """Everything the schema alone cannot say: the KPIs can be produced, ids are unique, every reference
    names an entry, and the rules across keys hold."""
    for section in SECTIONS:
        if section.needs_entries and not sections[section.name]:
            raise RegistryError(
                f"{source}: no `{section.name}` entries: {section.needs_entries}; add at least one"
            )
        if section.unique_id:
            _check_unique(sections[section.name], section.name, source)
    settings = {
        k.name: given.get(k.name, str(k.default))
        for k in SETTINGS
        if k.name in given or k.default is not None
    }
    try:
        ZoneInfo(settings["source_time_zone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RegistryError(
            f"{source}: source_time_zone: {settings['source_time_zone']!r} is not an IANA time zone"
            " (e.g. Europe/Berlin)"
        ) from exc

    units = {u["id"] for u in sections["business_units"]}
    teams = {t["id"] for t in sections["teams"]}
    for team in sections["teams"]:
        if team["business_unit"] not in units:
            raise RegistryError(
                f"{source}: teams[{team['id']}]: unknown business_unit {team['business_unit']!r}"
            )
    for uc in sections["use_cases"]:
        where = f"{source}: use_cases[{uc['id']}]"
        if uc["business_unit"] not in units:
            raise RegistryError(f"{where}: unknown business_unit {uc['business_unit']!r}")
        for team in uc.get("teams") or []:
            if team not in teams:
                raise RegistryError(f"{where}: unknown team {team!r}")
        if uc["status"] == "automated" and not uc.get("go_live_date"):
            raise RegistryError(f"{where}: an automated use case needs a go_live_date")
    use_cases = {u["id"] for u in sections["use_cases"]}
    for kpi in sections["kpis"]:
        where = f"{source}: kpis[{kpi['id']}]"
        if kpi["unit"] != KPI_UNITS[kpi["id"]]:
            raise RegistryError(f"{where}.unit: {kpi['id']} is measured in {KPI_UNITS[kpi['id']]}")
        if kpi["target_date"] <= kpi["baseline_date"]:
            raise RegistryError(f"{where}: target_date must be after baseline_date")
    for n, policy in enumerate(sections["sla_policies"]):
        if policy.get("use_case_id") and policy["use_case_id"] not in use_cases:
            raise RegistryError(f"{source}: sla_policies[{n}]: unknown use_case_id {policy['use_case_id']!r}")
    keys = [(p["priority"], p.get("use_case_id")) for p in sections["sla_policies"]]
    if len(keys) != len(set(keys)):
        raise RegistryError(f"{source}: sla_policies has two policies for the same priority and use case")

    _check_assumptions(sections, use_cases, source)

    rejected: list[tuple[str, str]] = []
    kept: list[dict] = []
    for chain in sections["value_chains"]:
        where = f"{source}: value_chains[{chain['id']}]"
        reason = _action_rejection(chain)
        if reason:
            rejected.append((chain["id"], reason))
            continue
        design = chain["design"]
        if design["evidence"] == "warehouse":
            if design.get("use_case_id") not in use_cases:
                raise RegistryError(f"{where}: design.use_case_id must name a registry use case")
            for team in (design.get("treatment_teams") or []) + (design.get("control_teams") or []):
                if team not in teams:
                    raise RegistryError(f"{where}: unknown team {team!r} in the design")
        rollout = [item["team"] for item in design.get("rollout") or []]
        if rollout and (design["type"], design["evidence"]) != ("staggered_adoption", "warehouse"):
            raise RegistryError(f"{where}: design.rollout is for staggered_adoption with warehouse evidence")
        for team in rollout:
            if team not in (design.get("treatment_teams") or []):
                raise RegistryError(f"{where}: design.rollout team {team!r} is not one of treatment_teams")
        if len(rollout) != len(set(rollout)):
            raise RegistryError(f"{where}: design.rollout names a team twice")
        kept.append(chain)
    sections["value_chains"] = kept

    _check_hypotheses(sections, use_cases, source)
    _check_commitments(sections, source)
    commitments = {c["id"] for c in sections["commitments"]}
    for expansion in sections["expansions"]:
        if expansion["commitment_id"] not in commitments:
            where = f"{source}: expansions[{expansion['id']}]"
            raise RegistryError(f"{where}: unknown commitment_id {expansion['commitment_id']!r}")
    return Registry(source=source, settings=settings, sections=sections, rejected_value_chains=rejected)


def _check_assumptions(sections: dict, use_cases: set[str], source: str) -> None:
    """Assumptions name registry use cases, keep low <= base <= high and do not repeat a scope."""
    scopes = set()
    for n, entry in enumerate(sections["assumptions"]):
        where = f"{source}: assumptions[{n}]"
        if entry.get("use_case_id") and entry["use_case_id"] not in use_cases:
            raise RegistryError(f"{where}: unknown use_case_id {entry['use_case_id']!r}")
        if not entry["low"] <= entry["base"] <= entry["high"]:
            raise RegistryError(
                f"{where}: low <= base <= high must hold ({entry['low']}, {entry['base']}, {entry['high']})"
            )
        scope = (entry["assumption"], entry.get("use_case_id"), entry.get("activity"))
        if scope in scopes:
            raise RegistryError(f"{where}: a second {scope[0]} for the same use case and activity")
        scopes.add(scope)


def _check_hypotheses(sections: dict, use_cases: set[str], source: str) -> None:
    units = {u["id"]: u["business_unit"] for u in sections["use_cases"]}
    for hypothesis in sections["hypotheses"]:
        where = f"{source}: hypotheses[{hypothesis['id']}]"
        seen: set[str] = set()
        for n, plan in enumerate(hypothesis.get("use_cases") or []):
            at, use_case = f"{where}.use_cases[{n}]", plan["use_case_id"]
            if use_case not in use_cases:
                raise RegistryError(f"{at}: unknown use_case_id {use_case!r}")
            if use_case in seen:
                raise RegistryError(f"{at}: use case {use_case!r} is planned twice")
            seen.add(use_case)
            if hypothesis["scope_type"] == "business_unit" and units[use_case] != hypothesis["scope_id"]:
                raise RegistryError(f"{at}: use case {use_case!r} is outside the scope")


def _check_commitments(sections: dict, source: str) -> None:
    """A commitment is one or more effective-dated versions sharing an id: the first version states it,
    each later one (a later valid_from) restates it and says why; kpi and scope never change."""
    hypotheses = {h["id"] for h in sections["hypotheses"]}
    kpis = {k["id"]: k for k in sections["kpis"]}
    versions: dict[str, list[dict]] = {}
    for commitment in sections["commitments"]:
        where = f"{source}: commitments[{commitment['id']}] (valid_from {commitment['valid_from']})"
        if commitment["kpi_id"] not in kpis:
            raise RegistryError(f"{where}: unknown kpi_id {commitment['kpi_id']!r}")
        if kpis[commitment["kpi_id"]]["unit"] != "currency":
            raise RegistryError(
                f"{where}: the value lifecycle tracks cumulative money; {commitment['kpi_id']!r} is a"
                " ratio KPI (its targets belong in the kpis section)"
            )
        if commitment.get("hypothesis_id") and commitment["hypothesis_id"] not in hypotheses:
            raise RegistryError(f"{where}: unknown hypothesis_id {commitment['hypothesis_id']!r}")
        if commitment["scope_type"] not in ("business_unit", "use_case", "portfolio"):
            raise RegistryError(
                f"{where}: realized value is tracked per portfolio, business_unit or use_case"
            )
        if commitment["deadline"] <= commitment["valid_from"]:
            raise RegistryError(f"{where}: deadline must be after valid_from")
        versions.setdefault(commitment["id"], []).append(commitment)
    for key, rows in versions.items():
        rows.sort(key=lambda c: c["valid_from"])
        for earlier, later in itertools.pairwise(rows):
            where = f"{source}: commitments[{key}] (valid_from {later['valid_from']})"
            if earlier["valid_from"] == later["valid_from"]:
                raise RegistryError(f"{where}: two versions with the same valid_from")
            if not later.get("restatement_reason"):
                raise RegistryError(f"{where}: a restated commitment needs a restatement_reason")
            for field_name in ("kpi_id", "scope_type", "scope_id", "hypothesis_id"):
                if later.get(field_name) != earlier.get(field_name):
                    raise RegistryError(f"{where}: a restatement cannot change {field_name}")
        if rows[0].get("restatement_reason"):
            raise RegistryError(
                f"{source}: commitments[{key}] (valid_from {rows[0]['valid_from']}): the first version"
                " is not a restatement (no restatement_reason)"
            )


# --- Entry points ------------------------------------------------------------------------------------


def parse_registry(text: str, source: str) -> Registry:
    """Parse and validate registry YAML; RegistryError names ``source`` and the offending entry."""
    return _check(*_read(_load(text, source), source), source)


def load_registry(landing_root: Path) -> Registry:
    """Read ``<landing_root>/registry/*.yml`` (one file, or several whose sections are concatenated; a
    setting may be given in one file only)."""
    folder = landing_root / "registry"
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    if not files:
        raise RegistryError(f"{folder}: no registry YAML file found")
    if len(files) == 1:
        return parse_registry(files[0].read_text(encoding="utf-8"), str(files[0]))
    settings: dict[str, Any] = {}
    setting_files: dict[str, Path] = {}
    sections: dict[str, list[dict]] = {s.name: [] for s in SECTIONS}
    for path in files:
        given, entries = _read(_load(path.read_text(encoding="utf-8"), str(path)), str(path))
        for name, value in given.items():
            if name in setting_files:
                raise RegistryError(
                    f"{path}: {name} is also set in {setting_files[name]}: set it in one file"
                )
            settings[name], setting_files[name] = value, path
        for name, items in entries.items():
            sections[name] += items
    return _check(settings, sections, ", ".join(str(p) for p in files))


def _row(keys: tuple[Key, ...], entry: dict) -> list:
    """The column values ``keys`` fill from ``entry``, in the order of registry_schema's columns."""
    values: list = []
    for key in keys:
        value = entry.get(key.name)
        if key.type == "mapping":
            values += _row(key.keys, value or {})
        elif key.column_name is None:
            continue
        elif key.type == "date_range":
            values += value or [None, None]
        elif key.store == "json":
            values.append(None if value is None else json.dumps(value))
        elif key.store == "first":
            values.append(value[0] if value else None)
        else:
            values.append(value)
    return values


def registry_tables(registry: Registry) -> dict[str, list[tuple]]:
    """Rows of every raw.registry_* table (column order as in TABLES)."""
    tables: dict[str, list[tuple]] = {name: [] for name in TABLES}
    tables["registry_settings"] = sorted(registry.settings.items())
    for section in SECTIONS:
        for entry in registry.sections[section.name]:
            tables[section.table].append(tuple(_row(section.keys, entry)))
            owner = tuple(entry[k] for k in section.row_key)
            for path, key in list_keys(section.keys):
                items = entry
                for name in path:
                    items = items.get(name) or {}
                for n, item in enumerate(items or [], start=1):
                    row = [*owner, item] if key.type == "text_list" else [*owner, *_row(key.keys, item)]
                    row += [n] if key.table.position_column else []
                    row += [key.table.tag[1]] if key.table.tag else []
                    tables[key.table.table].append(tuple(row))
        if section.rejected_table:
            tables[section.rejected_table[0]] = list(registry.rejected_value_chains)
    return tables
