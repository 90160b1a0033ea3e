"""Finance deliveries: benefits per use case and month, team cost rates, action costs and FX rates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from value_pipeline.generator.registry_view import RegistryView

TEAM_RATES = {
    "cs_amer": (38.0, "USD"),
    "cs_emea": (36.0, "EUR"),
    "cs_apac": (30.0, "USD"),
    "cs_latam": (26.0, "USD"),
    "fin_ap": (45.0, "USD"),
    "fin_ar": (42.0, "EUR"),
    "it_servicedesk": (40.0, "USD"),
    "it_ops": (55.0, "USD"),
}
DEFAULT_RATE = (40.0, "USD")
RATE_RAISE_FROM = date(2026, 1, 1)
RATE_RAISE = 1.04
FX_BASE = {"EUR": 1.08, "GBP": 1.27}
# Full monthly run rate of each benefit once ramped up (three months after go-live).
BENEFIT_PLANS = {
    "UC01": [("hours_saved", "hours", 900.0), ("cost_saving", "USD", 12000.0)],
    "UC02": [("hours_saved", "hours", 1100.0)],
    "UC03": [("hours_saved", "hours", 500.0), ("cost_avoidance", "USD", 6000.0)],
    "UC04": [("cost_saving", "EUR", 15000.0)],
    "UC05": [("cost_avoidance", "EUR", 9000.0)],
    "UC06": [("hours_saved", "hours", 600.0)],
    "UC07": [("cost_saving", "USD", 18000.0), ("revenue", "USD", 7000.0)],
    "UC08": [("cost_saving", "EUR", 8000.0)],
}
DEFAULT_BENEFITS = [("hours_saved", "hours", 300.0)]
ESTIMATED_MONTHS = 3
ACTION_COST_CURRENCIES = ("USD", "EUR", "USD", "GBP")


def month_starts(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def fx_rates(rng: np.random.Generator, start: date, end: date) -> pd.DataFrame:
    """Monthly rates to USD: a small random walk around a typical level."""
    months = month_starts(start, end)
    rows = []
    for currency, base in FX_BASE.items():
        walk = base * np.exp(np.cumsum(rng.normal(0, 0.01, len(months))))
        rows += [
            {"currency": currency, "rate_date": m, "rate_to_reporting": round(float(r), 4)}
            for m, r in zip(months, walk, strict=True)
        ]
    return pd.DataFrame(rows)


def cost_rates(registry: RegistryView, start: date, end: date) -> pd.DataFrame:
    rows = []
    for team in registry.teams:
        hourly, currency = TEAM_RATES.get(team, DEFAULT_RATE)
        rows.append({"team": team, "hourly_cost": hourly, "currency": currency, "valid_from": start})
        if start < RATE_RAISE_FROM <= end:
            rows.append(
                {
                    "team": team,
                    "hourly_cost": round(hourly * RATE_RAISE, 2),
                    "currency": currency,
                    "valid_from": RATE_RAISE_FROM,
                }
            )
    return pd.DataFrame(rows)


def benefits(rng: np.random.Generator, registry: RegistryView, end: date) -> pd.DataFrame:
    """Monthly benefits of every use case live by ``end``, ramping up over three months."""
    estimated_from = month_starts(end, end)[0]
    for _ in range(ESTIMATED_MONTHS - 1):
        estimated_from = (estimated_from - timedelta(days=1)).replace(day=1)
    rows = []
    for use_case in registry.use_cases:
        if use_case.go_live_date is None or use_case.go_live_date > end:
            continue
        for k, month in enumerate(month_starts(use_case.go_live_date, end)):
            ramp = min(1.0, (k + 1) / 3)
            for benefit_type, unit, full in BENEFIT_PLANS.get(use_case.use_case_id, DEFAULT_BENEFITS):
                amount = full * ramp * (1 + rng.normal(0, 0.05))
                rows.append(
                    {
                        "use_case_id": use_case.use_case_id,
                        "period_month": month,
                        "benefit_type": benefit_type,
                        "amount": round(amount, 1 if unit == "hours" else 2),
                        "unit": unit,
                        "status": "estimated" if month >= estimated_from else "validated",
                    }
                )
    return pd.DataFrame(rows)


def action_costs(registry: RegistryView, start: date) -> pd.DataFrame:
    """A cost per value chain (its action) and a build cost of the first live use cases, mixed currencies."""
    rows = []
    for i, vc in enumerate(registry.value_chains):
        rows.append(
            {
                "use_case_id": None,
                "value_chain_id": vc.value_chain_id,
                "cost_type": "build" if i % 2 else "licence",
                "amount": 12000.0 + 6000.0 * i,
                "currency": ACTION_COST_CURRENCIES[i % len(ACTION_COST_CURRENCIES)],
                "incurred_on": max(start, vc.action_start - timedelta(days=14)),
            }
        )
    live = [u for u in registry.use_cases if u.go_live_date is not None][:4]
    for i, use_case in enumerate(live):
        rows.append(
            {
                "use_case_id": use_case.use_case_id,
                "value_chain_id": None,
                "cost_type": "build",
                "amount": 40000.0 + 10000.0 * i,
                "currency": ACTION_COST_CURRENCIES[(i + 1) % len(ACTION_COST_CURRENCIES)],
                "incurred_on": max(start, use_case.go_live_date - timedelta(days=30)),
            }
        )
    return pd.DataFrame(rows)


def _latest(rows: pd.DataFrame, date_column: str, on: date) -> pd.Series:
    return rows[rows[date_column] <= on].sort_values(date_column).iloc[-1]


def _fx(fx: pd.DataFrame, currency: str, on: date, reporting: str) -> float:
    if currency == reporting:
        return 1.0
    return float(_latest(fx[fx["currency"] == currency], "rate_date", on)["rate_to_reporting"])


def value_truth(
    registry: RegistryView,
    benefit_rows: pd.DataFrame,
    rates: pd.DataFrame,
    fx: pd.DataFrame,
    costs: pd.DataFrame,
) -> dict:
    """Value tracked at the end of the data per use case (docs/kpi_computation.md rules) and action costs."""
    reporting = registry.reporting_currency
    per_use_case: dict[str, dict[str, float]] = {}
    for row in benefit_rows.itertuples(index=False):
        month = row.period_month
        if row.benefit_type == "hours_saved":
            primary_team = registry.use_case(row.use_case_id).teams[0]
            rate = _latest(rates[rates["team"] == primary_team], "valid_from", month)
            value = row.amount * float(rate["hourly_cost"]) * _fx(fx, rate["currency"], month, reporting)
        else:
            value = row.amount * _fx(fx, row.unit, month, reporting)
        totals = per_use_case.setdefault(row.use_case_id, {"validated": 0.0, "estimated": 0.0})
        totals[row.status] += value
    for totals in per_use_case.values():
        totals["total"] = totals["validated"] + totals["estimated"]
    cost_rows = [
        {
            "use_case_id": row.use_case_id,
            "value_chain_id": row.value_chain_id,
            "amount": row.amount,
            "currency": row.currency,
            "amount_reporting": row.amount * _fx(fx, row.currency, row.incurred_on.replace(day=1), reporting),
        }
        for row in costs.itertuples(index=False)
    ]
    return {
        "reporting_currency": reporting,
        "rules": "money x FX rate of the benefit month; hours x primary team's hourly cost in force on the "
        "month's first day x FX of the cost currency; FX = latest rate_date <= month start",
        "value_tracked_by_use_case": per_use_case,
        "value_tracked_total": sum(t["total"] for t in per_use_case.values()),
        "value_tracked_validated": sum(t["validated"] for t in per_use_case.values()),
        "value_tracked_estimated": sum(t["estimated"] for t in per_use_case.values()),
        "action_costs": {
            "rule": "amount x FX rate of the month the cost was incurred in",
            "rows": cost_rows,
        },
        "benefit_rows": len(benefit_rows),
    }
