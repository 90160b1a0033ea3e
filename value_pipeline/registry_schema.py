"""The registry's schema, written once: every section, the keys of its entries (type, required, default,
allowed values, meaning) and the ``raw.registry_*`` column each key fills.

Derived from it: the parser's structural checks (value_pipeline/registry.py), the raw tables' column
lists (``registry.TABLES``), the JSON Schema editors validate with (docs/registry.schema.json) and the
reference page docs/registry.md (both written by ``value-pipeline docs``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# The KPIs the warehouse computes (one dbt model each, int_kpi_<id>_daily) and the unit of each value.
KPI_UNITS = {
    "automation_coverage": "ratio",
    "cycle_time_reduction": "ratio",
    "sla_compliance": "ratio",
    "ai_tool_adoption": "ratio",
    "value_tracked": "currency",
    "sentiment_lift": "ratio",
}
DIRECTIONS = ("higher_is_better", "lower_is_better")
# Value-chain designs, each named after the evidence grade it gives, strongest first:
# randomised > diff_in_diff, staggered_adoption, synthetic_control > interrupted_time_series >
# before_after > self_reported (value_pipeline/stats names the same grades).
DESIGN_TYPES = (
    "randomised",
    "diff_in_diff",
    "staggered_adoption",
    "synthetic_control",
    "interrupted_time_series",
    "before_after",
    "self_reported",
)
SCOPE_TYPES = ("portfolio", "business_unit", "use_case", "team", "account")
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

# Key types: YAML shape -> SQL type of the column it fills (None: it fills no column of its own).
SQL_TYPES = {
    "text": "VARCHAR",
    "integer": "INTEGER",
    "number": "DOUBLE",
    "date": "DATE",
    "date_range": "DATE",
    "text_list": "VARCHAR",
    "text_map": "VARCHAR",
    "mapping": None,
    "mapping_list": None,
}
TYPE_NAMES = {
    "text": "text",
    "integer": "whole number",
    "number": "number",
    "date": "date (YYYY-MM-DD)",
    "date_range": "[first day, last day]",
    "text_list": "list of text",
    "text_map": "mapping of text",
    "mapping": "mapping",
    "mapping_list": "list of mappings",
}


@dataclass(frozen=True)
class ListTable:
    """A raw table with one row per item of a list key: the owning entry's key columns, then the item's
    columns (``item_column`` for a list of text, the item keys' columns for a list of mappings), then
    the item's 1-based position and/or a constant tag naming the list."""

    table: str
    item_column: str | None = None
    position_column: str | None = None
    tag: tuple[str, str] | None = None


@dataclass(frozen=True)
class Key:
    """One key of an entry (or of a mapping inside it).

    ``column``: the raw column it fills ("" = its own name, None = none); a ``date_range`` fills
    ``<column>_start`` and ``<column>_end``. ``store``: ``value``, ``json`` (the list or mapping as JSON
    text) or ``first`` (the first item of a list). ``keys``: the keys of a mapping or of each item of a
    list of mappings. ``table``: the list's own raw table.
    """

    name: str
    type: str
    description: str
    required: bool = False
    default: Any = None
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    column: str | None = ""
    store: str = "value"
    keys: tuple[Key, ...] = ()
    table: ListTable | None = None

    @property
    def column_name(self) -> str | None:
        return self.name if self.column == "" else self.column

    @property
    def range_rule(self) -> str | None:
        """What a number must be ("positive", "in (0, 1]", ...), or None when it has no range."""
        if self.exclusive_minimum is not None and self.maximum is not None:
            return f"in ({self.exclusive_minimum:g}, {self.maximum:g}]"
        if self.minimum is not None and self.maximum is not None:
            return f"from {self.minimum:g} to {self.maximum:g}"
        if self.exclusive_minimum is not None:
            return "positive" if self.exclusive_minimum == 0 else f"more than {self.exclusive_minimum:g}"
        if self.minimum is not None:
            return "zero or more" if self.minimum == 0 else f"at least {self.minimum:g}"
        return None


@dataclass(frozen=True)
class Section:
    """A top-level list of entries and the raw table holding one row per entry."""

    name: str
    description: str
    table: str
    keys: tuple[Key, ...]
    # Keys whose columns identify an entry's row in its list tables.
    row_key: tuple[str, ...] = ("id",)
    unique_id: bool = True
    # Entries the parser sets aside with a reason, and the table listing them.
    rejected_table: tuple[str, tuple[tuple[str, str], ...]] | None = None
    # Why the KPIs cannot be computed without an entry here (use cases, KPIs); "" = may be empty.
    needs_entries: str = ""

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)


