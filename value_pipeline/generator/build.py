"""Write a complete, deterministic landing zone for the demo portfolio and its ground truth."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pyarrow as pa

from value_pipeline.config import DEMO_REGISTRY
from value_pipeline.generator import finance, observations, people, workflow, writers
from value_pipeline.generator import profiles as p
from value_pipeline.generator.registry_view import RegistryView, ValueChain, read_registry

DEFAULT_REGISTRY = DEMO_REGISTRY
MIN_DAYS = 120
TOLERANCE_STANDARD_ERRORS = 4.0
REDELIVERED_EVENTS = 20

# Days (as a fraction of the date range, moved to the next free weekday) delivered in another format.
FORMAT_DAYS = (
    ("jsonl", 0.10), ("parquet", 0.15), ("csv_gz", 0.20), ("csv_semicolon", 0.25), ("csv_bom", 0.30),
    ("csv_extra_column", 0.35), ("jsonl", 0.55), ("parquet", 0.60), ("csv_gz", 0.65), ("csv_semicolon", 0.70),
)  # fmt: skip
DEFECT_DAYS = (
    ("unknown_event_type", 0.40), ("unknown_use_case", 0.42), ("unparseable_event_ts", 0.44),
    ("missing_case_id", 0.46), ("duplicate_row_in_file", 0.48), ("redelivered_next_day", 0.50),
)  # fmt: skip
FILE_NAMES = {
    "csv": "events.csv", "csv_semicolon": "events.csv", "csv_bom": "events.csv",
    "csv_extra_column": "events.csv", "csv_gz": "events.csv.gz", "jsonl": "events.jsonl",
    "parquet": "events.parquet",
}  # fmt: skip
BAD_TIMESTAMPS = ("2025-02-30T10:00:00Z", "not-a-timestamp", "31/12/2025 10:00", "2025-13-01T00:00:00Z")


def generate(
    out_dir: Path,
    *,
    events: int | None = None,
    size: str = "small",
    seed: int = 42,
    registry_path: Path | None = None,
    start: date = date(2025, 1, 1),
    end: date = date(2026, 6, 30),
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Write the demo landing zone under ``out_dir`` and return its ground truth.

    ``events`` asks for about that many valid workflow events (the exact number is in the ground
    truth); without it the ``size`` preset decides (see ``profiles.SIZE_PRESETS``). The same
    arguments always produce byte-identical files. ``out_dir`` must be empty or absent.
    """
    say = progress or (lambda _message: None)
    preset = events is None
    if preset:
        if size not in p.SIZE_PRESETS:
            raise ValueError(f"unknown size {size!r}; choose one of {sorted(p.SIZE_PRESETS)}")
        events = p.SIZE_PRESETS[size]
    if events < 1000:
        raise ValueError("events must be at least 1000")
    n_days = (end - start).days + 1
    if n_days < MIN_DAYS:
        raise ValueError(f"the date range must span at least {MIN_DAYS} days")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    registry_path = Path(registry_path) if registry_path else DEFAULT_REGISTRY
    registry = read_registry(registry_path)
    rng_roster, rng_cases, rng_usage, rng_survey, rng_observations, rng_finance = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(6)
    )
    files: dict[str, int] = {}

    say("roster")
    portfolio = workflow.Portfolio.from_registry(registry, start)
    n_cases = events / p.EVENTS_PER_CASE
    roster = people.build_roster(rng_roster, _agents_per_team(portfolio, n_cases, n_days), n_days)
    actor_names = (
        roster.user_ids
        + [f"bot-{u}" for u in portfolio.use_case_ids]
        + [f"assist-{u}" for u in portfolio.use_case_ids]
    )

    say("cases and workflow events")
    shifts = workflow.chain_shifts(registry, portfolio, start)
    cases, offsets, delivered = workflow.generate_cases(
        rng_cases, portfolio, shifts, roster, start, n_days, n_cases
    )
    event_data = workflow.build_events(cases, offsets, delivered, portfolio, actor_names, start)
    del offsets, delivered

    say("writing workflow_events")
    delivery = _write_workflow_events(out_dir, event_data, portfolio.use_case_ids[0], start, n_days, files)

    say("ai_usage, hr_roster, survey_responses")
    rollout = registry.kpi_baseline_dates.get("ai_tool_adoption", start + timedelta(days=59))
    usage = people.generate_usage(rng_usage, roster, start, n_days, (rollout - start).days)
    _write_days(out_dir, usage.frame, "ai_usage", "usage.csv", start, files)
    roster_deliveries = {0: start, n_days - 1: end}
    for day, delivered_on in roster_deliveries.items():
        _write_table(
            out_dir, f"hr_roster/dt={delivered_on}/roster.csv", people.roster_frame(roster, start, day), files
        )
    wave_days = _wave_days(registry, start, n_days)
    survey = people.generate_survey(rng_survey, roster, wave_days, start, registry.sentiment_question_id)
    for wave_date, rows in survey.groupby("wave_date", sort=True):
        _write_table(out_dir, f"survey_responses/dt={wave_date}/responses.csv", rows, files)

    say("observations")
    observation_truth = _write_observations(out_dir, rng_observations, registry, start, end, files)

    say("finance")
    finance_truth = _write_finance(out_dir, rng_finance, registry, start, end, files)

    (out_dir / "registry").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(registry_path, out_dir / "registry" / "registry.yml")

    say("ground truth")
    truth = {
        "generator": {
            "seed": seed,
            "size": size if preset else None,
            "events_requested": events,
            "start": start,
            "end": end,
            "registry_file": "registry/registry.yml",
            "registry_sha256": hashlib.sha256(registry_path.read_bytes()).hexdigest(),
        },
        "files": dict(sorted(files.items())),
        "workflow_events": {**delivery, **_case_truth(registry, portfolio, cases, event_data, n_days)},
        "use_cases": _use_case_truth(registry, portfolio, shifts, cases, start, end),
        "process_bottlenecks": _bottleneck_truth(registry, portfolio, cases, event_data, start, n_days),
        "value_chains": {
            **observation_truth,
            **{
                vc.value_chain_id: _warehouse_chain_truth(vc, portfolio, shifts, cases, start)
                for vc in registry.value_chains
                if vc.evidence == "warehouse"
            },
        },
        "ai_usage": _usage_truth(roster, usage, rollout, start, n_days),
        "hr_roster": _roster_truth(roster, usage, event_data, roster_deliveries, start, n_days),
        "survey_responses": {
            "question_id": registry.sentiment_question_id,
            "wave_dates": [start + timedelta(days=d) for d in wave_days],
            "rows": len(survey),
            "injected_relative_lift": _injected_lift(),
            "small_team": p.SMALL_SURVEY_TEAM,
            "realised": people.sentiment_truth(
                survey, registry.sentiment_question_id, registry.team_business_unit
            ),
        },
        "finance": finance_truth,
    }
    text = json.dumps(_plain(truth), indent=2, sort_keys=True)
    (out_dir / "ground_truth.json").write_text(text + "\n", encoding="utf-8")
    say("done")
    return json.loads(text)


