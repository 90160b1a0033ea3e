"""The six KPIs of docs/kpi_computation.md computed with pandas straight from a landing root.

An analyst's version, written without reading the dbt models: the warehouse's test oracle.
Row coverage (where the docs leave it open): stock and flow KPIs have a row for every day from the
first event date to the as-of date and every scope of the registry (plus teams seen in the data);
`cycle_time_reduction` and `sentiment_lift` only where the docs say they exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tests.reference.landing_reader import load_registry, read_source

DAILY_COLUMNS = [
    "kpi_id",
    "date_day",
    "scope_type",
    "scope_id",
    "numerator",
    "denominator",
    "value",
    "value_validated",
    "value_estimated",
    "is_suppressed",
]
FLOW_KPIS = {"sla_compliance"}
MONEY_BENEFITS = {"cost_saving", "cost_avoidance", "revenue"}
PERIODS = {"weekly": "W", "monthly": "M", "quarterly": "Q"}


@dataclass(frozen=True)
class Registry:
    """The parts of the registry the KPIs use, as frames."""

    use_cases: pd.DataFrame  # use_case_id, business_unit, primary_team, status, dates, window settings
    team_units: pd.Series  # team -> business unit
    business_units: list[str]
    sla_policies: pd.DataFrame  # priority, use_case_id (NULL = any), sla_hours
    kpis: dict[str, dict]
    reporting_currency: str


def _date(value: object) -> pd.Timestamp:
    return pd.NaT if value is None else pd.Timestamp(value)


def parse_registry(raw: dict) -> Registry:
    """Turn a registry dict (YAML) into the frames the KPI computation needs."""
    use_cases = pd.DataFrame(
        [
            {
                "use_case_id": str(u["id"]),
                "business_unit": u.get("business_unit"),
                "primary_team": (u.get("teams") or [None])[0],
                "status": u.get("status"),
                "identified_date": _date(u.get("identified_date")),
                "go_live_date": _date(u.get("go_live_date")),
                "baseline_days": int(u.get("baseline_days") or 90),
                "post_window_mode": u.get("post_window_mode") or "to_date",
                "value_target": u.get("value_target"),
            }
            for u in raw.get("use_cases", [])
        ]
    )
    team_units = pd.Series({t["id"]: t.get("business_unit") for t in raw.get("teams", [])}, dtype=object)
    sla = pd.DataFrame(
        [
            {
                "priority": p["priority"],
                "use_case_id": p.get("use_case_id"),
                "sla_hours": float(p["sla_hours"]),
            }
            for p in raw.get("sla_policies", [])
        ],
        columns=["priority", "use_case_id", "sla_hours"],
    )
    units = [b["id"] for b in raw.get("business_units", [])]
    units += sorted({*use_cases["business_unit"].dropna(), *team_units.dropna()} - set(units))
    return Registry(
        use_cases=use_cases,
        team_units=team_units,
        business_units=units,
        sla_policies=sla,
        kpis={k["id"]: k for k in raw.get("kpis", [])},
        reporting_currency=raw.get("reporting_currency", "USD"),
    )


# --- cases ----------------------------------------------------------------------------------------


def build_cases(events: pd.DataFrame, registry: Registry, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per case (docs: `int_cases`)."""
    ev = events.sort_values(["case_id", "event_ts", "event_id"]).reset_index(drop=True)
    first_known = ev.groupby("case_id")[["team", "priority"]].first()  # first non-null, event order
    opening = (
        ev.assign(not_opened=ev["event_type"] != "opened")
        .sort_values(["case_id", "not_opened", "event_ts", "event_id"])
        .groupby("case_id")
        .head(1)
        .set_index("case_id")
        .sort_index()
    )

    def last_ts(kind: str) -> pd.Series:
        return ev[ev["event_type"] == kind].groupby("case_id")["event_ts"].max()

    cases = pd.DataFrame(
        {
            "use_case_id": opening["use_case_id"],
            "team": opening["team"].fillna(first_known["team"]),
            "priority": opening["priority"].fillna(first_known["priority"]),
            "opened_at": opening["event_ts"],
        }
    )
    resolved = last_ts("resolved").reindex(cases.index).fillna(last_ts("closed").reindex(cases.index))
    reopened = last_ts("reopened").reindex(cases.index)
    cases["resolved_at"] = resolved.mask(reopened > resolved)
    cases["cycle_hours"] = (cases["resolved_at"] - cases["opened_at"]).dt.total_seconds() / 3600.0
    cases["sla_hours"] = _sla_hours(cases, registry.sla_policies)
    cases["sla_met"] = (cases["cycle_hours"] <= cases["sla_hours"]).astype("boolean")
    cases.loc[cases["cycle_hours"].isna() | cases["sla_hours"].isna(), "sla_met"] = pd.NA
    cases["is_touchless"] = ~ev.assign(h=ev["actor_type"] == "human").groupby("case_id")["h"].any()
    cases = cases.reset_index(names="case_id")
    cases["window"] = _windows(cases, registry.use_cases, as_of)
    return cases[
        [
            "case_id",
            "use_case_id",
            "team",
            "priority",
            "opened_at",
            "resolved_at",
            "cycle_hours",
            "sla_hours",
            "sla_met",
            "is_touchless",
            "window",
        ]
    ]


