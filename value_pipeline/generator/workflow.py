"""Cases and their workflow events, generated with numpy (no Python loop per case or event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from value_pipeline.generator import profiles as p
from value_pipeline.generator.people import Roster
from value_pipeline.generator.registry_view import RegistryView

EVENT_COLUMNS = (
    "event_id",
    "case_id",
    "use_case_id",
    "event_type",
    "event_ts",
    "actor_type",
    "actor_id",
    "team",
    "priority",
)
ACTOR_TYPES = ("human", "automation", "ai_assist")
# The possible events of a case, in the order their offsets are laid out; a case uses a subset.
SLOT_TYPES = (
    "opened", "assigned", "worked", "worked", "worked", "automated_step",
    "automated_step", "automated_step", "resolved", "reopened", "resolved", "closed",
)  # fmt: skip
SLOT_WORKED = slice(2, 5)
SLOT_ASSIST, SLOT_RESOLVED, SLOT_REOPENED, SLOT_RERESOLVED = 5, 8, 9, 10
NO_DAY = 10**9


@dataclass
class Portfolio:
    """Per-use-case arrays (indexed like ``use_case_ids``) and team lookups used by the generator."""

    use_case_ids: tuple[str, ...]
    teams: tuple[str, ...]
    go_live_day: np.ndarray  # NO_DAY when the use case has no go-live
    profiles: tuple[p.CaseProfile, ...]
    use_case_teams: np.ndarray  # use case x position -> team index (padded)
    use_case_team_count: np.ndarray

    @classmethod
    def from_registry(cls, registry: RegistryView, start: date) -> Portfolio:
        teams = registry.teams
        width = max(len(u.teams) for u in registry.use_cases)
        padded = np.array(
            [[teams.index(t) for t in u.teams] + [0] * (width - len(u.teams)) for u in registry.use_cases]
        )
        return cls(
            use_case_ids=tuple(u.use_case_id for u in registry.use_cases),
            teams=teams,
            go_live_day=np.array(
                [(u.go_live_date - start).days if u.go_live_date else NO_DAY for u in registry.use_cases]
            ),
            profiles=tuple(p.profile_for(u.use_case_id) for u in registry.use_cases),
            use_case_teams=padded,
            use_case_team_count=np.array([len(u.teams) for u in registry.use_cases]),
        )

    def column(self, name: str) -> np.ndarray:
        return np.array([getattr(profile, name) for profile in self.profiles], dtype=float)


@dataclass(frozen=True)
class TeamShift:
    """A warehouse value chain's effect on its use case's cases: from ``common_from_day`` on, every
    team's cases follow the common trend; from its own day in ``team_from_day`` on, a treatment team's
    cases also get the action's effect (diff-in-diff: every treatment team from the post window's first
    day; staggered adoption: each team from its registry rollout date)."""

    use_case: int
    team_from_day: tuple[tuple[int, int], ...]
    common_from_day: int


def chain_shifts(registry: RegistryView, portfolio: Portfolio, start: date) -> list[TeamShift]:
    shifts = []
    for vc in registry.value_chains:
        if vc.evidence != "warehouse" or not vc.use_case_id:
            continue
        if vc.design_type == "diff_in_diff" and vc.post_window:
            day = (vc.post_window[0] - start).days
            team_days = tuple((portfolio.teams.index(t), day) for t in vc.treatment_teams)
        elif vc.design_type == "staggered_adoption" and vc.rollout:
            team_days = tuple((portfolio.teams.index(t), (d - start).days) for t, d in vc.rollout)
        else:
            continue
        shifts.append(
            TeamShift(
                use_case=portfolio.use_case_ids.index(vc.use_case_id),
                team_from_day=team_days,
                common_from_day=min(day for _, day in team_days),
            )
        )
    return shifts


def period_multiplier(portfolio: Portfolio, shifts: list[TeamShift], use_case, team, day) -> np.ndarray:
    """Multiplier of the cycle-time scale for cases of (use case, team) opened on ``day`` (arrays)."""
    use_case, team, day = np.broadcast_arrays(np.asarray(use_case), np.asarray(team), np.asarray(day))
    live = day >= portfolio.go_live_day[use_case]
    multiplier = np.where(live, portfolio.column("median_multiplier")[use_case], 1.0)
    for shift in shifts:
        in_use_case = use_case == shift.use_case
        common = in_use_case & (day >= shift.common_from_day)
        multiplier = multiplier * np.where(common, p.DID_COMMON_TREND, 1.0)
        for treated_team, from_day in shift.team_from_day:
            treated = in_use_case & (team == treated_team) & (day >= from_day)
            multiplier = multiplier * np.where(treated, p.DID_TREATMENT_EFFECT, 1.0)
    return multiplier


@dataclass
class Cases:
    """One entry per case, in opening order (case number = index + 1)."""

    use_case: np.ndarray
    team: np.ndarray
    priority: np.ndarray
    opened_day: np.ndarray
    opened_s: np.ndarray  # seconds since the start date, UTC
    touchless: np.ndarray
    reopened: np.ndarray  # a reopen event was delivered
    resolved: np.ndarray  # resolved at the end of the data
    cycle_s: np.ndarray  # observable cycle seconds (last resolution - opened), -1 when open
    agent: np.ndarray


@cache
def _clock() -> pa.Array:
    """``HH:MM:SSZ`` for every second of a day (built once, when the first rows are written)."""
    return pa.array([f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)])


@dataclass
class Events:
    """The delivered events as integer codes, sorted by event_ts, case, slot (one entry per row).

    The contract's string rows are built a slice at a time (``table``), so that the largest sizes
    never hold every event as text at once.
    """

    case: np.ndarray  # index into the cases
    slot: np.ndarray  # index into SLOT_TYPES
    day: np.ndarray  # UTC day index
    second: np.ndarray  # second of the UTC day
    actor_code: np.ndarray  # index into ACTOR_TYPES
    actor: np.ndarray  # index into the actor names
    cases: Cases
    portfolio: Portfolio
    actor_names: list[str]
    start: date

    @property
    def num_rows(self) -> int:
        return int(self.case.size)

    def directly_follows(self, use_case: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The use case's events that have a predecessor in their case: case, predecessor's slot,
        slot and seconds waited (cases step by event_ts, then delivered order: the slot)."""
        rows = np.flatnonzero(self.cases.use_case[self.case] == use_case)
        rows = rows[np.argsort(self.case[rows], kind="stable")]  # already in time order per case
        case, slot = self.case[rows], self.slot[rows]
        ts = self.day[rows].astype(np.int64) * 86400 + self.second[rows]
        follows = np.flatnonzero(case[1:] == case[:-1]) + 1
        return case[follows], slot[follows - 1], slot[follows], ts[follows] - ts[follows - 1]

    def day_bounds(self, n_days: int) -> np.ndarray:
        """Row offsets where each day starts (``n_days + 1`` entries)."""
        return np.searchsorted(self.day, np.arange(n_days + 1))

    def table(self, first: int, last: int) -> pa.Table:
        """Contract rows ``first`` to ``last`` (exclusive) as a pyarrow table of strings."""
        rows = slice(first, last)
        case, slot = self.case[rows], self.slot[rows]
        day = self.day[rows]  # sorted
        days = range(int(day[0]), int(day[-1]) + 1) if day.size else range(0)
        day_prefix = pa.array([f"{np.datetime64(self.start) + d}T" for d in days], pa.string())
        case_digits = pc.utf8_lpad(pc.cast(pa.array(case + 1), pa.string()), 8, "0")
        slot_digits = pa.array([f"{i:02d}" for i in range(len(SLOT_TYPES))]).take(pa.array(slot))

        def lookup(values, index) -> pa.Array:
            return pa.array(list(values)).take(pa.array(index))

        return pa.table(
            {
                "event_id": pc.binary_join_element_wise("EV-", case_digits, "-", slot_digits, ""),
                "case_id": pc.binary_join_element_wise("CASE-", case_digits, ""),
                "use_case_id": lookup(self.portfolio.use_case_ids, self.cases.use_case[case]),
                "event_type": lookup(SLOT_TYPES, slot),
                "event_ts": pc.binary_join_element_wise(
                    day_prefix.take(pa.array(day - days.start)),
                    _clock().take(pa.array(self.second[rows])),
                    "",
                ),
                "actor_type": lookup(ACTOR_TYPES, self.actor_code[rows]),
                "actor_id": lookup(self.actor_names, self.actor[rows]),
                "team": lookup(self.portfolio.teams, self.cases.team[case]),
                "priority": lookup(p.PRIORITIES, self.cases.priority[case]),
            }
        )