def _id(entity: str, what: str) -> Key:
    return Key("id", "text", f"Unique id of the {what}.", required=True, column=f"{entity}_id")


def _name(entity: str) -> Key:
    return Key("name", "text", "Display name.", column=f"{entity}_name")


def _owner(what: str = "entry") -> Key:
    return Key("owner", "text", f"Accountable owner of the {what}.")


SETTINGS: tuple[Key, ...] = (
    Key("registry_version", "integer", "Version of the registry's layout.", default=1, minimum=1),
    Key(
        "reporting_currency",
        "text",
        "ISO 4217 code every money figure is reported in (benefits are converted at the month's FX rate).",
        default="USD",
        pattern=r"^[A-Z]{3}$",
    ),
    Key(
        "source_time_zone",
        "text",
        "IANA time zone of landing timestamps written without an offset (e.g. Europe/Berlin).",
        default="UTC",
    ),
    Key(
        "min_cases_to_judge",
        "integer",
        "Reports judge a rate over cases (on track, off track, alerts) only from this many cases; "
        "below it the figure reads too few to judge.",
        default=20,
        minimum=1,
    ),
    Key(
        "blocker_min_wait_rise",
        "number",
        "A transition's median wait is a blocker when it rose by more than this share of its baseline "
        "median (0.2 = 20%) between the baseline and post windows (marts.process_wait_changes).",
        default=0.2,
        minimum=0,
    ),
    Key(
        "earliest_plausible_date",
        "date",
        "Landing dates and timestamps before this day are quarantined as implausible; set it for "
        "historical logs. Default: the registry's earliest date minus 5 years.",
    ),
    Key(
        "unplaced_data_files",
        "text",
        "A landing file that looks like a contract's data but cannot be placed (a name matching no "
        "contract, a nested or symlinked folder, an unsupported data format): refuse the load, or warn "
        "(list it as not loaded). Hidden files and other extensions are always only listed.",
        default="refuse",
        allowed=("refuse", "warn"),
    ),
)
SETTINGS_TABLE = ("registry_settings", (("setting_key", "VARCHAR"), ("setting_value", "VARCHAR")))

_WINDOW = "the design's {} window: [first day, last day], both included (warehouse designs)."

