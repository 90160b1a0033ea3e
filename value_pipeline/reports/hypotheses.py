"""Draft value hypotheses from the pain-to-value map, written beside the monthly report for review.

One draft per use case from its largest candidates (``marts.pain_to_value_map``), as entries of the
registry's ``hypotheses`` section (value_pipeline/registry_schema.py): pasted under ``hypotheses:``
they parse. Nothing reads the file; a person reviews the drafts and copies the ones to keep.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from value_pipeline.reports.content import CANDIDATES_SHOWN, candidate_label, missing_rate, query_rows
from value_pipeline.reports.marts import connect_marts
from value_pipeline.summary import format_value

DRAFTS_NAME = "hypothesis_drafts.yml"
ID_PREFIX = "H-DRAFT-"
# The KPIs a candidate would move: less waiting shortens cycle time and helps the SLA; less handling
# frees hours, which value_tracked counts as hours saved.
VALUE_DRIVERS = {
    "transition": ("cycle_time_reduction", "sla_compliance"),
    "activity": ("value_tracked",),
}
# projected_value: a year of the base monthly opportunity.
PROJECTION_MONTHS = 12
HEADER = """\
# DRAFT value hypotheses to review: one per use case, from its {top} largest candidates in the
# pain-to-value map (marts.pain_to_value_map: the last 12 months to the as-of date).
# Published marts: {publish_id}. Nothing reads this file and every run rewrites it.
# Check the pain points, assumptions and projected value, then copy the entries you keep under
# `hypotheses:` in the registry (they are indented for it; ids must stay unique there) and add
# `use_cases` with the planned go-live and assumed monthly value once the case is planned
# (docs/lifecycle.md).
"""


def _share(value: float) -> str:
    return f"{value:.0%}"


def _pain_point(row: Mapping[str, Any]) -> str:
    details = [f"{row['monthly_volume']:,.1f} times a month"]
    if row["mean_hours"] is not None:
        details.append(f"{row['mean_hours']:,.1f} h {row['hours_basis']} each on average")
    details.append(f"{row['months_observed']} months observed")
    return f"{candidate_label(row)}: {row['monthly_hours']:,.1f} h per month ({', '.join(details)})"


def _assumption(row: Mapping[str, Any]) -> str:
    """How the candidate is valued, or why it is not."""
    label, currency = candidate_label(row), row["reporting_currency"]

    def money(value: float) -> str:
        return format_value(value, "currency", currency)

    if row["monthly_cost"] is None:
        return f"{label}: not valued in money, {missing_rate(row)} ({row['monthly_hours']:,.1f} h per month)"
    if row["opportunity_base"] is None:
        return (
            f"{label}: not valued, no automation_share assumption applies "
            f"(its hours cost {money(row['monthly_cost'])} per month)"
        )
    return (
        f"{label}: {_share(row['automation_share_base'])} of its hours automated (low "
        f"{_share(row['automation_share_low'])}, high {_share(row['automation_share_high'])}), worth "
        f"{money(row['opportunity_base'])} per month ({money(row['opportunity_low'])} to "
        f"{money(row['opportunity_high'])}) of the {money(row['monthly_cost'])} its hours cost"
    )


def _draft(use_case_id: str, rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    drivers = list(dict.fromkeys(d for r in rows for d in VALUE_DRIVERS[r["subject_kind"]]))
    draft: dict[str, Any] = {
        "id": f"{ID_PREFIX}{use_case_id}",
        "scope_type": "use_case",
        "scope_id": use_case_id,
        "pain_points": [_pain_point(r) for r in rows],
        "value_drivers": drivers,
        "assumptions": [_assumption(r) for r in rows],
    }
    valued = [r["opportunity_base"] for r in rows if r["opportunity_base"] is not None]
    if valued:
        monthly = sum(valued)
        draft["assumptions"].append(
            f"projected_value: {PROJECTION_MONTHS} months of the base opportunity of the pain points "
            f"valued ({format_value(monthly, 'currency', rows[0]['reporting_currency'])} per month)"
        )
        draft["projected_value"] = round(PROJECTION_MONTHS * monthly)
    return draft


def hypothesis_drafts(rows: Iterable[Mapping[str, Any]], publish_id: str) -> str:
    """The drafts file: a header saying what the drafts are, then one ``hypotheses`` entry per use case
    from its candidates ranked 1 to ``CANDIDATES_SHOWN`` (rows of ``marts.pain_to_value_map``)."""
    by_use_case: dict[str, list[Mapping[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["use_case_id"], r["opportunity_rank"])):
        if row["opportunity_rank"] <= CANDIDATES_SHOWN:
            by_use_case.setdefault(row["use_case_id"], []).append(row)
    header = HEADER.format(top=CANDIDATES_SHOWN, publish_id=publish_id)
    if not by_use_case:
        return header + "# No pain-to-value candidate in these marts: nothing to draft.\n"
    drafts = [_draft(use_case_id, use_case_rows) for use_case_id, use_case_rows in by_use_case.items()]
    # Each draft holds lists of its own, so no anchor or alias (which the registry refuses) is written.
    text = yaml.safe_dump(drafts, sort_keys=False, allow_unicode=True, width=10**6)
    return header + textwrap.indent(text, "  ")


def write_hypothesis_drafts(marts_dir: Path, folder: Path) -> Path:
    """Write ``hypothesis_drafts.yml`` into ``folder`` from the pain-to-value map of ``marts_dir``."""
    con = connect_marts(marts_dir)
    try:
        rows = query_rows(con, "select * from marts.pain_to_value_map")
    finally:
        con.close()
    path = folder / DRAFTS_NAME
    path.write_text(hypothesis_drafts(rows, marts_dir.name), encoding="utf-8")
    return path