def daily_case_counts(rng, portfolio: Portfolio, start: date, n_days: int, n_cases: float) -> np.ndarray:
    """Poisson case counts per use case and day: weekday seasonality, retired use cases stop."""
    weekday = (start.weekday() + np.arange(n_days)) % 7
    day_weight = np.array(p.WEEKDAY_VOLUME)[weekday]
    active = np.ones((len(portfolio.profiles), n_days), dtype=bool)
    for i, profile in enumerate(portfolio.profiles):
        if profile.cases_until is not None:
            active[i, (profile.cases_until - start).days + 1 :] = False
    weights = portfolio.column("volume_weight")[:, None] * day_weight[None, :] * active
    return rng.poisson(weights * (n_cases / weights.sum()))


def generate_cases(
    rng: np.random.Generator,
    portfolio: Portfolio,
    shifts: list[TeamShift],
    roster: Roster,
    start: date,
    n_days: int,
    n_cases: float,
) -> tuple[Cases, np.ndarray, np.ndarray]:
    """Cases plus the (cases x slots) matrices of event offsets (seconds) and delivered events."""
    counts = daily_case_counts(rng, portfolio, start, n_days, n_cases)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    use_case, day = np.divmod(cell, n_days)
    team = portfolio.use_case_teams[
        use_case, (rng.random(cell.size) * portfolio.use_case_team_count[use_case]).astype(int)
    ]
    opened_s = day * 86400 + rng.integers(5 * 3600, 21 * 3600, cell.size)
    order = np.argsort(opened_s, kind="stable")
    use_case, day, team, opened_s = use_case[order], day[order], team[order], opened_s[order]
    n = use_case.size

    priority = rng.choice(len(p.PRIORITIES), n, p=p.PRIORITY_SHARES)
    live = day >= portfolio.go_live_day[use_case]
    touchless_share = np.where(
        live, portfolio.column("touchless_post")[use_case], portfolio.column("touchless_pre")[use_case]
    )
    touchless = rng.random(n) < touchless_share
    scale_hours = (
        portfolio.column("base_median_hours")[use_case]
        * np.array(p.PRIORITY_FACTORS)[priority]
        * period_multiplier(portfolio, shifts, use_case, team, day)
    )
    sigma = portfolio.column("sigma")[use_case]
    reopen = rng.random(n) < p.REOPEN_SHARE
    first_s = np.rint(scale_hours * rng.lognormal(0.0, sigma) * 3600).astype(np.int64)
    gap_s = np.where(
        reopen, np.rint(scale_hours * rng.lognormal(p.REOPEN_GAP_MU, p.REOPEN_GAP_SIGMA, n) * 3600), 0
    )
    second_s = np.where(reopen, np.rint(scale_hours * rng.lognormal(0.0, sigma) * 3600), 0)
    gap_s, second_s = gap_s.astype(np.int64), second_s.astype(np.int64)

    human = ~touchless
    n_worked = rng.integers(0, 4, n)
    assisted = human & live & (rng.random(n) < portfolio.column("assist_post")[use_case])
    two_steps = rng.random(n) < 0.5
    work_fractions = np.sort(rng.uniform(0.2, 0.95, (n, 3)), axis=1)
    auto_fractions = np.sort(rng.uniform(0.05, 0.95, (n, 2)), axis=1)
    agent = roster.agent_for(team, portfolio.teams, day, rng.random(n))

    def share_of_first(fraction):
        return (first_s * fraction).astype(np.int64)

    last_resolution = first_s + gap_s + second_s
    offsets = np.column_stack(
        [
            np.zeros(n, dtype=np.int64),
            share_of_first(rng.uniform(0.02, 0.2, n)),
            share_of_first(work_fractions[:, 0]),
            share_of_first(work_fractions[:, 1]),
            share_of_first(work_fractions[:, 2]),
            share_of_first(rng.uniform(0.1, 0.9, n)),
            share_of_first(auto_fractions[:, 0]),
            share_of_first(auto_fractions[:, 1]),
            first_s,
            first_s + gap_s,
            last_resolution,
            last_resolution + rng.integers(3600, 3 * 86400, n),
        ]
    )
    # No random draw here, so the injected bottleneck changes nothing but the delayed events.
    delay_share = np.where(live, portfolio.column("work_delay_share")[use_case], 0.0)[:, None]
    worked = offsets[:, SLOT_WORKED]
    offsets[:, SLOT_WORKED] = worked + ((first_s[:, None] - worked) * delay_share).astype(np.int64)
    planned = np.column_stack(
        [
            np.ones(n, dtype=bool),
            human,
            human & (n_worked > 0),
            human & (n_worked > 1),
            human & (n_worked > 2),
            assisted,
            touchless,
            touchless & two_steps,
            np.ones(n, dtype=bool),
            reopen,
            reopen,
            np.ones(n, dtype=bool),
        ]
    )
    # Events after the last second of the data have not happened yet: late cases stay open.
    delivered = planned & (opened_s[:, None] + offsets < n_days * 86400)

    # What the warehouse can observe: the last delivered resolution, unless a later reopen undoes it.
    resolved_again = delivered[:, SLOT_RERESOLVED]
    reopened = delivered[:, SLOT_REOPENED]
    resolved = resolved_again | (delivered[:, SLOT_RESOLVED] & ~reopened)
    cycle_s = np.where(resolved_again, last_resolution, np.where(resolved, first_s, -1))
    cases = Cases(use_case, team, priority, day, opened_s, touchless, reopened, resolved, cycle_s, agent)
    return cases, offsets, delivered