def _write_table(out_dir: Path, path: str, frame: pd.DataFrame, files: dict) -> None:
    writers.write_frame_csv(frame, out_dir / path)
    files[path] = len(frame)


def _write_days(out_dir: Path, frame: pd.DataFrame, folder: str, name: str, start: date, files: dict) -> None:
    """One file per day of a frame sorted by its ``day`` index column (dropped from the files)."""
    days = frame["day"].to_numpy()
    table = pa.Table.from_pandas(frame.drop(columns="day"), preserve_index=False)
    for day in np.unique(days):
        first, last = np.searchsorted(days, [day, day + 1])
        path = f"{folder}/dt={start + timedelta(days=int(day))}/{name}"
        writers.write_csv(table.slice(first, last - first), out_dir / path)
        files[path] = int(last - first)


# Designs whose evidence is monthly observations over the demo's date range.
MONTHLY_DESIGNS = {
    "staggered_adoption": observations.staggered_rollout,
    "synthetic_control": observations.synthetic_site,
    "interrupted_time_series": observations.monthly_series,
}


def _write_observations(
    out_dir: Path, rng: np.random.Generator, registry: RegistryView, start: date, end: date, files: dict
) -> dict:
    """Observation files of the value chains whose evidence is supplied directly; returns their truth."""
    frames, truth = [], {}
    for vc in registry.value_chains:
        if vc.evidence != "observations":
            continue
        if vc.design_type in MONTHLY_DESIGNS:
            frame, truth[vc.value_chain_id] = MONTHLY_DESIGNS[vc.design_type](rng, vc, start, end)
        else:
            maker = observations.randomised_ab if vc.design_type == "randomised" else observations.panel_did
            frame, truth[vc.value_chain_id] = maker(rng, vc)
        frames.append(frame)
    if frames:
        rows = pd.concat(frames, ignore_index=True)
        # Each row is delivered on the day it was observed; history from before the data's first day
        # (a long pre-period) comes in the first day's delivery.
        delivered = rows["observed_on"].map(lambda day: max(day, start))
        for day, delivery in rows.groupby(delivered, sort=True):
            _write_table(out_dir, f"observations/dt={day}/observations.csv", delivery, files)
    return truth