def _sla_hours(cases: pd.DataFrame, policies: pd.DataFrame) -> pd.Series:
    """The policy for (priority, use case), else for (priority, any use case)."""
    specific = policies.dropna(subset=["use_case_id"]).set_index(["priority", "use_case_id"])["sla_hours"]
    general = policies[policies["use_case_id"].isna()].set_index("priority")["sla_hours"]
    keys = pd.MultiIndex.from_arrays([cases["priority"], cases["use_case_id"]])
    own = pd.Series(specific.reindex(keys).to_numpy(), index=cases.index)
    return own.fillna(pd.Series(general.reindex(cases["priority"]).to_numpy(), index=cases.index))


def _windows(cases: pd.DataFrame, use_cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    uc = use_cases.set_index("use_case_id").reindex(cases["use_case_id"])
    go_live = pd.Series(uc["go_live_date"].to_numpy(), index=cases.index)
    start = go_live - pd.to_timedelta(uc["baseline_days"].to_numpy(), unit="D")
    opened = cases["opened_at"].dt.normalize()
    window = pd.Series(None, index=cases.index, dtype=object)
    window[(opened >= start) & (opened < go_live)] = "baseline"
    window[(opened >= go_live) & (opened <= as_of)] = "post"
    return window


def summarise_windows(cases: pd.DataFrame) -> pd.DataFrame:
    """Per use case and window: cases, resolved cases, cycle hours, SLA compliance, touchless share."""
    windowed = cases.dropna(subset=["window"]).assign(
        resolved=lambda c: c["resolved_at"].notna(),
        sla_case=lambda c: c["sla_met"].notna(),
        sla_ok=lambda c: c["sla_met"].fillna(False).astype(bool),
        touchless=lambda c: c["is_touchless"].astype(bool),
    )
    out = windowed.groupby(["use_case_id", "window"]).agg(
        cases=("case_id", "size"),
        resolved_cases=("resolved", "sum"),
        median_cycle_hours=("cycle_hours", "median"),
        mean_cycle_hours=("cycle_hours", "mean"),
        sla_cases=("sla_case", "sum"),
        sla_met_cases=("sla_ok", "sum"),
        touchless_share=("touchless", "mean"),
    )
    out["sla_compliance"] = out["sla_met_cases"] / out["sla_cases"].where(out["sla_cases"] > 0)
    return out.reset_index()


# --- daily KPIs -----------------------------------------------------------------------------------


def _roll_up(frame: pd.DataFrame, scopes: dict[str, str | None]) -> pd.DataFrame:
    """Sum the additive columns of `frame` per day and scope; `scopes` maps scope type to column."""
    sums = [c for c in ("numerator", "denominator", "value_validated", "value_estimated") if c in frame]
    parts = []
    for scope_type, column in scopes.items():
        keyed = frame.assign(scope_id="portfolio" if column is None else frame[column])
        part = keyed.groupby(["date_day", "scope_id"], dropna=True)[sums].sum(min_count=1).reset_index()
        parts.append(part.assign(scope_type=scope_type))
    return pd.concat(parts, ignore_index=True)


def _dense(frame: pd.DataFrame, days: pd.DatetimeIndex, scope_ids: dict[str, list[str]]) -> pd.DataFrame:
    """Every day x scope, additive columns 0 where nothing happened."""
    spine = pd.MultiIndex.from_tuples(
        [(t, s, d) for t, ids in scope_ids.items() for s in ids for d in days],
        names=["scope_type", "scope_id", "date_day"],
    )
    indexed = frame.set_index(["scope_type", "scope_id", "date_day"])
    return indexed.reindex(spine).fillna(0.0).reset_index()


def _scope_ids(registry: Registry, extra_teams: pd.Series | None = None) -> dict[str, list[str]]:
    teams = list(registry.team_units.index)
    if extra_teams is not None:
        teams += sorted(set(extra_teams.dropna()) - set(teams))
    return {
        "portfolio": ["portfolio"],
        "business_unit": registry.business_units,
        "use_case": list(registry.use_cases["use_case_id"]),
        "team": teams,
    }


def _automation_coverage(registry: Registry, days: pd.DatetimeIndex) -> pd.DataFrame:
    uc = registry.use_cases.merge(pd.DataFrame({"date_day": days}), how="cross")
    uc["numerator"] = ((uc["status"] == "automated") & (uc["go_live_date"] <= uc["date_day"])).astype(float)
    uc["denominator"] = ((uc["status"] != "retired") & (uc["identified_date"] <= uc["date_day"])).astype(
        float
    )
    scopes = {"portfolio": None, "business_unit": "business_unit"}
    ids = _scope_ids(registry)
    return _dense(_roll_up(uc, scopes), days, {k: ids[k] for k in scopes}).assign(
        kpi_id="automation_coverage"
    )


def _cycle_time_reduction(cases: pd.DataFrame, registry: Registry, days: pd.DatetimeIndex) -> pd.DataFrame:
    rows = []
    resolved = cases.dropna(subset=["resolved_at"])
    for uc in registry.use_cases.dropna(subset=["go_live_date"]).itertuples():
        mine = resolved[resolved["use_case_id"] == uc.use_case_id]
        base = mine[mine["window"] == "baseline"]
        base_day = base["resolved_at"].dt.normalize().to_numpy()
        base_hours = base["cycle_hours"].to_numpy()
        post = mine[mine["window"] == "post"]
        post_open = post["opened_at"].dt.normalize().to_numpy()
        post_day = post["resolved_at"].dt.normalize().to_numpy()
        post_hours = post["cycle_hours"].to_numpy()
        for day in days[days >= uc.go_live_date]:
            day64 = day.to_datetime64()
            baseline = base_hours[base_day <= day64]
            in_post = (post_open <= day64) & (post_day <= day64)
            if uc.post_window_mode == "trailing":
                in_post &= post_open > (day - pd.Timedelta(days=uc.baseline_days)).to_datetime64()
            post_n = int(in_post.sum())
            if post_n == 0 or baseline.size == 0:
                continue
            reduction = 1.0 - np.median(post_hours[in_post]) / np.median(baseline)
            rows.append((day, uc.use_case_id, uc.business_unit, post_n * reduction, float(post_n)))
    frame = pd.DataFrame(
        rows, columns=["date_day", "use_case_id", "business_unit", "numerator", "denominator"]
    )
    scopes = {"portfolio": None, "business_unit": "business_unit", "use_case": "use_case_id"}
    return _roll_up(frame, scopes).assign(kpi_id="cycle_time_reduction")


def _sla_compliance(cases: pd.DataFrame, registry: Registry, days: pd.DatetimeIndex) -> pd.DataFrame:
    units = registry.use_cases.set_index("use_case_id")["business_unit"]
    counted = cases.dropna(subset=["resolved_at", "sla_hours"])
    frame = pd.DataFrame(
        {
            "date_day": counted["resolved_at"].dt.normalize(),
            "use_case_id": counted["use_case_id"],
            "business_unit": counted["use_case_id"].map(units),
            "team": counted["team"],
            "numerator": counted["sla_met"].astype(float),
            "denominator": 1.0,
        }
    )
    frame = frame[frame["date_day"].isin(days)]
    scopes = {"portfolio": None, "business_unit": "business_unit", "use_case": "use_case_id", "team": "team"}
    dense = _dense(_roll_up(frame, scopes), days, _scope_ids(registry, cases["team"]))
    return dense.assign(kpi_id="sla_compliance")


def _ai_tool_adoption(
    roster: pd.DataFrame, usage: pd.DataFrame, registry: Registry, days: pd.DatetimeIndex
) -> pd.DataFrame:
    eligible = roster[roster["ai_eligible"].fillna(False).astype(bool)].drop_duplicates("user_id")
    grid = pd.date_range(days[0] - pd.Timedelta(days=27), days[-1], freq="D")
    used = usage.assign(day=usage["event_ts"].dt.normalize())
    used = used[used["user_id"].isin(eligible["user_id"]) & used["day"].isin(grid)]
    users = pd.Index(eligible["user_id"])
    hits = np.zeros((len(users), len(grid) + 1), dtype=np.int64)
    np.add.at(hits, (users.get_indexer(used["user_id"]), grid.get_indexer(used["day"]) + 1), 1)
    running = hits.cumsum(axis=1)
    active = (running[:, 28:] - running[:, :-28]) > 0  # usage in day-27 .. day, for each day in `days`
    day64 = days.to_numpy()
    start = eligible["start_date"].to_numpy()[:, None]
    end = eligible["end_date"].to_numpy()[:, None]
    employed = (start <= day64) & (pd.isna(end) | (end >= day64))
    teams = eligible["team"].to_numpy()
    frame = pd.DataFrame(
        {
            "date_day": np.tile(days, len(users)),
            "team": np.repeat(teams, len(days)),
            "business_unit": np.repeat(pd.Series(teams).map(registry.team_units).to_numpy(), len(days)),
            "numerator": (employed & active).ravel().astype(float),
            "denominator": employed.ravel().astype(float),
        }
    )
    scopes = {"portfolio": None, "business_unit": "business_unit", "team": "team"}
    ids = _scope_ids(registry, roster["team"])
    return _dense(_roll_up(frame, scopes), days, {k: ids[k] for k in scopes}).assign(
        kpi_id="ai_tool_adoption"
    )


def _as_of_lookup(
    left: pd.DataFrame, on: str, by: str, right: pd.DataFrame, right_on: str, right_by: str
) -> pd.DataFrame:
    """Attach to each `left` row the `right` row of the same key with the latest `right_on` <= `on`."""
    left = left.assign(_on=left[on].astype("datetime64[us]"), **{by: left[by].astype(object)})
    right = right.assign(
        _on=right[right_on].astype("datetime64[us]"), **{right_by: right[right_by].astype(object)}
    )
    ordered = left.assign(_row=np.arange(len(left))).sort_values("_on")
    merged = pd.merge_asof(
        ordered, right.drop(columns=[right_on]).sort_values("_on"), on="_on", left_by=by, right_by=right_by
    )
    return merged.sort_values("_row").set_index(left.index).drop(columns=["_on", "_row"])


def _value_tracked(
    benefits: pd.DataFrame,
    cost_rates: pd.DataFrame,
    fx_rates: pd.DataFrame,
    registry: Registry,
    days: pd.DatetimeIndex,
) -> pd.DataFrame:
    uc = registry.use_cases.set_index("use_case_id")
    fx = fx_rates[["currency", "rate_date", "rate_to_reporting"]]
    rows = benefits.assign(primary_team=benefits["use_case_id"].map(uc["primary_team"]))
    rows = _as_of_lookup(
        rows,
        "period_month",
        "primary_team",
        cost_rates[["team", "valid_from", "hourly_cost", "currency"]],
        "valid_from",
        "team",
    )
    is_money = rows["benefit_type"].isin(MONEY_BENEFITS)
    rows["pay_currency"] = rows["unit"].where(is_money, rows["currency"])
    rows = _as_of_lookup(
        rows.drop(columns="currency"), "period_month", "pay_currency", fx, "rate_date", "currency"
    )
    rate = rows["rate_to_reporting"].mask(rows["pay_currency"] == registry.reporting_currency, 1.0)
    rows["value"] = rows["amount"] * rate * rows["hourly_cost"].where(~is_money, 1.0)
    monthly = rows.pivot_table(
        index=["use_case_id", "period_month"], columns="status", values="value", aggfunc="sum", fill_value=0.0
    ).reindex(columns=["validated", "estimated"], fill_value=0.0)
    months = pd.DataFrame({"month": days.to_period("M").start_time.unique()})
    pairs = monthly.reset_index().merge(months, how="cross")
    cumulative = (
        pairs[pairs["period_month"] <= pairs["month"]]
        .groupby(["use_case_id", "month"])[["validated", "estimated"]]
        .sum()
        .reset_index()
    )
    frame = pd.DataFrame({"date_day": days, "month": days.to_period("M").start_time}).merge(
        cumulative, on="month"
    )
    frame = frame.rename(columns={"validated": "value_validated", "estimated": "value_estimated"})
    frame["numerator"] = frame["value_validated"] + frame["value_estimated"]
    frame["business_unit"] = frame["use_case_id"].map(uc["business_unit"])
    scopes = {"portfolio": None, "business_unit": "business_unit", "use_case": "use_case_id"}
    ids = _scope_ids(registry)
    out = _dense(_roll_up(frame, scopes), days, {k: ids[k] for k in scopes})
    return out.assign(kpi_id="value_tracked", denominator=np.nan)


def _earlier_wave(waves: pd.DataFrame, current: pd.Timestamp) -> pd.Series | None:
    """The wave closest to one year before `current` (ties: the earlier), at least 180 days before."""
    candidates = waves[waves["wave_date"] <= current - pd.Timedelta(days=180)]
    if candidates.empty:
        return None
    distance = (candidates["wave_date"] - (current - pd.Timedelta(days=365))).abs()
    return candidates.assign(distance=distance).sort_values(["distance", "wave_date", "survey_id"]).iloc[0]


def _sentiment_lift(responses: pd.DataFrame, registry: Registry, days: pd.DatetimeIndex) -> pd.DataFrame:
    question = registry.kpis.get("sentiment_lift", {}).get("question_id")
    resp = responses[responses["question_id"] == question].assign(
        norm=lambda r: (r["score"] - r["scale_min"]) / (r["scale_max"] - r["scale_min"]),
        business_unit=lambda r: r["team"].map(registry.team_units),
        portfolio="portfolio",
    )
    waves = resp[["survey_id", "wave_date"]].drop_duplicates().sort_values(["wave_date", "survey_id"])
    scopes = {"portfolio": "portfolio", "business_unit": "business_unit", "team": "team"}
    parts = []
    for i, current in enumerate(waves.itertuples(index=False)):
        later = waves["wave_date"].iloc[i + 1 :]
        if (later == current.wave_date).any():
            continue  # a wave of another survey on the same date is the current one
        until = later.min() - pd.Timedelta(days=1) if len(later) else days[-1]
        current_days = days[(days >= current.wave_date) & (days <= until)]
        earlier = _earlier_wave(waves, current.wave_date)
        if earlier is None or current_days.empty:
            continue
        pair = {
            "current": (current.survey_id, current.wave_date),
            "earlier": (earlier.survey_id, earlier.wave_date),
        }
        for scope_type, column in scopes.items():
            stats = {
                name: resp[(resp["survey_id"] == sid) & (resp["wave_date"] == wdate)]
                .groupby(column)
                .agg(mean=("norm", "mean"), respondents=("respondent_id", "nunique"))
                for name, (sid, wdate) in pair.items()
            }
            both = stats["current"].join(stats["earlier"], how="outer", suffixes=("_cur", "_old"))
            suppressed = (both["respondents_cur"].fillna(0) < 5) | (both["respondents_old"].fillna(0) < 5)
            group = pd.DataFrame(
                {
                    "scope_type": scope_type,
                    "scope_id": both.index,
                    "numerator": (both["mean_cur"] - both["mean_old"]).mask(suppressed).to_numpy(),
                    "denominator": both["mean_old"].mask(suppressed).to_numpy(),
                    "is_suppressed": suppressed.to_numpy(),
                }
            )
            parts.append(group.merge(pd.DataFrame({"date_day": current_days}), how="cross"))
    if not parts:
        return pd.DataFrame(columns=["kpi_id", "date_day", "scope_type", "scope_id"])
    return pd.concat(parts, ignore_index=True).assign(kpi_id="sentiment_lift")


def _finish(frame: pd.DataFrame, date_columns: list[str]) -> pd.DataFrame:
    """Add `value`, the columns other KPIs lack, and sort."""
    for column in ("numerator", "denominator", "value_validated", "value_estimated"):
        frame[column] = frame[column].astype(float) if column in frame else np.nan
    frame["is_suppressed"] = (
        frame["is_suppressed"].fillna(False).astype(bool) if "is_suppressed" in frame else False
    )
    denominator = frame["denominator"].where(frame["denominator"] != 0)
    frame["value"] = (frame["numerator"] / denominator).where(
        frame["kpi_id"] != "value_tracked", frame["numerator"]
    )
    not_value = frame["kpi_id"] != "value_tracked"
    frame.loc[not_value, ["value_validated", "value_estimated"]] = np.nan
    frame.loc[~not_value, "denominator"] = np.nan
    for column in date_columns:
        frame[column] = frame[column].astype("datetime64[us]")
    columns = ["kpi_id", *date_columns, *DAILY_COLUMNS[2:]]
    order = ["kpi_id", "scope_type", "scope_id", date_columns[0]]
    return frame[columns].sort_values(order).reset_index(drop=True)


def roll_periods(daily: pd.DataFrame, period: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Weekly (`W`, ISO week), monthly (`M`) or quarterly (`Q`) rows from the daily rows."""
    day = daily["date_day"]
    if period == "W":
        start = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
        end = start + pd.Timedelta(days=6)
    else:
        spans = day.dt.to_period(period)
        start, end = spans.dt.start_time, spans.dt.end_time.dt.normalize()
    frame = daily.assign(period_start=start, period_end=end.clip(upper=as_of))
    keys = ["kpi_id", "scope_type", "scope_id", "period_start", "period_end"]
    flow = frame[frame["kpi_id"].isin(FLOW_KPIS)]
    flow = flow.groupby(keys)[["numerator", "denominator"]].sum(min_count=1).reset_index()
    stock = frame[~frame["kpi_id"].isin(FLOW_KPIS)].sort_values("date_day").groupby(keys).tail(1)
    rolled = pd.concat([flow, stock.drop(columns=["date_day", "value"])], ignore_index=True)
    return _finish(rolled, ["period_start", "period_end"])


def compute_kpis(landing_root: Path, as_of_date: str | pd.Timestamp | None = None) -> dict[str, pd.DataFrame]:
    """All six KPIs from the files of `landing_root` and its `registry/` YAML.

    Returns `daily`, `weekly`, `monthly`, `quarterly`, `cases` and `case_windows`.
    """
    raw_registry = load_registry(landing_root)
    registry = parse_registry(raw_registry)

    def source(name: str) -> pd.DataFrame:
        return read_source(landing_root, name, raw_registry)

    events = source("workflow_events")
    first_day = events["event_ts"].min().normalize()
    as_of = pd.Timestamp(as_of_date) if as_of_date is not None else events["event_ts"].max().normalize()
    days = pd.date_range(first_day, as_of, freq="D")
    cases = build_cases(events, registry, as_of)
    parts = [
        _automation_coverage(registry, days),
        _cycle_time_reduction(cases, registry, days),
        _sla_compliance(cases, registry, days),
        _ai_tool_adoption(source("hr_roster"), source("ai_usage"), registry, days),
        _value_tracked(
            source("finance_benefits"),
            source("finance_cost_rates"),
            source("finance_fx_rates"),
            registry,
            days,
        ),
        _sentiment_lift(source("survey_responses"), registry, days),
    ]
    daily = _finish(pd.concat([p for p in parts if not p.empty], ignore_index=True), ["date_day"])
    result = {"daily": daily}
    for name, period in PERIODS.items():
        result[name] = roll_periods(daily, period, as_of)
    result["cases"] = cases
    result["case_windows"] = summarise_windows(cases)
    return result
