"""The pain-to-value map computed with plain pandas from a landing root's files and registry.

Written from docs/processes.md, not from the models, so that it can check them: a case's events in
time order, then delivered order (partition, file, line); each event after the first is a step with
its predecessor's activity, its wait, rework (the activity seen before in the case) and handoff (the
team changed); a complete after an open start of the same activity is handling of that activity,
any other step waiting of its transition. Over the 12 calendar months to the as-of month, per use
case and subject: volume, hours, cost at the team's hourly rate in force on the step's day,
converted at the FX rate dated on or before the month's first day (money only when every step has
both), and the most specific automation share of the registry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.reference.landing_reader import load_registry, read_source

SUBJECT = ["use_case_id", "subject_kind", "from_activity", "activity"]


def case_steps(events: pd.DataFrame) -> pd.DataFrame:
    """Every event with its predecessor in the case (NULL on a case's first), wait hours, handling
    hours, rework and handoff."""
    order = ["case_id", "event_ts", "_partition_date", "_source_file", "_source_line"]
    events = events.sort_values(order, kind="stable").reset_index(drop=True)
    by_case = events.groupby("case_id", sort=False)
    events["from_activity"] = by_case["activity"].shift()
    from_team = by_case["team"].shift()
    events["wait_hours"] = (events["event_ts"] - by_case["event_ts"].shift()).dt.total_seconds() / 3600.0
    events["is_rework"] = events.groupby(["case_id", "activity"], sort=False).cumcount() > 0
    both_teams = events["team"].notna() & from_team.notna()
    events["is_handoff"] = both_teams & (events["team"] != from_team)
    handling = np.full(len(events), np.nan)
    open_start: dict[tuple[str, str], pd.Timestamp] = {}
    for row, (case, activity, lifecycle, ts) in enumerate(
        zip(events["case_id"], events["activity"], events["lifecycle"], events["event_ts"], strict=True)
    ):
        key = (case, activity)
        if lifecycle == "start":
            open_start[key] = ts
        elif lifecycle == "complete" and key in open_start:
            handling[row] = (ts - open_start.pop(key)).total_seconds() / 3600.0
    events["handling_hours"] = handling
    return events


def _rate_in_force(steps: pd.DataFrame, cost_rates: pd.DataFrame) -> pd.DataFrame:
    """Each step's hourly cost and currency: the team's rate with the latest valid_from <= its day."""
    rates = cost_rates.sort_values("valid_from")
    hourly, currency = [], []
    by_team = {team: frame for team, frame in rates.groupby("team")}
    for team, day in zip(steps["team"], steps["event_date"], strict=True):
        frame = by_team.get(team)
        in_force = frame[frame["valid_from"] <= day] if frame is not None else None
        if in_force is None or in_force.empty:
            hourly.append(np.nan)
            currency.append(None)
        else:
            hourly.append(float(in_force["hourly_cost"].iloc[-1]))
            currency.append(in_force["currency"].iloc[-1])
    return steps.assign(hourly_cost=hourly, currency=currency)


def _fx(currency: str | None, month: pd.Timestamp, fx_rates: pd.DataFrame, reporting: str) -> float:
    if currency is None:
        return np.nan
    if currency == reporting:
        return 1.0
    dated = fx_rates[(fx_rates["currency"] == currency) & (fx_rates["rate_date"] <= month)]
    return float(dated.sort_values("rate_date")["rate_to_reporting"].iloc[-1]) if len(dated) else np.nan


def _automation_share(use_case: str, activity: str, assumptions: list[dict]) -> tuple[float, ...] | None:
    """The most specific automation share: use case and activity, then use case, then activity, then any."""
    matching = [
        a
        for a in assumptions
        if a.get("assumption") == "automation_share"
        and a.get("use_case_id") in (None, use_case)
        and a.get("activity") in (None, activity)
    ]
    if not matching:
        return None
    best = min(matching, key=lambda a: (a.get("use_case_id") is None, a.get("activity") is None))
    return float(best["low"]), float(best["base"]), float(best["high"])


def compute_pain_to_value(landing_root: Path) -> pd.DataFrame:
    """marts.pain_to_value_map from the files of ``landing_root`` (as-of date: the last event's day)."""
    registry = load_registry(landing_root)
    reporting = registry.get("reporting_currency", "USD")
    events = read_source(landing_root, "workflow_events", registry)
    if "activity" not in events:
        events["activity"] = None
    if "lifecycle" not in events:
        events["lifecycle"] = None
    events["activity"] = events["activity"].fillna(events["event_type"])
    events["lifecycle"] = events["lifecycle"].str.strip().str.lower()
    events["event_date"] = events["event_ts"].dt.tz_localize(None).dt.normalize()
    as_of = events["event_date"].max()
    first_month = (as_of.to_period("M") - 11).start_time

    steps = case_steps(events)
    steps = steps[steps["from_activity"].notna()].copy()
    steps["month"] = steps["event_date"].dt.to_period("M").dt.start_time
    steps = steps[steps["month"] >= first_month]
    handled = steps["handling_hours"].notna()
    steps["subject_kind"] = np.where(handled, "activity", "transition")
    steps["from_activity"] = steps["from_activity"].where(~handled, None)
    steps["hours"] = steps["handling_hours"].where(handled, steps["wait_hours"])

    steps = _rate_in_force(steps, read_source(landing_root, "finance_cost_rates", registry))
    fx_rates = read_source(landing_root, "finance_fx_rates", registry)
    fx = {
        (currency, month): _fx(currency, month, fx_rates, reporting)
        for currency, month in set(zip(steps["currency"], steps["month"], strict=True))
    }
    steps["cost"] = (
        steps["hours"]
        * steps["hourly_cost"]
        * [fx[key] for key in zip(steps["currency"], steps["month"], strict=True)]
    )
    steps["uncosted"] = steps["cost"].isna()
    steps["uncosted_hours"] = steps["hours"].where(steps["uncosted"], 0.0)

    months = steps.groupby("use_case_id")["month"].nunique().rename("months_observed")
    keyed = steps.assign(from_activity=steps["from_activity"].fillna(""))
    subjects = (
        keyed.groupby(SUBJECT)
        .agg(
            volume=("hours", "size"),
            hours=("hours", "sum"),
            rework_count=("is_rework", "sum"),
            handoff_count=("is_handoff", "sum"),
            cost=("cost", "sum"),
            uncosted_steps=("uncosted", "sum"),
            uncosted_hours=("uncosted_hours", "sum"),
        )
        .reset_index()
        .join(months, on="use_case_id")
    )
    subjects["from_activity"] = subjects["from_activity"].replace("", None)
    observed = subjects["months_observed"]
    subjects["monthly_volume"] = subjects["volume"] / observed
    subjects["monthly_hours"] = subjects["hours"] / observed
    subjects["mean_hours"] = subjects["hours"] / subjects["volume"]
    subjects["monthly_cost"] = (subjects["cost"] / observed).where(subjects["uncosted_steps"] == 0)
    subjects["costed_hours_share"] = 1.0 - subjects["uncosted_hours"] / subjects["hours"].replace(0, np.nan)
    shares = [
        _automation_share(u, a, registry.get("assumptions") or [])
        for u, a in zip(subjects["use_case_id"], subjects["activity"], strict=True)
    ]
    for i, level in enumerate(("low", "base", "high")):
        subjects[f"automation_share_{level}"] = [s[i] if s else np.nan for s in shares]
        subjects[f"opportunity_{level}"] = subjects["monthly_cost"] * subjects[f"automation_share_{level}"]
    ranked = subjects.assign(
        _missing=subjects["opportunity_base"].isna(),
        _from=subjects["from_activity"].fillna("\uffff"),
    ).sort_values(
        ["use_case_id", "_missing", "opportunity_base", "monthly_hours", "activity", "_from"],
        ascending=[True, True, False, False, True, True],
    )
    subjects.loc[ranked.index, "opportunity_rank"] = ranked.groupby("use_case_id").cumcount() + 1
    subjects["opportunity_rank"] = subjects["opportunity_rank"].astype(int)
    subjects["hours_basis"] = np.where(subjects["subject_kind"] == "activity", "handling", "waiting")
    subjects["reporting_currency"] = reporting
    return subjects.drop(columns=["volume", "hours", "cost", "uncosted_steps", "uncosted_hours"])