def build_events(
    cases: Cases,
    offsets: np.ndarray,
    delivered: np.ndarray,
    portfolio: Portfolio,
    actor_names: list[str],
    start: date,
) -> Events:
    """Flatten the delivered slots into events sorted by time (codes; ``Events.table`` makes rows)."""
    flat = np.flatnonzero(delivered.ravel())
    case, slot = np.divmod(flat, len(SLOT_TYPES))
    ts = cases.opened_s[case] + offsets.ravel()[flat]
    del flat
    if case.size and case.max() >= 1 << 25:
        raise ValueError("too many cases for the event sort key")
    order = np.argsort((ts << 29) | (case << 4) | slot, kind="stable")
    case, slot, ts = case[order].astype(np.int32), slot[order].astype(np.int8), ts[order]
    del order
    use_case = cases.use_case[case]
    n_humans = len(actor_names) - 2 * len(portfolio.use_case_ids)
    actor_code = np.where(cases.touchless[case], 1, np.where(slot == SLOT_ASSIST, 2, 0)).astype(np.int8)
    actor = np.select(
        [actor_code == 1, actor_code == 2],
        [n_humans + use_case, n_humans + len(portfolio.use_case_ids) + use_case],
        cases.agent[case],
    ).astype(np.int32)
    day, second = np.divmod(ts, 86400)
    return Events(
        case=case,
        slot=slot,
        day=day.astype(np.int32),
        second=second.astype(np.int32),
        actor_code=actor_code,
        actor=actor,
        cases=cases,
        portfolio=portfolio,
        actor_names=actor_names,
        start=start,
    )