SECTIONS: tuple[Section, ...] = (
    Section(
        "business_units",
        "Business units of the portfolio.",
        "registry_business_units",
        (_id("business_unit", "business unit"), _name("business_unit"), _owner("business unit")),
    ),
    Section(
        "teams",
        "Teams (as named in events, the HR roster, surveys and cost rates) and their business unit.",
        "registry_teams",
        (
            _id("team", "team"),
            _name("team"),
            Key(
                "business_unit",
                "text",
                "The team's business unit (an id of `business_units`).",
                required=True,
                column="business_unit_id",
            ),
        ),
    ),
    Section(
        "use_cases",
        "AI and automation use cases: their lifecycle dates, measurement windows and value target.",
        "registry_use_cases",
        (
            _id("use_case", "use case (the `use_case_id` of its workflow events)"),
            Key("name", "text", "Display name.", required=True, column="use_case_name"),
            Key("process", "text", "Business process (e.g. procure_to_pay)."),
            _owner("use case"),
            Key(
                "business_unit",
                "text",
                "Business unit of the use case (an id of `business_units`).",
                required=True,
                column="business_unit_id",
            ),
            Key(
                "teams",
                "text_list",
                "Teams working the use case's cases (ids of `teams`); the first one's hourly cost values "
                "the hours saved.",
                column="primary_team_id",
                store="first",
                table=ListTable(
                    "registry_use_case_teams", item_column="team_id", position_column="team_order"
                ),
            ),
            Key(
                "status",
                "text",
                "Lifecycle status; an `automated` use case needs a go_live_date.",
                required=True,
                allowed=("identified", "in_progress", "automated", "retired"),
            ),
            Key("identified_date", "date", "When the use case was identified."),
            Key("go_live_date", "date", "Go-live date: the baseline window ends the day before it."),
            Key(
                "baseline_days",
                "integer",
                "Length of the baseline window in days (before go-live).",
                default=90,
                exclusive_minimum=0,
            ),
            Key(
                "post_window",
                "text",
                "Post window: `to_date` (go-live to the as-of date) or `trailing` (the last baseline_days "
                "days).",
                default="to_date",
                allowed=("to_date", "trailing"),
                column="post_window_mode",
            ),
            Key(
                "value_target",
                "number",
                "Value target in reporting currency (value_tracked's target at use-case scope).",
                default=0.0,
                minimum=0,
            ),
        ),
        needs_entries="every KPI is computed from the use cases' data",
    ),
    Section(
        "kpis",
        "The KPI catalogue: each KPI the warehouse computes is defined here once (dim_kpi and "
        "docs/kpis.md come from it).",
        "registry_kpis",
        (
            Key(
                "id",
                "text",
                "Which KPI (the warehouse computes these six).",
                required=True,
                allowed=tuple(KPI_UNITS),
                column="kpi_id",
            ),
            Key("name", "text", "Display name.", required=True, column="kpi_name"),
            Key("definition", "text", "Business definition, as shown in reports and docs."),
            Key(
                "unit",
                "text",
                "Unit of the KPI's value: `currency` for value_tracked, `ratio` for the others.",
                required=True,
                allowed=("ratio", "currency"),
            ),
            Key("direction", "text", "Which way is better.", required=True, allowed=DIRECTIONS),
            Key("baseline", "number", "Value at the baseline date (start of the glide path).", default=0.0),
            Key("baseline_date", "date", "Start of the glide path.", required=True),
            Key("target", "number", "Target value (end of the glide path).", required=True),
            Key("target_date", "date", "Date the target is due; after baseline_date.", required=True),
            Key(
                "tolerance",
                "number",
                "Allowed relative shortfall against the glide path (0.10 = 10% of the glide-path value).",
                default=0.10,
                minimum=0,
            ),
            _owner("KPI"),
            Key("question_id", "text", "Survey question the KPI reads (sentiment_lift)."),
        ),
        needs_entries="only the KPIs defined here are published",
    ),
    Section(
        "sla_policies",
        "Resolution SLAs: hours from opened to resolved per priority, optionally for one use case (a "
        "use-case policy overrides the priority's general one). At most one policy per priority and use "
        "case.",
        "registry_sla_policies",
        (
            Key("priority", "text", "Priority of the cases (as in workflow events).", required=True),
            Key("use_case_id", "text", "Use case the policy is specific to (none: every use case)."),
            Key(
                "sla_hours",
                "number",
                "Hours allowed from opened to resolved.",
                required=True,
                exclusive_minimum=0,
            ),
        ),
        row_key=(),
        unique_id=False,
    ),
    Section(
        "value_chains",
        "Insight -> action -> metric -> value chains with their evidence design. A chain without a real "
        "action (no action text or start_date, or a survey, report, analysis, dashboard or study as the "
        "action) is not estimated: it is listed in raw.registry_value_chain_rejections with the reason.",
        "registry_value_chains",
        (
            _id("value_chain", "value chain"),
            _name("value_chain"),
            Key(
                "insight",
                "mapping",
                "The insight that led to the action.",
                keys=(
                    Key("text", "text", "The insight.", column="insight_text"),
                    Key(
                        "evidence_source",
                        "text",
                        "Where the insight came from.",
                        column="insight_evidence_source",
                    ),
                ),
            ),
            Key(
                "action",
                "mapping",
                "The action credited with the change.",
                keys=(
                    Key("text", "text", "The action taken.", column="action_text"),
                    Key(
                        "kind",
                        "text",
                        "Kind of action (intervention, automation, ...).",
                        column="action_kind",
                    ),
                    Key("start_date", "date", "When the action started.", column="action_start_date"),
                    Key("owner", "text", "Owner of the action.", column="action_owner"),
                ),
            ),
            Key("metric", "text", "The metric the action should move.", required=True),
            Key(
                "metric_class",
                "text",
                "`business` metrics are converted to money; `experience` metrics never are.",
                required=True,
                allowed=("business", "experience"),
            ),
            Key("direction", "text", "Which way is better.", default="higher_is_better", allowed=DIRECTIONS),
            Key(
                "design",
                "mapping",
                "The evidence design.",
                required=True,
                keys=(
                    Key(
                        "type",
                        "text",
                        "Evidence design.",
                        required=True,
                        allowed=DESIGN_TYPES,
                        column="design_type",
                    ),
                    Key(
                        "control_group",
                        "text",
                        "staggered_adoption: compare each cohort with the never-treated units or with the"
                        " units"
                        " not yet treated at the time.",
                        default="never_treated",
                        allowed=("never_treated", "not_yet_treated"),
                        column="design_control_group",
                    ),
                    Key(
                        "min_pre_periods",
                        "integer",
                        "before_after with observations: with at least this many dated pre-periods the"
                        " treatment series gets an interrupted time series instead of a before/after"
                        " comparison.",
                        default=8,
                        minimum=3,
                        column="design_min_pre_periods",
                    ),
                    Key(
                        "evidence",
                        "text",
                        "`warehouse` (the use case's cases) or `observations` (the observations files).",
                        required=True,
                        allowed=("warehouse", "observations"),
                        column="evidence_source",
                    ),
                    Key(
                        "use_case_id",
                        "text",
                        "Use case whose cases are the evidence (required for warehouse).",
                    ),
                    Key(
                        "pre_window",
                        "date_range",
                        _WINDOW.format("pre")
                        + " Staggered adoption, synthetic control and time series compare months: every"
                        " month from this window's first day to the post window's last, the first treated"
                        " month holding the post window's first day (or each team's rollout).",
                    ),
                    Key("post_window", "date_range", _WINDOW.format("post")),
                    Key(
                        "treatment_teams",
                        "text_list",
                        "Teams that got the action (ids of `teams`; warehouse designs).",
                        column=None,
                        table=ListTable(
                            "registry_value_chain_teams", "team_id", tag=("group_name", "treatment")
                        ),
                    ),
                    Key(
                        "control_teams",
                        "text_list",
                        "Teams that did not (ids of `teams`; warehouse designs).",
                        column=None,
                        table=ListTable(
                            "registry_value_chain_teams", "team_id", tag=("group_name", "control")
                        ),
                    ),
                    Key(
                        "rollout",
                        "mapping_list",
                        "staggered_adoption with warehouse evidence: the date each treatment team got the"
                        " action. A treatment team not listed adopts on its first AI-tool usage (HR roster"
                        " team of the user); the month holding the date is the team's first treated month.",
                        column=None,
                        table=ListTable("registry_value_chain_rollouts"),
                        keys=(
                            Key(
                                "team",
                                "text",
                                "Treatment team (an id of `treatment_teams`, at most once).",
                                required=True,
                                column="team_id",
                            ),
                            Key(
                                "date",
                                "date",
                                "Day the team got the action.",
                                required=True,
                                column="rollout_date",
                            ),
                        ),
                    ),
                ),
            ),
            Key("unit_value", "number", "Money per unit of metric improvement."),
            Key("unit_value_currency", "text", "Currency of unit_value (ISO 4217).", pattern=r"^[A-Z]{3}$"),
            Key("exposure", "number", "Units affected per year.", minimum=0),
            Key("exposure_unit", "text", "What exposure counts (e.g. cases per year)."),
            Key("action_cost_ref", "text", "Finance action-cost reference of the action's costs."),
        ),
        rejected_table=(
            "registry_value_chain_rejections",
            (("value_chain_id", "VARCHAR"), ("reason", "VARCHAR")),
        ),
    ),
    Section(
        "hypotheses",
        "Value hypotheses (business cases) per scope, the start of the value lifecycle (docs/lifecycle.md).",
        "registry_hypotheses",
        (
            _id("hypothesis", "hypothesis"),
            Key("scope_type", "text", "Kind of scope.", required=True, allowed=SCOPE_TYPES),
            Key(
                "scope_id",
                "text",
                "Scope id (a business unit id for business_unit scope; an account name for account).",
                required=True,
            ),
            Key("pain_points", "text_list", "Pain points.", store="json"),
            Key("value_drivers", "text_list", "Value drivers (KPI ids).", store="json"),
            Key("assumptions", "text_list", "Assumptions of the business case.", store="json"),
            Key("projected_roi", "number", "Projected return on investment (multiple)."),
            Key("projected_value", "number", "Projected value in reporting currency."),
            Key(
                "use_cases",
                "mapping_list",
                "Quantified assumptions per use case, the plan value leakage is measured against.",
                column=None,
                table=ListTable("registry_hypothesis_use_cases"),
                keys=(
                    Key(
                        "use_case_id",
                        "text",
                        "Use case (inside the scope for business_unit scope; at most once).",
                        required=True,
                    ),
                    Key(
                        "planned_go_live",
                        "date",
                        "Go-live date the business case assumed.",
                        required=True,
                        column="planned_go_live_date",
                    ),
                    Key(
                        "assumed_adoption",
                        "number",
                        "Share of the team assumed to adopt, in (0, 1].",
                        exclusive_minimum=0,
                        maximum=1,
                    ),
                    Key(
                        "assumed_monthly_value",
                        "number",
                        "Value per live month assumed at that adoption, in reporting currency.",
                        required=True,
                        minimum=0,
                    ),
                    Key(
                        "assumed_cost",
                        "number",
                        "Cost assumed, in reporting currency.",
                        default=0.0,
                        minimum=0,
                    ),
                    Key("cost_ref", "text", "Finance action-cost reference of the use case's costs."),
                ),
            ),
        ),
    ),
    Section(
        "commitments",
        "Contracted value commitments, effective-dated: a restatement repeats the id with a later "
        "valid_from and a restatement_reason, and every version is kept.",
        "registry_commitments",
        (
            Key(
                "id",
                "text",
                "Commitment id (repeated by each restatement).",
                required=True,
                column="commitment_id",
            ),
            Key("hypothesis_id", "text", "Hypothesis the commitment follows from."),
            Key("kpi_id", "text", "Contracted KPI: a currency KPI (value_tracked).", required=True),
            Key(
                "scope_type",
                "text",
                "Kind of scope: realized value is tracked per portfolio, business_unit or use_case.",
                required=True,
                allowed=SCOPE_TYPES,
            ),
            Key("scope_id", "text", "Scope id.", required=True),
            Key("baseline", "number", "Contracted baseline.", default=0.0),
            Key("target", "number", "Contracted target.", required=True, exclusive_minimum=0),
            Key("deadline", "date", "Date the target is due; after valid_from.", required=True),
            _owner("commitment"),
            Key("terms", "text_map", "Commercial terms (e.g. bonus, penalty).", store="json"),
            Key(
                "milestones",
                "mapping_list",
                "Intermediate targets of this version.",
                column=None,
                table=ListTable("registry_commitment_milestones"),
                keys=(
                    Key("date", "date", "Milestone date.", required=True, column="milestone_date"),
                    Key(
                        "target",
                        "number",
                        "Target due at the milestone.",
                        required=True,
                        column="milestone_target",
                    ),
                ),
            ),
            Key(
                "valid_from",
                "date",
                "First day this version applies (a restatement is a later version).",
                required=True,
            ),
            Key(
                "restatement_reason",
                "text",
                "Why this version restates the previous one (none for the first version).",
            ),
        ),
        row_key=("id", "valid_from"),
        unique_id=False,
    ),
    Section(
        "expansions",
        "New scopes a commitment's realized value per month could be extended to.",
        "registry_expansions",
        (
            _id("expansion", "expansion"),
            Key(
                "commitment_id",
                "text",
                "Commitment whose realized value per month is projected.",
                required=True,
            ),
            Key("scope_name", "text", "Name of the new scope (e.g. EMEA).", required=True),
            Key(
                "scale",
                "number",
                "Units of the new scope per unit of the current scope (0.6 = 60% of its volume).",
                required=True,
                exclusive_minimum=0,
            ),
            Key(
                "horizon_months",
                "integer",
                "Months the projection covers.",
                required=True,
                exclusive_minimum=0,
            ),
            Key("rationale", "text", "Where the scale comes from."),
        ),
    ),
    Section(
        "assumptions",
        "Adjustable assumptions of the first business case drawn from the event logs "
        "(marts.pain_to_value_map): the share of a step's hours automation could take, low, base and "
        "high. The most specific entry applies: use case and activity, then use case, then activity, "
        "then one for every step. At most one entry per assumption, use case and activity.",
        "registry_assumptions",
        (
            Key(
                "assumption",
                "text",
                "What is assumed: `automation_share` (share of the hours automation could take).",
                required=True,
                allowed=("automation_share",),
            ),
            Key("use_case_id", "text", "Use case the entry is specific to (none: every use case)."),
            Key(
                "activity",
                "text",
                "Activity the entry is specific to (as in the events' `activity`; a transition's "
                "target activity); none: every activity.",
            ),
            *(
                Key(
                    bound,
                    "number",
                    f"{bound.capitalize()} case share, from 0 to 1.",
                    required=True,
                    minimum=0,
                    maximum=1,
                )
                for bound in ("low", "base", "high")
            ),
            Key("rationale", "text", "Where the shares come from."),
        ),
        row_key=(),
        unique_id=False,
    ),
)
SECTION_BY_NAME = {s.name: s for s in SECTIONS}
TOP_LEVEL_KEYS = (*(k.name for k in SETTINGS), *SECTION_BY_NAME)