def _write_finance(
    out_dir: Path, rng: np.random.Generator, registry: RegistryView, start: date, end: date, files: dict
) -> dict:
    """The Finance delivery dated ``end`` (benefits as Excel, the rest as CSV); returns its truth."""
    fx = finance.fx_rates(rng, start, end)
    rates = finance.cost_rates(registry, start, end)
    benefit_rows = finance.benefits(rng, registry, end)
    costs = finance.action_costs(registry, start)
    folder = f"finance/dt={end}"
    writers.write_xlsx(benefit_rows, out_dir / folder / "benefits.xlsx", sheet_name="benefits")
    files[f"{folder}/benefits.xlsx"] = len(benefit_rows)
    for name, frame in (("cost_rates", rates), ("action_costs", costs), ("fx_rates", fx)):
        _write_table(out_dir, f"{folder}/{name}.csv", frame, files)
    return finance.value_truth(registry, benefit_rows, rates, fx, costs)


def _agents_per_team(portfolio: workflow.Portfolio, n_cases: float, n_days: int) -> dict[str, int]:
    """Enough agents that each handles about two cases a day, at least eight per team."""
    weights = portfolio.column("volume_weight")
    team_cases = dict.fromkeys(portfolio.teams, 0.0)
    for i, weight in enumerate(weights):
        teams = portfolio.use_case_teams[i, : portfolio.use_case_team_count[i]]
        for t in teams:
            team_cases[portfolio.teams[t]] += n_cases * weight / weights.sum() / len(teams)
    return {team: max(8, math.ceil(cases / n_days / 2.0)) for team, cases in team_cases.items()}


def _wave_days(registry: RegistryView, start: date, n_days: int) -> list[int]:
    """Survey waves: the Monday on or after the sentiment KPI's baseline date, and 52 weeks later."""
    baseline = registry.kpi_baseline_dates.get("sentiment_lift", start + timedelta(days=73))
    first = (baseline - start).days + (-baseline.weekday()) % 7
    return [d for d in (first, first + 364) if 0 <= d < n_days]


def _injected_lift() -> float:
    def mean_normalised(shares):
        return sum(s * k for k, s in enumerate(shares)) / 4

    return mean_normalised(p.CONFIDENCE_SCORES_WAVE2) / mean_normalised(p.CONFIDENCE_SCORES_WAVE1) - 1


def _special_days(start: date, n_days: int) -> dict[int, str]:
    """Day index -> kind, for format and defect days; each lands on a free weekday (Mon-Thu for a
    re-delivery, so that the next day is a weekday too)."""
    chosen: dict[int, str] = {}
    for kind, fraction in (*FORMAT_DAYS, *DEFECT_DAYS):
        day = int(fraction * n_days)
        last_weekday = 3 if kind == "redelivered_next_day" else 4
        while (
            (start + timedelta(days=day)).weekday() > last_weekday
            or day in chosen
            or (kind == "redelivered_next_day" and day + 1 in chosen)
        ):
            day += 1
        chosen[day] = kind
        if kind == "redelivered_next_day":
            chosen[day + 1] = "redelivery_target"
    return chosen


def _string_table(rows: list[dict]) -> pa.Table:
    schema = pa.schema([(c, pa.string()) for c in workflow.EVENT_COLUMNS])
    return pa.Table.from_pylist(rows, schema=schema)


def _defect_rows(kind: str, day: date, use_case_id: str) -> list[dict]:
    """Rows that break the contract in one way each; otherwise they look like automation events."""
    noon = f"{day}T12:00:00Z"

    def row(k: int, **changes) -> dict:
        base = {
            "event_id": f"EV-DEFECT-{kind}-{k}",
            "case_id": f"CASE-DEFECT-{kind}-{k}",
            "use_case_id": use_case_id,
            "event_type": "opened",
            "event_ts": noon,
            "actor_type": "automation",
            "actor_id": f"bot-{use_case_id}",
            "team": None,
            "priority": "P3",
        }
        return base | changes

    if kind == "unknown_event_type":
        return [
            row(k, event_type=t) for k, t in enumerate(("escalated", "commented", "on_hold", "escalated"))
        ]
    if kind == "unknown_use_case":
        return [
            row(k, use_case_id="UC99", event_type=t)
            for k, t in enumerate(("opened", "assigned", "resolved", "closed"))
        ]
    if kind == "unparseable_event_ts":
        return [row(k, event_ts=ts) for k, ts in enumerate(BAD_TIMESTAMPS)]
    if kind == "missing_case_id":
        return [row(k, case_id=None) for k in range(3)]
    raise ValueError(kind)


