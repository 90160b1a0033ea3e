"""The registry: version-controlled YAML of use cases, teams, KPIs, SLA policies, value chains,
hypotheses, commitments (effective-dated: a restatement is a new row) and expansions.

Parsing and validation are pure; ``registry_tables`` flattens a registry into the rows of the
``raw.registry_*`` tables (docs/architecture.md). Errors name the file and the entry.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

USE_CASE_STATUSES = {"identified", "in_progress", "automated", "retired"}
DIRECTIONS = {"higher_is_better", "lower_is_better"}
METRIC_CLASSES = {"business", "experience"}
DESIGN_TYPES = {"randomised", "diff_in_diff", "before_after", "self_reported"}
EVIDENCE_SOURCES = {"warehouse", "observations"}
# A survey or a report produces evidence; it is not an action that can be credited with value.
NOT_ACTIONS = {"survey", "report", "analysis", "dashboard", "study"}
SCOPE_TYPES = {"portfolio", "business_unit", "use_case", "team", "account"}


class RegistryError(ValueError):
    """The registry cannot be used: the message names the file and the entry."""


# Column names and SQL types of every raw.registry_* table, in order.
TABLES: dict[str, list[tuple[str, str]]] = {
    "registry_settings": [("setting_key", "VARCHAR"), ("setting_value", "VARCHAR")],
    "registry_business_units": [
        ("business_unit_id", "VARCHAR"),
        ("business_unit_name", "VARCHAR"),
        ("owner", "VARCHAR"),
    ],
    "registry_teams": [("team_id", "VARCHAR"), ("team_name", "VARCHAR"), ("business_unit_id", "VARCHAR")],
    "registry_use_cases": [
        ("use_case_id", "VARCHAR"),
        ("use_case_name", "VARCHAR"),
        ("process", "VARCHAR"),
        ("owner", "VARCHAR"),
        ("business_unit_id", "VARCHAR"),
        ("primary_team_id", "VARCHAR"),
        ("status", "VARCHAR"),
        ("identified_date", "DATE"),
        ("go_live_date", "DATE"),
        ("baseline_days", "INTEGER"),
        ("post_window_mode", "VARCHAR"),
        ("value_target", "DOUBLE"),
    ],
    "registry_use_case_teams": [
        ("use_case_id", "VARCHAR"),
        ("team_id", "VARCHAR"),
        ("team_order", "INTEGER"),
    ],
    "registry_kpis": [
        ("kpi_id", "VARCHAR"),
        ("kpi_name", "VARCHAR"),
        ("definition", "VARCHAR"),
        ("unit", "VARCHAR"),
        ("direction", "VARCHAR"),
        ("baseline", "DOUBLE"),
        ("baseline_date", "DATE"),
        ("target", "DOUBLE"),
        ("target_date", "DATE"),
        ("tolerance", "DOUBLE"),
        ("owner", "VARCHAR"),
        ("question_id", "VARCHAR"),
    ],
    "registry_sla_policies": [("priority", "VARCHAR"), ("use_case_id", "VARCHAR"), ("sla_hours", "DOUBLE")],
    "registry_value_chains": [
        ("value_chain_id", "VARCHAR"),
        ("value_chain_name", "VARCHAR"),
        ("insight_text", "VARCHAR"),
        ("insight_evidence_source", "VARCHAR"),
        ("action_text", "VARCHAR"),
        ("action_kind", "VARCHAR"),
        ("action_start_date", "DATE"),
        ("action_owner", "VARCHAR"),
        ("metric", "VARCHAR"),
        ("metric_class", "VARCHAR"),
        ("direction", "VARCHAR"),
        ("design_type", "VARCHAR"),
        ("evidence_source", "VARCHAR"),
        ("use_case_id", "VARCHAR"),
        ("pre_window_start", "DATE"),
        ("pre_window_end", "DATE"),
        ("post_window_start", "DATE"),
        ("post_window_end", "DATE"),
        ("unit_value", "DOUBLE"),
        ("unit_value_currency", "VARCHAR"),
        ("exposure", "DOUBLE"),
        ("exposure_unit", "VARCHAR"),
        ("action_cost_ref", "VARCHAR"),
    ],
    "registry_value_chain_teams": [
        ("value_chain_id", "VARCHAR"),
        ("team_id", "VARCHAR"),
        ("group_name", "VARCHAR"),
    ],
    "registry_value_chain_rejections": [("value_chain_id", "VARCHAR"), ("reason", "VARCHAR")],
    "registry_hypotheses": [
        ("hypothesis_id", "VARCHAR"),
        ("scope_type", "VARCHAR"),
        ("scope_id", "VARCHAR"),
        ("pain_points", "VARCHAR"),
        ("value_drivers", "VARCHAR"),
        ("assumptions", "VARCHAR"),
        ("projected_roi", "DOUBLE"),
        ("projected_value", "DOUBLE"),
    ],
    "registry_hypothesis_use_cases": [
        ("hypothesis_id", "VARCHAR"),
        ("use_case_id", "VARCHAR"),
        ("planned_go_live_date", "DATE"),
        ("assumed_adoption", "DOUBLE"),
        ("assumed_monthly_value", "DOUBLE"),
        ("assumed_cost", "DOUBLE"),
        ("cost_ref", "VARCHAR"),
    ],
    "registry_commitments": [
        ("commitment_id", "VARCHAR"),
        ("hypothesis_id", "VARCHAR"),
        ("kpi_id", "VARCHAR"),
        ("scope_type", "VARCHAR"),
        ("scope_id", "VARCHAR"),
        ("baseline", "DOUBLE"),
        ("target", "DOUBLE"),
        ("deadline", "DATE"),
        ("owner", "VARCHAR"),
        ("terms", "VARCHAR"),
        ("valid_from", "DATE"),
        ("restatement_reason", "VARCHAR"),
    ],
    "registry_commitment_milestones": [
        ("commitment_id", "VARCHAR"),
        ("valid_from", "DATE"),
        ("milestone_date", "DATE"),
        ("milestone_target", "DOUBLE"),
    ],
    "registry_expansions": [
        ("expansion_id", "VARCHAR"),
        ("commitment_id", "VARCHAR"),
        ("scope_name", "VARCHAR"),
        ("scale", "DOUBLE"),
        ("horizon_months", "INTEGER"),
        ("rationale", "VARCHAR"),
    ],
}


@dataclass
class Registry:
    """A parsed, validated registry: one dict per entry, as written in the YAML."""

    source: str
    settings: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejected_value_chains: list[tuple[str, str]] = field(default_factory=list)

    def ids(self, section: str) -> list[str]:
        return [str(e["id"]) for e in self.sections.get(section, [])]


def _date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RegistryError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _number(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RegistryError(f"{where}: {value!r} is not a number")
    return float(value)


def _entries(doc: dict, section: str, source: str) -> list[dict[str, Any]]:
    entries = doc.get(section) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RegistryError(f"{source}: `{section}` must be a list of mappings")
    return entries


def _require(entry: dict, keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if entry.get(k) in (None, "")]
    if missing:
        raise RegistryError(f"{where}: missing {', '.join(missing)}")


def _check_unique(entries: list[dict], section: str, source: str) -> None:
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries):
        key = str(entry.get("id"))
        if key in seen:
            raise RegistryError(
                f"{source}: duplicate id {key!r} in `{section}` (entries {seen[key]} and {n})"
            )
        seen[key] = n


def _one_of(value: Any, allowed: set[str], where: str) -> None:
    if value not in allowed:
        raise RegistryError(f"{where}: {value!r} is not one of {', '.join(sorted(allowed))}")


def _action_rejection(chain: dict) -> str | None:
    action = chain.get("action")
    if not isinstance(action, dict) or not action.get("text"):
        return "no action: a value chain credits an action, and this one names none"
    if str(action.get("kind", "")).lower() in NOT_ACTIONS:
        return f"the 'action' is a {action['kind']}, which produces evidence but is not an action"
    if not action.get("start_date"):
        return "the action has no start_date"
    return None


def parse_registry(text: str, source: str) -> Registry:
    """Parse and validate registry YAML; RegistryError names ``source`` and the offending entry."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{source}: malformed YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise RegistryError(f"{source}: the registry must be a YAML mapping")
    sections = {
        s: _entries(doc, s, source)
        for s in (
            "business_units",
            "teams",
            "use_cases",
            "kpis",
            "sla_policies",
            "value_chains",
            "hypotheses",
            "commitments",
            "expansions",
        )
    }
    for section in (
        "business_units",
        "teams",
        "use_cases",
        "kpis",
        "value_chains",
        "hypotheses",
        "commitments",
        "expansions",
    ):
        for n, entry in enumerate(sections[section]):
            _require(entry, ("id",), f"{source}: {section}[{n}]")
        # A commitment's id repeats once per restatement (checked in _check_commitments).
        if section != "commitments":
            _check_unique(sections[section], section, source)

    units = set(str(u["id"]) for u in sections["business_units"])
    teams = set(str(t["id"]) for t in sections["teams"])
    for team in sections["teams"]:
        if team.get("business_unit") not in units:
            raise RegistryError(
                f"{source}: teams[{team['id']}]: unknown business_unit {team.get('business_unit')!r}"
            )
    for uc in sections["use_cases"]:
        where = f"{source}: use_cases[{uc['id']}]"
        _require(uc, ("name", "business_unit", "status"), where)
        _one_of(uc["status"], USE_CASE_STATUSES, f"{where}.status")
        if uc["business_unit"] not in units:
            raise RegistryError(f"{where}: unknown business_unit {uc['business_unit']!r}")
        for team in uc.get("teams") or []:
            if team not in teams:
                raise RegistryError(f"{where}: unknown team {team!r}")
        if uc["status"] == "automated" and not uc.get("go_live_date"):
            raise RegistryError(f"{where}: an automated use case needs a go_live_date")
        _date(uc.get("go_live_date"), f"{where}.go_live_date")
        _date(uc.get("identified_date"), f"{where}.identified_date")
        _number(uc.get("value_target", 0), f"{where}.value_target")
    use_cases = set(str(u["id"]) for u in sections["use_cases"])
    for kpi in sections["kpis"]:
        where = f"{source}: kpis[{kpi['id']}]"
        _require(kpi, ("name", "unit", "direction", "target", "target_date", "baseline_date"), where)
        _one_of(kpi["direction"], DIRECTIONS, f"{where}.direction")
        if _date(kpi["target_date"], where) <= _date(kpi["baseline_date"], where):
            raise RegistryError(f"{where}: target_date must be after baseline_date")
    for n, policy in enumerate(sections["sla_policies"]):
        where = f"{source}: sla_policies[{n}]"
        _require(policy, ("priority", "sla_hours"), where)
        if policy.get("use_case_id") and policy["use_case_id"] not in use_cases:
            raise RegistryError(f"{where}: unknown use_case_id {policy['use_case_id']!r}")
        if (_number(policy["sla_hours"], where) or 0) <= 0:
            raise RegistryError(f"{where}: sla_hours must be positive")
    keys = [(p["priority"], p.get("use_case_id")) for p in sections["sla_policies"]]
    if len(keys) != len(set(keys)):
        raise RegistryError(f"{source}: sla_policies has two policies for the same priority and use case")

    rejected: list[tuple[str, str]] = []
    kept: list[dict] = []
    for chain in sections["value_chains"]:
        where = f"{source}: value_chains[{chain['id']}]"
        reason = _action_rejection(chain)
        if reason:
            rejected.append((str(chain["id"]), reason))
            continue
        _require(chain, ("metric", "metric_class", "design"), where)
        _one_of(chain["metric_class"], METRIC_CLASSES, f"{where}.metric_class")
        _one_of(chain.get("direction", "higher_is_better"), DIRECTIONS, f"{where}.direction")
        design = chain["design"]
        _one_of(design.get("type"), DESIGN_TYPES, f"{where}.design.type")
        _one_of(design.get("evidence"), EVIDENCE_SOURCES, f"{where}.design.evidence")
        if design["evidence"] == "warehouse":
            if design.get("use_case_id") not in use_cases:
                raise RegistryError(f"{where}: design.use_case_id must name a registry use case")
            for team in (design.get("treatment_teams") or []) + (design.get("control_teams") or []):
                if team not in teams:
                    raise RegistryError(f"{where}: unknown team {team!r} in the design")
        kept.append(chain)
    sections["value_chains"] = kept

    _check_hypotheses(sections, use_cases, source)
    _check_commitments(sections, source)
    _check_expansions(sections, source)
    settings = {
        "reporting_currency": str(doc.get("reporting_currency", "USD")),
        "source_time_zone": str(doc.get("source_time_zone", "UTC")),
        "registry_version": str(doc.get("registry_version", 1)),
    }
    return Registry(source=source, settings=settings, sections=sections, rejected_value_chains=rejected)