def _key_columns(keys: tuple[Key, ...]) -> list[tuple[str, str]]:
    """The columns ``keys`` fill in their entry's row, in order (a mapping's keys fill columns inline)."""
    columns: list[tuple[str, str]] = []
    for key in keys:
        if key.type == "mapping":
            columns += _key_columns(key.keys)
        elif key.column_name is None:
            continue
        elif key.type == "date_range":
            columns += [(f"{key.column_name}_start", "DATE"), (f"{key.column_name}_end", "DATE")]
        else:
            columns.append((key.column_name, SQL_TYPES[key.type]))
    return columns


def list_keys(keys: tuple[Key, ...], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Key]]:
    """The keys (at any depth of mappings) that have a list table of their own, with their paths."""
    found: list[tuple[tuple[str, ...], Key]] = []
    for key in keys:
        if key.table:
            found.append(((*path, key.name), key))
        if key.type == "mapping":
            found += list_keys(key.keys, (*path, key.name))
    return found


def list_table_columns(section: Section, key: Key) -> list[tuple[str, str]]:
    """Columns of ``key``'s list table: the entry's row key, the item, then position and tag."""
    own = dict(_key_columns(section.keys))
    columns = [(section.key(k).column_name, own[section.key(k).column_name]) for k in section.row_key]
    if key.type == "text_list":
        columns.append((key.table.item_column, "VARCHAR"))
    else:
        columns += _key_columns(key.keys)
    if key.table.position_column:
        columns.append((key.table.position_column, "INTEGER"))
    if key.table.tag:
        columns.append((key.table.tag[0], "VARCHAR"))
    return columns


