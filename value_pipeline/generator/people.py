"""HR roster, AI-tool usage and survey answers of the demo workforce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from value_pipeline.generator import profiles as p

NO_END = 10**9  # day index of "still employed"
TURNOVER_SHARE = 0.12
ELIGIBLE_SHARE = 0.9


@dataclass
class Roster:
    """Everyone in the demo workforce, plus the agent slots cases are assigned to.

    A slot is one seat in a team: its first occupant may leave and a joiner takes over, so every
    slot has exactly one agent on every day and a case's agent is always employed when it opens.
    Days are indexes from the generator's start date.
    """

    user_ids: list[str]
    team: list[str]
    role: list[str]
    start_day: np.ndarray
    end_day: np.ndarray
    ai_eligible: np.ndarray
    slot_first: np.ndarray
    slot_second: np.ndarray
    slot_switch_day: np.ndarray
    team_slot_offset: dict[str, int]
    team_slot_count: dict[str, int]

    def agent_for(self, team_index: np.ndarray, teams: tuple[str, ...], day: np.ndarray, draw: np.ndarray):
        """Roster index of the agent working a case of team ``teams[team_index]`` opened on ``day``."""
        offsets = np.array([self.team_slot_offset[t] for t in teams])
        counts = np.array([self.team_slot_count[t] for t in teams])
        slot = offsets[team_index] + (draw * counts[team_index]).astype(np.int64)
        return np.where(day >= self.slot_switch_day[slot], self.slot_second[slot], self.slot_first[slot])


def build_roster(rng: np.random.Generator, agents_per_team: dict[str, int], n_days: int) -> Roster:
    """Agents (with turnover) and one team lead per team; agent ids look like ``cs_amer-a017``."""
    user_ids: list[str] = []
    team: list[str] = []
    role: list[str] = []
    start_day: list[int] = []
    end_day: list[int] = []
    slot_first: list[int] = []
    slot_second: list[int] = []
    slot_switch: list[int] = []
    offsets: dict[str, int] = {}
    counts: dict[str, int] = {}

    def hire(user_id: str, team_id: str, job: str, first_day: int) -> int:
        user_ids.append(user_id)
        team.append(team_id)
        role.append(job)
        start_day.append(first_day)
        end_day.append(NO_END)
        return len(user_ids) - 1

    for team_id, n_agents in agents_per_team.items():
        offsets[team_id] = len(slot_first)
        counts[team_id] = n_agents
        next_number = 1
        for _ in range(n_agents):
            first = hire(f"{team_id}-a{next_number:03d}", team_id, "agent", -int(rng.integers(30, 2500)))
            next_number += 1
            slot_first.append(first)
            if n_days > 150 and rng.random() < TURNOVER_SHARE:
                switch = int(rng.integers(60, n_days - 60))
                end_day[first] = switch - 1
                slot_second.append(hire(f"{team_id}-a{next_number:03d}", team_id, "agent", switch))
                next_number += 1
                slot_switch.append(switch)
            else:
                slot_second.append(first)
                slot_switch.append(NO_END)
        hire(f"{team_id}-l01", team_id, "team_lead", -int(rng.integers(300, 3000)))

    return Roster(
        user_ids=user_ids,
        team=team,
        role=role,
        start_day=np.array(start_day),
        end_day=np.array(end_day),
        ai_eligible=rng.random(len(user_ids)) < ELIGIBLE_SHARE,
        slot_first=np.array(slot_first),
        slot_second=np.array(slot_second),
        slot_switch_day=np.array(slot_switch),
        team_slot_offset=offsets,
        team_slot_count=counts,
    )


def roster_frame(roster: Roster, start: date, delivery_day: int) -> pd.DataFrame:
    """The roster as HR would deliver it on ``delivery_day``: people hired by then, leavers dated."""
    hired = roster.start_day <= delivery_day
    rows = []
    for i in np.flatnonzero(hired):
        left = roster.end_day[i] <= delivery_day
        rows.append(
            {
                "user_id": roster.user_ids[i],
                "team": roster.team[i],
                "ai_eligible": bool(roster.ai_eligible[i]),
                "start_date": start + timedelta(days=int(roster.start_day[i])),
                "role": roster.role[i],
                "end_date": start + timedelta(days=int(roster.end_day[i])) if left else None,
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Usage:
    frame: pd.DataFrame  # user_id, event_ts, tool, feature, duration_s (+ day for partitioning)
    active_days: np.ndarray  # users x days, True where the user used a tool that day
    users: np.ndarray  # roster indexes of the rows of active_days


def generate_usage(
    rng: np.random.Generator, roster: Roster, start: date, n_days: int, rollout_day: int
) -> Usage:
    """Daily AI-tool usage of eligible users after their (exponentially delayed) adoption."""
    users = np.flatnonzero(roster.ai_eligible)
    adopter = rng.random(users.size) < p.ADOPTER_SHARE
    delay = np.floor(rng.exponential(p.ADOPTION_DELAY_DAYS, users.size)).astype(np.int64)
    adopt_day = np.maximum(rollout_day, roster.start_day[users]) + delay
    days = np.arange(n_days)
    weekday = (start.weekday() + days) % 7
    day_probability = np.where(weekday < 5, p.USAGE_PROBABILITY_WEEKDAY, p.USAGE_PROBABILITY_WEEKEND)
    in_use = adopter[:, None] & (days >= adopt_day[:, None]) & (days <= roster.end_day[users][:, None])
    active = in_use & (rng.random((users.size, n_days)) < day_probability)
    user_pos, day = np.nonzero(active)
    per_day = 1 + rng.poisson(0.8, user_pos.size)
    user_pos = np.repeat(user_pos, per_day)
    day = np.repeat(day, per_day)
    n = user_pos.size
    seconds = rng.integers(7 * 3600, 19 * 3600, n)
    tool = np.where(rng.random(n) < 0.6, "copilot", "chat_assistant")
    feature = np.array(["draft_reply", "summarise", "search", "translate"])[rng.integers(0, 4, n)]
    feature = np.where(rng.random(n) < 0.05, None, feature)
    duration = np.maximum(1, np.round(rng.lognormal(np.log(90), 0.8, n)))
    stamps = pd.Timestamp(start) + pd.to_timedelta(day * 86400 + seconds, unit="s")
    frame = pd.DataFrame(
        {
            "user_id": np.array(roster.user_ids, dtype=object)[users[user_pos]],
            "event_ts": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tool": tool,
            "feature": feature,
            "duration_s": duration,
            "day": day,
        }
    ).sort_values(["day", "event_ts", "user_id"], kind="stable", ignore_index=True)
    return Usage(frame=frame, active_days=active, users=users)


def adoption_on(roster: Roster, usage: Usage, day: int) -> dict:
    """The AI-tool adoption KPI on ``day`` recomputed from the generated roster and usage."""
    eligible = roster.ai_eligible & (roster.start_day <= day) & (roster.end_day >= day)
    window = usage.active_days[:, max(0, day - 27) : day + 1].any(axis=1)
    active = np.zeros(len(roster.user_ids), dtype=bool)
    active[usage.users[window]] = True
    numerator = int((eligible & active).sum())
    denominator = int(eligible.sum())
    return {"numerator": numerator, "denominator": denominator, "value": numerator / denominator}


def generate_survey(
    rng: np.random.Generator, roster: Roster, wave_days: list[int], start: date, question_id: str
):
    """Answers to the AI-confidence and eNPS questions in each wave; one team stays under 5 respondents."""
    respondent_ids = [f"R{i + 1:05d}" for i in range(len(roster.user_ids))]
    teams = np.array(roster.team)
    rows = []
    for wave, day in enumerate(wave_days):
        wave_date = start + timedelta(days=day)
        employed = (roster.start_day <= day) & (roster.end_day >= day)
        who = np.sort(
            np.concatenate(
                [_respondents(rng, np.flatnonzero(employed & (teams == t)), t) for t in np.unique(teams)]
            )
        )
        confidence_shares = p.CONFIDENCE_SCORES_WAVE1 if wave == 0 else p.CONFIDENCE_SCORES_WAVE2
        confidence = _scores_by_quota(rng, who.size, confidence_shares) + 1
        enps = _scores_by_quota(rng, who.size, p.ENPS_SCORES)
        for question, scores, low, high in ((question_id, confidence, 1, 5), ("q_enps", enps, 0, 10)):
            for person, score in zip(who, scores, strict=True):
                rows.append(
                    {
                        "response_id": f"pulse-{wave_date:%Y%m%d}-{respondent_ids[person]}-{question}",
                        "respondent_id": respondent_ids[person],
                        "survey_id": "engagement-pulse",
                        "wave_date": wave_date,
                        "question_id": question,
                        "score": int(score),
                        "scale_min": low,
                        "scale_max": high,
                        "team": roster.team[person],
                    }
                )
    return pd.DataFrame(rows)


def _respondents(rng: np.random.Generator, members: np.ndarray, team: str) -> np.ndarray:
    """A fixed share of the team answers (at least 5, so only the designated small team is suppressed)."""
    wanted = (
        p.SMALL_SURVEY_RESPONDENTS
        if team == p.SMALL_SURVEY_TEAM
        else max(5, round(p.SURVEY_RESPONSE_RATE * members.size))
    )
    return rng.choice(members, min(wanted, members.size), replace=False)


def _scores_by_quota(rng: np.random.Generator, n: int, shares) -> np.ndarray:
    """``n`` scores (0-based) whose counts follow ``shares`` as closely as whole numbers allow, shuffled;
    quotas rather than draws keep a wave's mean at its designed value even for a few dozen answers."""
    exact = n * np.asarray(shares)
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact, kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def sentiment_truth(survey: pd.DataFrame, question_id: str, team_business_unit: dict[str, str]) -> dict:
    """Realised sentiment lift between the two waves per portfolio, business unit and team."""
    answers = survey[survey["question_id"] == question_id].copy()
    answers["normalised"] = (answers["score"] - answers["scale_min"]) / (
        answers["scale_max"] - answers["scale_min"]
    )
    answers["business_unit"] = answers["team"].map(team_business_unit)
    answers["portfolio"] = "portfolio"
    waves = sorted(answers["wave_date"].unique())
    result: dict = {}
    if len(waves) < 2:
        return result
    earlier, later = waves[0], waves[-1]
    for scope, column in (("portfolio", "portfolio"), ("business_unit", "business_unit"), ("team", "team")):
        by_scope = {}
        for scope_id, group in answers.groupby(column):
            before = group[group["wave_date"] == earlier]
            after = group[group["wave_date"] == later]
            n_before, n_after = before["respondent_id"].nunique(), after["respondent_id"].nunique()
            suppressed = min(n_before, n_after) < 5
            mean_before, mean_after = before["normalised"].mean(), after["normalised"].mean()
            by_scope[scope_id] = {
                "respondents_earlier": int(n_before),
                "respondents_later": int(n_after),
                "suppressed": bool(suppressed),
                "lift": None if suppressed else float((mean_after - mean_before) / mean_before),
            }
        result[scope] = by_scope
    return result