def _check_hypotheses(sections: dict, use_cases: set[str], source: str) -> None:
    units = {str(u["id"]): u for u in sections["use_cases"]}
    for hypothesis in sections["hypotheses"]:
        where = f"{source}: hypotheses[{hypothesis['id']}]"
        _require(hypothesis, ("scope_type", "scope_id"), where)
        _one_of(hypothesis["scope_type"], SCOPE_TYPES, f"{where}.scope_type")
        seen: set[str] = set()
        for n, plan in enumerate(hypothesis.get("use_cases") or []):
            at = f"{where}.use_cases[{n}]"
            if not isinstance(plan, dict):
                raise RegistryError(f"{at}: must be a mapping")
            _require(plan, ("use_case_id", "planned_go_live", "assumed_monthly_value"), at)
            if plan["use_case_id"] not in use_cases:
                raise RegistryError(f"{at}: unknown use_case_id {plan['use_case_id']!r}")
            if plan["use_case_id"] in seen:
                raise RegistryError(f"{at}: use case {plan['use_case_id']!r} is planned twice")
            seen.add(plan["use_case_id"])
            if hypothesis["scope_type"] == "business_unit" and (
                units[plan["use_case_id"]]["business_unit"] != hypothesis["scope_id"]
            ):
                raise RegistryError(f"{at}: use case {plan['use_case_id']!r} is outside the scope")
            _date(plan["planned_go_live"], f"{at}.planned_go_live")
            adoption = _number(plan.get("assumed_adoption"), f"{at}.assumed_adoption")
            if adoption is not None and not 0 < adoption <= 1:
                raise RegistryError(f"{at}: assumed_adoption must be in (0, 1]")
            for key in ("assumed_monthly_value", "assumed_cost"):
                if (_number(plan.get(key), f"{at}.{key}") or 0) < 0:
                    raise RegistryError(f"{at}: {key} must not be negative")