def raw_tables() -> dict[str, list[tuple[str, str]]]:
    """Column names and SQL types of every raw.registry_* table, in order."""
    tables = {SETTINGS_TABLE[0]: list(SETTINGS_TABLE[1])}
    for section in SECTIONS:
        tables[section.table] = _key_columns(section.keys)
        for _, key in list_keys(section.keys):
            tables.setdefault(key.table.table, list_table_columns(section, key))
        if section.rejected_table:
            tables[section.rejected_table[0]] = list(section.rejected_table[1])
    return tables


# --- JSON Schema (draft 2020-12) ---------------------------------------------------------------------

_DATE = {"type": "string", "pattern": DATE_PATTERN, "format": "date"}


def _key_schema(key: Key) -> dict:
    if key.type == "text":
        schema: dict = {"type": "string", "minLength": 1} if key.required else {"type": "string"}
        if key.allowed:
            schema["enum"] = list(key.allowed)
        if key.pattern:
            schema["pattern"] = key.pattern
    elif key.type in ("integer", "number"):
        schema = {"type": key.type}
        for name, value in (
            ("minimum", key.minimum),
            ("exclusiveMinimum", key.exclusive_minimum),
            ("maximum", key.maximum),
        ):
            if value is not None:
                schema[name] = value
    elif key.type == "date":
        schema = dict(_DATE)
    elif key.type == "date_range":
        schema = {"type": "array", "items": _DATE, "minItems": 2, "maxItems": 2}
    elif key.type == "text_list":
        schema = {"type": "array", "items": {"type": "string"}}
    elif key.type == "text_map":
        schema = {"type": "object", "additionalProperties": {"type": "string"}}
    elif key.type == "mapping":
        schema = _object_schema(key.keys)
    else:
        schema = {"type": "array", "items": _object_schema(key.keys)}
    wrapped: dict = {"description": key.description}
    if key.default is not None:
        wrapped["default"] = key.default
    # An optional key may be left empty: the default applies.
    return {**wrapped, **schema} if key.required else {**wrapped, "anyOf": [schema, {"type": "null"}]}


def _object_schema(keys: tuple[Key, ...]) -> dict:
    schema: dict = {
        "type": "object",
        "additionalProperties": False,
        "properties": {k.name: _key_schema(k) for k in keys},
    }
    required = [k.name for k in keys if k.required]
    if required:
        schema["required"] = required
    return schema


def json_schema() -> dict:
    """The registry as a JSON Schema: editors validate registry YAML with it (docs/registry.md)."""
    properties = {k.name: _key_schema(k) for k in SETTINGS}
    for section in SECTIONS:
        entries = {"type": "array", "items": _object_schema(section.keys)}
        if section.needs_entries:
            properties[section.name] = {"description": section.description, **entries, "minItems": 1}
        else:
            properties[section.name] = {
                "description": section.description,
                "anyOf": [entries, {"type": "null"}],
            }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "value-pipeline registry",
        "description": "Generated by `value-pipeline docs` from value_pipeline/registry_schema.py.",
        "type": "object",
        "additionalProperties": False,
        "required": [s.name for s in SECTIONS if s.needs_entries],
        "properties": properties,
    }


def render_json_schema() -> str:
    return json.dumps(json_schema(), indent=2) + "\n"