def _write_workflow_events(
    out_dir: Path, data: workflow.Events, use_case_id: str, start: date, n_days: int, files: dict
) -> dict:
    """One file per day; a few days in other formats or with defects. Returns the delivery truth."""
    special = _special_days(start, n_days)
    bounds = data.day_bounds(n_days)
    rows_by_class = {"valid_first_delivery": data.num_rows}
    special_files: dict[str, list[str]] = {}
    redelivery: pa.Table | None = None
    redelivered_ids: list[str] = []
    for day in range(n_days):
        table = data.table(bounds[day], bounds[day + 1])
        kind = special.get(day, "csv")
        fmt = kind if kind in FILE_NAMES else "csv"
        on = start + timedelta(days=day)
        path = f"workflow_events/dt={on}/{FILE_NAMES[fmt]}"
        if kind in {"unknown_event_type", "unknown_use_case", "unparseable_event_ts", "missing_case_id"}:
            extra = _string_table(_defect_rows(kind, on, use_case_id))
            table = pa.concat_tables([table, extra])
            rows_by_class[kind] = extra.num_rows
        elif kind == "duplicate_row_in_file":
            table = pa.concat_tables([table, table.slice(table.num_rows // 2, 1)])
            rows_by_class[kind] = 1
        elif kind == "redelivered_next_day":
            redelivery = table.slice(max(0, table.num_rows - REDELIVERED_EVENTS))
        elif kind == "redelivery_target":
            table = pa.concat_tables([table, redelivery])
            rows_by_class["redelivered_next_day"] = redelivery.num_rows
            redelivered_ids = redelivery.column("event_id").to_pylist()
        elif kind == "csv_extra_column":
            table = table.append_column(
                "source_system", pa.array(["servicenow"] * table.num_rows, pa.string())
            )
        _write_event_file(table, out_dir / path, fmt)
        files[path] = table.num_rows
        if kind != "csv":
            special_files.setdefault(kind, []).append(path)
    contract_failures = sum(
        rows_by_class.get(k, 0)
        for k in ("unknown_event_type", "unknown_use_case", "unparseable_event_ts", "missing_case_id")
    )
    return {
        "rows_written": sum(rows_by_class.values()),
        "rows_by_class": rows_by_class,
        "rows_failing_contract": contract_failures,
        "valid_distinct_events": data.num_rows,
        "special_files": special_files,
        "redelivered_event_ids": redelivered_ids,
        "extra_column": "source_system",
        "files_by_format": {
            fmt: sum(1 for k in special.values() if k == fmt) for fmt in FILE_NAMES if fmt != "csv"
        }
        | {"csv": n_days - sum(1 for k in special.values() if k in FILE_NAMES)},
    }


def _write_event_file(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "jsonl":
        writers.write_jsonl(table, path)
    elif fmt == "parquet":
        writers.write_parquet(table, path)
    else:
        writers.write_csv(
            table,
            path,
            delimiter=";" if fmt == "csv_semicolon" else ",",
            bom=fmt == "csv_bom",
            compress=fmt == "csv_gz",
        )


def _sla_met(
    registry: RegistryView, portfolio: workflow.Portfolio, cases: workflow.Cases
) -> tuple[np.ndarray, np.ndarray]:
    """Per case: whether an SLA policy applies, and whether the resolved case met it."""
    hours = np.array(
        [[registry.sla_for(prio, uc) or np.nan for prio in p.PRIORITIES] for uc in portfolio.use_case_ids]
    )[cases.use_case, cases.priority]
    has_policy = cases.resolved & ~np.isnan(hours)
    return has_policy, has_policy & (cases.cycle_s <= np.nan_to_num(hours) * 3600)


def _case_truth(registry, portfolio, cases: workflow.Cases, data: workflow.Events, n_days: int) -> dict:
    has_policy, met = _sla_met(registry, portfolio, cases)
    events_by_type: dict[str, int] = {}
    for slot, count in enumerate(np.bincount(data.slot, minlength=len(workflow.SLOT_TYPES))):
        event_type = workflow.SLOT_TYPES[slot]
        events_by_type[event_type] = events_by_type.get(event_type, 0) + int(count)
    return {
        "cases": int(cases.use_case.size),
        "resolved_cases": int(cases.resolved.sum()),
        "open_cases": int((~cases.resolved).sum()),
        "reopened_cases": int(cases.reopened.sum()),
        "touchless_cases": int(cases.touchless.sum()),
        "events_by_type": events_by_type,
        "human_events": int((data.actor_code == workflow.ACTOR_TYPES.index("human")).sum()),
        "first_event_day": int(data.day.min()),
        "last_event_day": int(data.day.max()),
        "days_with_files": n_days,
        "sla": {
            "resolved_with_policy": int(has_policy.sum()),
            "sla_met": int(met.sum()),
            "compliance": float(met.sum() / has_policy.sum()),
        },
    }


def _use_case_truth(registry, portfolio, shifts, cases: workflow.Cases, start: date, end: date) -> dict:
    result = {}
    hours = cases.cycle_s / 3600.0
    for i, use_case in enumerate(registry.use_cases):
        profile = portfolio.profiles[i]
        mine = cases.use_case == i
        entry = {
            "status": use_case.status,
            "go_live_date": use_case.go_live_date,
            "cases": int(mine.sum()),
            "resolved_cases": int((mine & cases.resolved).sum()),
            "open_cases": int((mine & ~cases.resolved).sum()),
            "touchless_cases": int((mine & cases.touchless).sum()),
            "first_case_date": start + timedelta(days=int(cases.opened_day[mine].min()))
            if mine.any()
            else None,
            "last_case_date": start + timedelta(days=int(cases.opened_day[mine].max()))
            if mine.any()
            else None,
            "injected": {
                "base_median_hours_p3": profile.base_median_hours,
                "lognormal_sigma": profile.sigma,
                "median_multiplier": profile.median_multiplier if use_case.go_live_date else None,
                "touchless_share_before_go_live": profile.touchless_pre,
                "touchless_share_after_go_live": profile.touchless_post if use_case.go_live_date else None,
                "work_delay_share_after_go_live": profile.work_delay_share if use_case.go_live_date else None,
                "later_shifts": [
                    {
                        "from": start + timedelta(days=s.common_from_day),
                        "all_teams_multiplier": p.DID_COMMON_TREND,
                        "treatment_teams_from": {
                            portfolio.teams[t]: start + timedelta(days=day) for t, day in s.team_from_day
                        },
                        "treatment_multiplier": p.DID_TREATMENT_EFFECT,
                    }
                    for s in shifts
                    if s.use_case == i
                ],
            },
        }
        go_live = portfolio.go_live_day[i]
        if use_case.go_live_date and go_live < (end - start).days + 1:
            baseline = (
                mine & (cases.opened_day >= go_live - use_case.baseline_days) & (cases.opened_day < go_live)
            )
            post = mine & (cases.opened_day >= go_live)
            b_resolved, p_resolved = hours[baseline & cases.resolved], hours[post & cases.resolved]
            realised = {
                "baseline_window": [
                    use_case.go_live_date - timedelta(days=use_case.baseline_days),
                    use_case.go_live_date - timedelta(days=1),
                ],
                "post_window": [use_case.go_live_date, end],
                "baseline_cases": int(baseline.sum()),
                "post_cases": int(post.sum()),
                "baseline_resolved": int(b_resolved.size),
                "post_resolved": int(p_resolved.size),
                "baseline_touchless_share": float(cases.touchless[baseline].mean())
                if baseline.any()
                else None,
                "post_touchless_share": float(cases.touchless[post].mean()) if post.any() else None,
            }
            if b_resolved.size and p_resolved.size:
                ratio = float(np.median(p_resolved) / np.median(b_resolved))
                se_log = math.sqrt(math.pi / 2) * p.log_cycle_sd(profile.sigma)
                se_log *= math.sqrt(1 / b_resolved.size + 1 / p_resolved.size)
                realised |= {
                    "baseline_median_cycle_hours": float(np.median(b_resolved)),
                    "post_median_cycle_hours": float(np.median(p_resolved)),
                    "median_ratio": ratio,
                    "cycle_time_reduction": 1 - ratio,
                    "median_ratio_tolerance": TOLERANCE_STANDARD_ERRORS * se_log * profile.median_multiplier,
                }
            entry["as_of_end"] = realised
        result[use_case.use_case_id] = entry
    return result


def _bottleneck_truth(
    registry: RegistryView, portfolio, cases: workflow.Cases, data: workflow.Events, start: date, n_days: int
) -> list[dict]:
    """The injected waits (``work_delay_share``): the median wait assigned -> worked, in hours, of the
    baseline and the post cases (by opened date), over each directly-follows occurrence."""
    result = []
    for i, use_case in enumerate(registry.use_cases):
        go_live = portfolio.go_live_day[i]
        if not portfolio.profiles[i].work_delay_share or go_live >= n_days:
            continue
        case, from_slot, to_slot, wait_s = data.directly_follows(i)
        types = np.array(workflow.SLOT_TYPES)
        edge = (types[from_slot] == "assigned") & (types[to_slot] == "worked")
        opened = cases.opened_day[case[edge]]
        hours = wait_s[edge] / 3600.0
        baseline = hours[(opened >= go_live - use_case.baseline_days) & (opened < go_live)]
        post = hours[opened >= go_live]
        result.append(
            {
                "use_case_id": use_case.use_case_id,
                "from_activity": "assigned",
                "to_activity": "worked",
                "from_date": start + timedelta(days=int(go_live)),
                "work_delay_share": portfolio.profiles[i].work_delay_share,
                "baseline_transitions": int(baseline.size),
                "post_transitions": int(post.size),
                "baseline_median_wait_hours": float(np.median(baseline)),
                "post_median_wait_hours": float(np.median(post)),
                "wait_rise_hours": float(np.median(post) - np.median(baseline)),
            }
        )
    return result


# Warehouse designs whose evidence is each team's monthly mean cycle hours.
TEAM_MONTH_DESIGNS = ("staggered_adoption", "synthetic_control", "interrupted_time_series")
TEAM_MONTH_ESTIMANDS = {
    "staggered_adoption": "simple aggregation of ATT(g,t) of the teams' monthly mean cycle hours,"
    " never-treated teams as controls",
    "synthetic_control": "average post-month gap of the treated team's mean cycle hours to its donors'",
    "interrupted_time_series": "average post-month level minus the pre-month line extrapolated (OLS)",
}


def _team_month_cells(vc: ValueChain, portfolio, shifts, cases: workflow.Cases, start: date) -> pd.DataFrame:
    """Per team of the chain and month (pre window's first day to the post window's last): resolved
    cases, their expected mean cycle hours (exact given the cases' opening days), sample mean, variance."""
    uc = portfolio.use_case_ids.index(vc.use_case_id)
    teams = np.array([portfolio.teams.index(t) for t in (*vc.treatment_teams, *vc.control_teams)])
    first, last = (vc.pre_window[0] - start).days, (vc.post_window[1] - start).days
    chosen = (
        (cases.use_case == uc)
        & np.isin(cases.team, teams)
        & (cases.opened_day >= first)
        & (cases.opened_day <= last)
        & cases.resolved
    )
    day, team = cases.opened_day[chosen], cases.team[chosen]
    multiplier = workflow.period_multiplier(portfolio, shifts, uc, team, day)
    frame = pd.DataFrame(
        {
            "team": np.array(portfolio.teams)[team],
            "month": (np.datetime64(start) + day.astype("timedelta64[D]")).astype("datetime64[M]"),
            "hours": cases.cycle_s[chosen] / 3600.0,
            "expected": p.expected_mean_cycle_hours(portfolio.profiles[uc], multiplier),
        }
    )
    return frame.groupby(["team", "month"]).agg(
        n=("hours", "size"), mean=("hours", "mean"), var=("hours", "var"), expected=("expected", "mean")
    )


def _first_treated_month(vc: ValueChain) -> dict[str, np.datetime64]:
    """Each treatment team's first treated month: its rollout (staggered adoption), else the post window's."""
    dates = dict(vc.rollout) if vc.design_type == "staggered_adoption" else {}
    return {
        team: np.datetime64(dates.get(team, vc.post_window[0]), "M")
        for team in vc.treatment_teams
        if vc.design_type != "staggered_adoption" or team in dates
    }


def _design_weights(vc: ValueChain, months: list) -> dict[tuple[str, np.datetime64], float]:
    """The estimand as weights over (team, month) means: staggered adoption's simple aggregation of
    ATT(g,t) against the never-treated teams (base month g-1); synthetic control's average post gap
    against the donors' mean; the time series' average post level minus the pre-period line
    extrapolated to the post months' mean time."""
    first = _first_treated_month(vc)
    weights: dict = {}

    def add(team: str, month, weight: float) -> None:
        weights[(team, month)] = weights.get((team, month), 0.0) + weight

    if vc.design_type == "staggered_adoption":
        never = [t for t in (*vc.treatment_teams, *vc.control_teams) if t not in first]
        cohorts: dict = {}
        for team, month in first.items():
            cohorts.setdefault(month, []).append(team)
        cells = [(g, t) for g in cohorts for t in months if t >= g]
        total = sum(len(cohorts[g]) for g, _ in cells)
        for g, t in cells:
            share, base = len(cohorts[g]) / total, months[months.index(g) - 1]
            for team in cohorts[g]:
                add(team, t, share / len(cohorts[g]))
                add(team, base, -share / len(cohorts[g]))
            for team in never:
                add(team, t, -share / len(never))
                add(team, base, share / len(never))
        return weights
    treated = list(first)
    action = min(first.values())
    pre, post = [m for m in months if m < action], [m for m in months if m >= action]
    if vc.design_type == "synthetic_control":
        for t in post:
            for team in treated:
                add(team, t, 1 / len(post) / len(treated))
            for team in vc.control_teams:
                add(team, t, -1 / len(post) / len(vc.control_teams))
        return weights
    x_pre = np.arange(len(pre), dtype=float)
    x_post = np.arange(len(pre), len(months), dtype=float)
    sxx = float(((x_pre - x_pre.mean()) ** 2).sum())
    for team in treated:
        for t in post:
            add(team, t, 1 / len(post) / len(treated))
        for x, t in zip(x_pre, pre, strict=True):
            c = 1 / len(pre) + (x_post.mean() - x_pre.mean()) * (x - x_pre.mean()) / sxx
            add(team, t, -c / len(treated))
    return weights


def _team_month_chain_truth(vc: ValueChain, portfolio, shifts, cases: workflow.Cases, start: date) -> dict:
    """Expected and realised effect of a warehouse chain compared by team-months, with its sampling
    standard error (the estimand's weights over team-month means; for synthetic control the donors'
    mean stands for the weighted donors, its variance bounded by the noisiest donor's)."""
    cells = _team_month_cells(vc, portfolio, shifts, cases, start)
    months = sorted(cells.index.get_level_values("month").unique())
    weights = _design_weights(vc, months)
    index = pd.MultiIndex.from_tuples(list(weights), names=["team", "month"])
    w = pd.Series(list(weights.values()), index=index)
    used = cells.reindex(index)
    if used["n"].isna().any():
        # Small data: the estimand needs every team-month (the estimator leaves such a team out).
        return {
            "design": vc.design_type,
            "true_effect": None,
            "tolerance": None,
            "incomplete_team_months": True,
        }
    sampling = used["var"] / used["n"]
    if vc.design_type == "synthetic_control":
        donors = sampling[w.lt(0).to_numpy()].groupby(level="month").max()
        treated = sampling[w.gt(0).to_numpy()].groupby(level="month").sum()
        posts = int((w > 0).sum())
        variance = float(((treated + donors.reindex(treated.index)) / posts**2).sum())
    else:
        variance = float((w**2 * sampling).sum())
    se = math.sqrt(variance)
    first = _first_treated_month(vc)
    return {
        "design": vc.design_type,
        "metric": vc.metric,
        "use_case_id": vc.use_case_id,
        "estimator": TEAM_MONTH_ESTIMANDS[vc.design_type],
        "case_selection": "resolved cases of the use case and the teams opened (UTC date) from the pre"
        " window's first day to the post window's last, by opening month",
        "first_treated_month": {team: str(month) for team, month in sorted(first.items())},
        "team_months": len(cells),
        "true_effect": float((w * used["expected"]).sum()),
        "sample_effect": float((w * used["mean"]).sum()),
        "sample_standard_error": se,
        "tolerance": TOLERANCE_STANDARD_ERRORS * se,
    }


def _warehouse_chain_truth(vc: ValueChain, portfolio, shifts, cases: workflow.Cases, start: date) -> dict:
    """Exact expected and realised effect of a warehouse value chain on mean cycle hours of resolved cases."""
    if vc.design_type in TEAM_MONTH_DESIGNS:
        return _team_month_chain_truth(vc, portfolio, shifts, cases, start)
    uc = portfolio.use_case_ids.index(vc.use_case_id)
    profile = portfolio.profiles[uc]
    groups = {"treatment": vc.treatment_teams}
    if vc.design_type == "diff_in_diff":
        groups["control"] = vc.control_teams
    hours = cases.cycle_s / 3600.0
    cells = {}
    for group, team_ids in groups.items():
        team_index = np.array([portfolio.teams.index(t) for t in team_ids])
        for period, (first, last) in (("pre", vc.pre_window), ("post", vc.post_window)):
            days = np.arange((first - start).days, (last - start).days + 1)
            # The expected mean is exact only where one multiplier covers the whole cell.
            multipliers = np.unique(
                workflow.period_multiplier(portfolio, shifts, uc, team_index[:, None], days[None, :])
            )
            chosen = (
                (cases.use_case == uc)
                & np.isin(cases.team, team_index)
                & (cases.opened_day >= days[0])
                & (cases.opened_day <= days[-1])
                & cases.resolved
            )
            sample = hours[chosen]
            cells[f"{group}_{period}"] = {
                "resolved_cases": int(sample.size),
                "expected_mean_cycle_hours": p.expected_mean_cycle_hours(profile, float(multipliers[0]))
                if multipliers.size == 1
                else None,
                # An empty cell (a planned chain's post window after the data) has no moments.
                "sample_mean_cycle_hours": float(sample.mean()) if sample.size else None,
                "sample_variance": float(sample.var(ddof=1)) if sample.size > 1 else None,
            }

    if any(cell["resolved_cases"] == 0 for name, cell in cells.items() if name.endswith("_post")):
        return _planned_chain_truth(vc, cells)

    def effect(key: str) -> float | None:
        values = {name: cell[key] for name, cell in cells.items()}
        if any(v is None for v in values.values()):
            return None
        change = values["treatment_post"] - values["treatment_pre"]
        if "control_pre" in values:
            change -= values["control_post"] - values["control_pre"]
        return change

    se = math.sqrt(sum(c["sample_variance"] / c["resolved_cases"] for c in cells.values()))
    return {
        "design": vc.design_type,
        "metric": vc.metric,
        "use_case_id": vc.use_case_id,
        "estimator": "difference in differences of mean cycle hours (levels)"
        if vc.design_type == "diff_in_diff"
        else "after minus before mean cycle hours (levels)",
        "case_selection": "cases of the use case and the group's teams opened in the window (opened date, "
        "UTC) and resolved by the end",
        "cells": cells,
        "true_effect": effect("expected_mean_cycle_hours"),
        "sample_effect": effect("sample_mean_cycle_hours"),
        "sample_standard_error": se,
        "tolerance": TOLERANCE_STANDARD_ERRORS * se,
    }


def _planned_chain_truth(vc: ValueChain, cells: dict) -> dict:
    """A chain whose post window holds no case yet: its minimum detectable effect at 80% power and 5%
    significance (two-sided, normal approximation), each post cell expected as large as the same
    group's pre cell and the spread the pre cells' pooled standard deviation."""
    pre = {name: cell for name, cell in cells.items() if name.endswith("_pre")}
    dof = sum(cell["resolved_cases"] - 1 for cell in pre.values())
    if dof <= 0 or any(cell["resolved_cases"] < 2 for cell in pre.values()):
        return {"design": vc.design_type, "planned": True, "cells": pre, "minimum_detectable_effect": None}
    pooled = math.sqrt(
        sum(cell["sample_variance"] * (cell["resolved_cases"] - 1) for cell in pre.values()) / dof
    )
    sizes = [cell["resolved_cases"] for cell in pre.values() for _ in ("pre", "post")]
    multiplier = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)
    return {
        "design": vc.design_type,
        "metric": vc.metric,
        "use_case_id": vc.use_case_id,
        "planned": True,
        "cells": pre,
        "pre_pooled_std_dev": pooled,
        "minimum_detectable_effect": multiplier * pooled * math.sqrt(sum(1 / n for n in sizes)),
    }


def _usage_truth(roster: people.Roster, usage: people.Usage, rollout: date, start: date, n_days: int) -> dict:
    rollout_day = (rollout - start).days
    checkpoints = [d for d in (rollout_day + 92, rollout_day + 184, n_days - 1) if 0 <= d < n_days]
    return {
        "rows": len(usage.frame),
        "files": int(usage.frame["day"].nunique()),
        "users": int(usage.frame["user_id"].nunique()),
        "rollout_date": rollout,
        "injected": {
            "adopter_share": p.ADOPTER_SHARE,
            "mean_adoption_delay_days": p.ADOPTION_DELAY_DAYS,
            "expected_adoption_six_months_after_rollout": p.ADOPTER_SHARE
            * (1 - math.exp(-184 / p.ADOPTION_DELAY_DAYS)),
            "tolerance": 0.08,
        },
        "adoption_kpi": {
            str(start + timedelta(days=d)): people.adoption_on(roster, usage, d) for d in checkpoints
        },
    }


def _roster_truth(
    roster: people.Roster, usage, data: workflow.Events, deliveries: dict, start: date, n_days: int
) -> dict:
    humans = data.actor_code == workflow.ACTOR_TYPES.index("human")
    human_actors = {data.actor_names[i] for i in np.unique(data.actor[humans])}
    return {
        "deliveries": [
            {"delivery_date": on, "rows": int((roster.start_day <= day).sum())}
            for day, on in sorted(deliveries.items())
        ],
        "people": len(roster.user_ids),
        "joiners": int((roster.start_day > 0).sum()),
        "leavers": int((roster.end_day < n_days).sum()),
        "ai_eligible": int(roster.ai_eligible.sum()),
        "human_actors_in_events": len(human_actors),
        "usage_users": int(usage.frame["user_id"].nunique()),
        "all_actors_and_users_in_roster": human_actors.union(usage.frame["user_id"]) <= set(roster.user_ids),
    }


def _plain(value):
    """JSON-ready copy: numpy scalars to Python, dates to ISO strings, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