def _check_commitments(sections: dict, source: str) -> None:
    """A commitment is one or more effective-dated versions sharing an id: the first version states it,
    each later one (a later valid_from) restates it and says why; kpi and scope never change."""
    hypotheses = {str(h["id"]): h for h in sections["hypotheses"]}
    kpis = {str(k["id"]): k for k in sections["kpis"]}
    versions: dict[str, list[dict]] = {}
    for commitment in sections["commitments"]:
        where = f"{source}: commitments[{commitment['id']}]"
        _require(commitment, ("kpi_id", "scope_type", "scope_id", "target", "deadline", "valid_from"), where)
        where = f"{where} (valid_from {commitment['valid_from']})"
        if commitment["kpi_id"] not in kpis:
            raise RegistryError(f"{where}: unknown kpi_id {commitment['kpi_id']!r}")
        if kpis[commitment["kpi_id"]]["unit"] != "currency":
            raise RegistryError(
                f"{where}: the value lifecycle tracks cumulative money; {commitment['kpi_id']!r} is a"
                " ratio KPI (its targets belong in the kpis section)"
            )
        if commitment.get("hypothesis_id") and commitment["hypothesis_id"] not in hypotheses:
            raise RegistryError(f"{where}: unknown hypothesis_id {commitment['hypothesis_id']!r}")
        _one_of(commitment["scope_type"], SCOPE_TYPES, f"{where}.scope_type")
        if commitment["scope_type"] not in ("business_unit", "use_case", "portfolio"):
            raise RegistryError(
                f"{where}: realized value is tracked per portfolio, business_unit or use_case"
            )
        valid_from = _date(commitment["valid_from"], f"{where}.valid_from")
        if _date(commitment["deadline"], f"{where}.deadline") <= valid_from:
            raise RegistryError(f"{where}: deadline must be after valid_from")
        if (_number(commitment["target"], f"{where}.target") or 0) <= 0:
            raise RegistryError(f"{where}: target must be positive")
        for n, milestone in enumerate(commitment.get("milestones") or []):
            _require(milestone, ("date", "target"), f"{where}.milestones[{n}]")
            _date(milestone["date"], f"{where}.milestones[{n}].date")
            _number(milestone["target"], f"{where}.milestones[{n}].target")
        versions.setdefault(str(commitment["id"]), []).append(commitment)
    for key, rows in versions.items():
        rows.sort(key=lambda c: _date(c["valid_from"], key))
        for earlier, later in itertools.pairwise(rows):
            where = f"{source}: commitments[{key}] (valid_from {later['valid_from']})"
            if _date(earlier["valid_from"], key) == _date(later["valid_from"], key):
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


