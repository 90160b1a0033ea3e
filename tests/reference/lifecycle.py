"""Independent pandas computation of the value lifecycle (docs/lifecycle.md) from the landing registry
YAML, the finance landing files and the pandas KPI reference (tests/reference/kpis.py).

It shares no code with the dbt models: the commitment in force, the glide path (numpy interpolation),
the realized value per month (differences of the reference's cumulative value tracked), the action
costs (converted with the FX rates here) and the leakage causes are all computed again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tests.reference.landing_reader import read_source


def _registry(landing_root: Path) -> dict:
    files = sorted((landing_root / "registry").glob("*.yml"))
    assert len(files) == 1, files
    return yaml.safe_load(files[0].read_text())


def _ts(value) -> pd.Timestamp:
    return pd.Timestamp(str(value))


def _months(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    return list(pd.date_range(start.to_period("M").start_time, end.to_period("M").start_time, freq="MS"))


def _live_months(go_live, start: pd.Timestamp, as_of: pd.Timestamp) -> int:
    if go_live is None or pd.isna(go_live) or _ts(go_live) > as_of:
        return 0
    first = max(_ts(go_live).to_period("M"), start.to_period("M"))
    return (as_of.to_period("M") - first).n + 1


def _action_costs(landing_root: Path, doc: dict) -> pd.DataFrame:
    """Action costs per cost_ref and month in reporting currency (FX of the latest rate on or before the
    first day of the month the cost was incurred)."""
    costs = read_source(landing_root, "finance_action_costs", doc)
    fx = read_source(landing_root, "finance_fx_rates", doc)
    # A Finance row's value_chain_id is the cost reference chains name in action_cost_ref (two chains
    # may name one); each row counts once.
    refs = {c.get("action_cost_ref") for c in doc["value_chains"]} - {None}
    costs = costs[costs["value_chain_id"].isin(refs)].copy()
    costs["cost_ref"] = costs["value_chain_id"]
    costs["month"] = pd.to_datetime(costs["incurred_on"]).dt.to_period("M").dt.start_time
    rates = []
    for row in costs.itertuples():
        if row.currency == doc.get("reporting_currency", "USD"):
            rates.append(1.0)
            continue
        known = fx[(fx["currency"] == row.currency) & (pd.to_datetime(fx["rate_date"]) <= row.month)]
        rates.append(float(known.sort_values("rate_date")["rate_to_reporting"].iloc[-1]))
    costs["amount_reporting"] = costs["amount"].astype(float) * np.array(rates)
    return costs.groupby(["cost_ref", "month"])["amount_reporting"].sum().reset_index()


def _monthly_value(monthly_kpis: pd.DataFrame) -> pd.DataFrame:
    """Value tracked per use case and month: the differences of the cumulative monthly value."""
    rows = monthly_kpis[
        (monthly_kpis["kpi_id"] == "value_tracked") & (monthly_kpis["scope_type"] == "use_case")
    ]
    rows = rows.sort_values(["scope_id", "period_start"]).copy()
    cumulative = rows["numerator"].fillna(0.0)
    rows["value"] = cumulative - cumulative.groupby(rows["scope_id"]).shift(fill_value=0.0)
    rows["validated"] = rows["value_validated"].fillna(0.0) - rows.groupby("scope_id")[
        "value_validated"
    ].shift(fill_value=0.0).fillna(0.0)
    return rows.rename(columns={"scope_id": "use_case_id", "period_start": "month"})[
        ["use_case_id", "month", "value", "validated"]
    ]


def _adoption(monthly_kpis: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, float]:
    rows = monthly_kpis[
        (monthly_kpis["kpi_id"] == "ai_tool_adoption")
        & (monthly_kpis["scope_type"] == "team")
        & (monthly_kpis["period_start"] <= as_of)
    ]
    rows = rows[rows["value"].notna()].sort_values("period_start")
    return rows.groupby("scope_id")["value"].last().to_dict()


def commitment_in_force(
    doc: dict, commitment_id: str, as_of: pd.Timestamp
) -> tuple[dict, dict, pd.Timestamp]:
    """(version in force, previous version or None, commitment start) on ``as_of``."""
    versions = sorted(
        (c for c in doc["commitments"] if c["id"] == commitment_id), key=lambda c: _ts(c["valid_from"])
    )
    live = [v for v in versions if _ts(v["valid_from"]) <= as_of]
    index = len(live) - 1
    return live[-1], (versions[index - 1] if index > 0 else None), _ts(versions[0]["valid_from"])


def glide_path(version: dict, start: pd.Timestamp, as_of: pd.Timestamp) -> float:
    deadline = _ts(version["deadline"])
    points = [(start, float(version.get("baseline", 0)))]
    points += [
        (_ts(m["date"]), float(m["target"]))
        for m in version.get("milestones") or []
        if _ts(m["date"]) < deadline
    ]
    points += [(deadline, float(version["target"]))]
    points.sort()
    x = [p[0].toordinal() for p in points]
    return float(np.interp(as_of.toordinal(), x, [p[1] for p in points]))


def compute_lifecycle(landing_root: Path, monthly_kpis: pd.DataFrame, as_of: pd.Timestamp) -> dict:
    """``commitments`` (one row per commitment in force), ``leakage`` (commitment x use case x cause),
    ``histories`` (commitment -> monthly net values) and ``cases`` (hypothesis -> stage)."""
    doc = _registry(landing_root)
    use_cases = {u["id"]: u for u in doc["use_cases"]}
    value = _monthly_value(monthly_kpis)
    costs = _action_costs(landing_root, doc)
    adoption = _adoption(monthly_kpis, as_of)
    kpis = {k["id"]: k for k in doc["kpis"]}
    hypotheses = {h["id"]: h for h in doc["hypotheses"]}
    rows, leakage, histories = [], [], {}
    for commitment_id in sorted({c["id"] for c in doc["commitments"]}):
        if not any(_ts(c["valid_from"]) <= as_of for c in doc["commitments"] if c["id"] == commitment_id):
            continue
        version, previous, start = commitment_in_force(doc, commitment_id, as_of)
        plans = {p["use_case_id"]: p for p in hypotheses[version["hypothesis_id"]].get("use_cases") or []}
        if version["scope_type"] == "business_unit":
            scope = [u for u, uc in use_cases.items() if uc["business_unit"] == version["scope_id"]]
        elif version["scope_type"] == "use_case":
            scope = [version["scope_id"]]
        else:
            scope = list(use_cases)
        months = _months(start, as_of)
        net = pd.Series(0.0, index=months)
        tracked_total = validated_total = cost_total = 0.0
        planned_total = 0.0
        for use_case_id in scope:
            mine = value[(value["use_case_id"] == use_case_id) & value["month"].isin(months)]
            tracked = float(mine["value"].sum())
            plan = plans.get(use_case_id, {})
            cost_rows = costs[(costs["cost_ref"] == plan.get("cost_ref")) & costs["month"].isin(months)]
            cost = float(cost_rows["amount_reporting"].sum()) if plan.get("cost_ref") else 0.0
            net = net.add(mine.set_index("month")["value"], fill_value=0.0)
            if plan.get("cost_ref"):
                net = net.sub(cost_rows.set_index("month")["amount_reporting"], fill_value=0.0)
            tracked_total += tracked
            validated_total += float(mine["validated"].sum())
            cost_total += cost
            monthly_value = float(plan.get("assumed_monthly_value", 0))
            planned_go_live = plan.get("planned_go_live")
            planned_months = _live_months(planned_go_live, start, as_of)
            actual_months = _live_months(use_cases[use_case_id].get("go_live_date"), start, as_of)
            assumed_cost = (
                float(plan.get("assumed_cost", 0))
                if planned_go_live and _ts(planned_go_live) <= as_of
                else 0.0
            )
            team_adoption = adoption.get(use_cases[use_case_id]["teams"][0])
            factor = (
                1.0
                if plan.get("assumed_adoption") is None or team_adoption is None
                else team_adoption / plan["assumed_adoption"]
            )
            planned_total += planned_months * monthly_value - assumed_cost
            parts = {
                "late_go_live": (planned_months - actual_months) * monthly_value,
                "low_adoption": actual_months * monthly_value * (1 - factor),
                "smaller_effect": actual_months * monthly_value * factor - tracked,
                "higher_cost": cost - assumed_cost,
            }
            leakage += [(commitment_id, use_case_id, cause, v) for cause, v in parts.items()]
        glide = glide_path(version, start, as_of)
        leakage.append((commitment_id, None, "target_above_plan", glide - planned_total))
        realized = tracked_total - cost_total
        histories[commitment_id] = net.tolist()
        rows.append(
            dict(
                commitment_id=commitment_id,
                hypothesis_id=version["hypothesis_id"],
                version_number=sum(
                    1
                    for c in doc["commitments"]
                    if c["id"] == commitment_id and _ts(c["valid_from"]) <= as_of
                ),
                committed_value=float(version["target"]),
                previous_target_value=None if previous is None else float(previous["target"]),
                deadline=_ts(version["deadline"]),
                glide_path_value=glide,
                value_tracked=tracked_total,
                value_validated=validated_total,
                action_cost=cost_total,
                realized_value=realized,
                pct_of_promise=realized / float(version["target"]),
                is_variance_alert=(realized - glide) / glide
                < -float(kpis[version["kpi_id"]].get("tolerance", 0.1))
                if glide
                else False,
                leakage_value=glide - realized,
                months_to_deadline=max(0, (_ts(version["deadline"]).to_period("M") - as_of.to_period("M")).n),
            )
        )
    commitments = pd.DataFrame(rows).set_index("commitment_id")
    leakage_frame = pd.DataFrame(leakage, columns=["commitment_id", "use_case_id", "cause", "leakage_value"])
    return {"commitments": commitments, "leakage": leakage_frame, "histories": histories, "registry": doc}
