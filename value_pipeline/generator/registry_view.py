"""The slice of the registry the demo generator needs.

The generator must follow whatever registry it is given (go-live dates, teams, value-chain windows), so
it reads the validated registry rather than hard-coding the demo portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from value_pipeline.registry import parse_registry


@dataclass(frozen=True)
class UseCase:
    use_case_id: str
    teams: tuple[str, ...]
    status: str
    go_live_date: date | None
    baseline_days: int


@dataclass(frozen=True)
class ValueChain:
    value_chain_id: str
    design_type: str
    evidence: str
    action_start: date
    metric: str
    use_case_id: str | None
    treatment_teams: tuple[str, ...]
    control_teams: tuple[str, ...]
    pre_window: tuple[date, date] | None
    post_window: tuple[date, date] | None
    # (team, rollout date) of a staggered adoption with warehouse evidence.
    rollout: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True)
class RegistryView:
    teams: tuple[str, ...]
    team_business_unit: dict[str, str]
    use_cases: tuple[UseCase, ...]
    sla_hours: dict[tuple[str, str | None], float]
    value_chains: tuple[ValueChain, ...]
    kpi_baseline_dates: dict[str, date]
    sentiment_question_id: str
    reporting_currency: str

    def use_case(self, use_case_id: str) -> UseCase:
        return next(u for u in self.use_cases if u.use_case_id == use_case_id)

    def sla_for(self, priority: str, use_case_id: str) -> float | None:
        """SLA hours of the (priority, use case) policy, else the priority's default policy."""
        return self.sla_hours.get((priority, use_case_id), self.sla_hours.get((priority, None)))


def _window(pair: list | None) -> tuple[date, date] | None:
    return (pair[0], pair[1]) if pair else None


def read_registry(path: Path) -> RegistryView:
    """Parse the registry file at ``path`` into the fields the generator uses."""
    registry = parse_registry(path.read_text(encoding="utf-8"), str(path))
    doc = registry.sections
    use_cases = tuple(
        UseCase(
            use_case_id=u["id"],
            teams=tuple(u["teams"]),
            status=u["status"],
            go_live_date=u.get("go_live_date"),
            baseline_days=int(u.get("baseline_days", 90)),
        )
        for u in doc["use_cases"]
    )
    value_chains = []
    for vc in doc.get("value_chains", []):
        design = vc["design"]
        value_chains.append(
            ValueChain(
                value_chain_id=vc["id"],
                design_type=design["type"],
                evidence=design["evidence"],
                action_start=vc["action"]["start_date"],
                metric=vc["metric"],
                use_case_id=design.get("use_case_id"),
                treatment_teams=tuple(design.get("treatment_teams", ())),
                control_teams=tuple(design.get("control_teams", ())),
                pre_window=_window(design.get("pre_window")),
                post_window=_window(design.get("post_window")),
                rollout=tuple((item["team"], item["date"]) for item in design.get("rollout") or ()),
            )
        )
    kpis = doc.get("kpis", [])
    return RegistryView(
        teams=tuple(t["id"] for t in doc["teams"]),
        team_business_unit={t["id"]: t["business_unit"] for t in doc["teams"]},
        use_cases=use_cases,
        sla_hours={(p["priority"], p.get("use_case_id")): float(p["sla_hours"]) for p in doc["sla_policies"]},
        value_chains=tuple(value_chains),
        kpi_baseline_dates={k["id"]: k["baseline_date"] for k in kpis if "baseline_date" in k},
        sentiment_question_id=next(
            (k["question_id"] for k in kpis if k.get("question_id")), "q_ai_confidence"
        ),
        reporting_currency=registry.settings["reporting_currency"],
    )