def _check_expansions(sections: dict, source: str) -> None:
    commitments = set(str(c["id"]) for c in sections["commitments"])
    for expansion in sections["expansions"]:
        where = f"{source}: expansions[{expansion['id']}]"
        _require(expansion, ("commitment_id", "scope_name", "scale", "horizon_months"), where)
        if expansion["commitment_id"] not in commitments:
            raise RegistryError(f"{where}: unknown commitment_id {expansion['commitment_id']!r}")
        if (_number(expansion["scale"], f"{where}.scale") or 0) <= 0:
            raise RegistryError(f"{where}: scale (new scope's units per current unit) must be positive")
        horizon = expansion["horizon_months"]
        if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon <= 0:
            raise RegistryError(f"{where}: horizon_months must be a positive whole number")


def load_registry(landing_root: Path) -> Registry:
    """Read ``<landing_root>/registry/*.yml`` (one file, or several whose sections are concatenated)."""
    folder = landing_root / "registry"
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    if not files:
        raise RegistryError(f"{folder}: no registry YAML file found")
    if len(files) == 1:
        return parse_registry(files[0].read_text(encoding="utf-8"), str(files[0]))
    merged: dict[str, Any] = {}
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise RegistryError(f"{path}: malformed YAML: {exc}") from exc
        for key, value in doc.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return parse_registry(yaml.safe_dump(merged), ", ".join(str(p) for p in files))


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


def registry_tables(registry: Registry) -> dict[str, list[tuple]]:
    """Rows of every raw.registry_* table (column order as in TABLES)."""
    s = registry.sections
    d = _date
    tables: dict[str, list[tuple]] = {
        "registry_settings": sorted(registry.settings.items()),
        "registry_business_units": [(u["id"], u.get("name"), u.get("owner")) for u in s["business_units"]],
        "registry_teams": [(t["id"], t.get("name"), t["business_unit"]) for t in s["teams"]],
        "registry_use_cases": [
            (
                u["id"],
                u["name"],
                u.get("process"),
                u.get("owner"),
                u["business_unit"],
                (u.get("teams") or [None])[0],
                u["status"],
                d(u.get("identified_date"), u["id"]),
                d(u.get("go_live_date"), u["id"]),
                int(u.get("baseline_days", 90)),
                u.get("post_window", "to_date"),
                float(u.get("value_target", 0)),
            )
            for u in s["use_cases"]
        ],
        "registry_use_case_teams": [
            (u["id"], team, n) for u in s["use_cases"] for n, team in enumerate(u.get("teams") or [], start=1)
        ],
        "registry_kpis": [
            (
                k["id"],
                k["name"],
                k.get("definition"),
                k["unit"],
                k["direction"],
                float(k.get("baseline", 0)),
                d(k["baseline_date"], k["id"]),
                float(k["target"]),
                d(k["target_date"], k["id"]),
                float(k.get("tolerance", 0.10)),
                k.get("owner"),
                k.get("question_id"),
            )
            for k in s["kpis"]
        ],
        "registry_sla_policies": [
            (p["priority"], p.get("use_case_id"), float(p["sla_hours"])) for p in s["sla_policies"]
        ],
        "registry_value_chains": [],
        "registry_value_chain_teams": [],
        "registry_value_chain_rejections": list(registry.rejected_value_chains),
        "registry_hypotheses": [
            (
                h["id"],
                h.get("scope_type"),
                h.get("scope_id"),
                _json(h.get("pain_points")),
                _json(h.get("value_drivers")),
                _json(h.get("assumptions")),
                h.get("projected_roi"),
                h.get("projected_value"),
            )
            for h in s["hypotheses"]
        ],
        "registry_hypothesis_use_cases": [
            (
                h["id"],
                p["use_case_id"],
                d(p["planned_go_live"], h["id"]),
                p.get("assumed_adoption"),
                float(p["assumed_monthly_value"]),
                float(p.get("assumed_cost", 0)),
                p.get("cost_ref"),
            )
            for h in s["hypotheses"]
            for p in h.get("use_cases") or []
        ],
        "registry_commitments": [
            (
                c["id"],
                c.get("hypothesis_id"),
                c["kpi_id"],
                c["scope_type"],
                c["scope_id"],
                float(c.get("baseline", 0)),
                float(c["target"]),
                d(c["deadline"], c["id"]),
                c.get("owner"),
                _json(c.get("terms")),
                d(c["valid_from"], c["id"]),
                c.get("restatement_reason"),
            )
            for c in s["commitments"]
        ],
        "registry_commitment_milestones": [
            (c["id"], d(c["valid_from"], c["id"]), d(m["date"], c["id"]), float(m["target"]))
            for c in s["commitments"]
            for m in c.get("milestones") or []
        ],
        "registry_expansions": [
            (
                e["id"],
                e["commitment_id"],
                e["scope_name"],
                float(e["scale"]),
                int(e["horizon_months"]),
                e.get("rationale"),
            )
            for e in s["expansions"]
        ],
    }
    for chain in s["value_chains"]:
        design, insight, action = chain["design"], chain.get("insight") or {}, chain["action"]
        pre, post = design.get("pre_window") or [None, None], design.get("post_window") or [None, None]
        tables["registry_value_chains"].append(
            (
                chain["id"],
                chain.get("name"),
                insight.get("text"),
                insight.get("evidence_source"),
                action["text"],
                action.get("kind"),
                d(action["start_date"], chain["id"]),
                action.get("owner"),
                chain["metric"],
                chain["metric_class"],
                chain.get("direction", "higher_is_better"),
                design["type"],
                design["evidence"],
                design.get("use_case_id"),
                d(pre[0], chain["id"]),
                d(pre[1], chain["id"]),
                d(post[0], chain["id"]),
                d(post[1], chain["id"]),
                chain.get("unit_value"),
                chain.get("unit_value_currency"),
                chain.get("exposure"),
                chain.get("exposure_unit"),
                chain.get("action_cost_ref"),
            )
        )
        for group in ("treatment", "control"):
            for team in design.get(f"{group}_teams") or []:
                tables["registry_value_chain_teams"].append((chain["id"], team, group))
    return tables
