"""The demo generator: determinism, ground truth that matches the files, contract-valid deliveries and
injected effects that are visible when the data are read back independently."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from value_pipeline.generator import DEFAULT_REGISTRY, generate, people, workflow
from value_pipeline.generator.registry_view import read_registry

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "value_pipeline" / "contracts" / "v1"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    return landing, generate(landing)


@pytest.fixture(scope="module")
def contracts() -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted(CONTRACTS_DIR.glob("*.yml"))}


@pytest.fixture(scope="module")
def registry() -> dict:
    return yaml.safe_load(DEFAULT_REGISTRY.read_text())


def read_delivery(path: Path) -> pd.DataFrame:
    """Read a landing file of any accepted format the way a customer's tool would, values as text."""
    name = path.name
    if name.endswith(".parquet"):
        frame = pd.read_parquet(path)
    elif name.endswith(".jsonl"):
        frame = pd.read_json(path, lines=True, dtype=False)
    elif name.endswith(".xlsx"):
        frame = pd.read_excel(path, dtype=object)
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig") as handle:
            header = handle.readline()
        frame = read_delivery_csv(path, ";" if ";" in header else ",")
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame.astype(object).where(frame.notna(), None)


def read_delivery_csv(source, delimiter: str) -> pd.DataFrame:
    frame = pd.read_csv(
        source, sep=delimiter, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
    )
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame.astype(object).where(frame.notna(), None)


def contract_files(landing: Path, contract: dict) -> list[Path]:
    stem = contract.get("file_stem")
    files = sorted(p for p in (landing / contract["folder"]).rglob("*") if p.is_file())
    return [p for p in files if stem is None or p.name.split(".")[0] == stem]


def read_source(landing: Path, contract: dict) -> pd.DataFrame:
    """Every delivery of a source, with its file and line; plain comma CSVs are parsed in one go for speed."""
    frames, plain, plain_rows, plain_header = [], [], [], None
    for path in contract_files(landing, contract):
        raw = path.read_bytes() if path.suffix == ".csv" else b""
        header, _, body = raw.partition(b"\n")
        if (
            raw
            and b";" not in header
            and not raw.startswith(b"\xef\xbb\xbf")
            and header == (plain_header or header)
        ):
            plain_header = header
            plain.append(body)
            plain_rows.append((str(path.relative_to(landing)), body.count(b"\n")))
            continue
        frame = read_delivery(path)
        frame["_file"] = str(path.relative_to(landing))
        frame["_line"] = np.arange(2, len(frame) + 2)
        frames.append(frame)
    if plain:
        merged = io.BytesIO(plain_header + b"\n" + b"".join(plain))
        frame = read_delivery_csv(merged, ",")
        frame["_file"] = np.repeat([name for name, _ in plain_rows], [n for _, n in plain_rows])
        frame["_line"] = np.concatenate([np.arange(2, n + 2) for _, n in plain_rows])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def failing_rows(frame: pd.DataFrame, contract: dict, use_case_ids: set[str]) -> pd.Series:
    """Rows that break the contract's column rules (required, enum, type, min, references)."""
    bad = pd.Series(False, index=frame.index)
    for column in contract["columns"]:
        if column["name"] not in frame.columns and not column.get("required"):
            continue  # an optional column the files do not deliver (e.g. workflow_events.activity)
        values = frame[column["name"]]
        present = values.notna()
        if column.get("required"):
            bad |= ~present
        kind = column["type"]
        if kind == "timestamp":
            text = values.astype(str)
            parsed = pd.to_datetime(values.where(present), format="ISO8601", errors="coerce", utc=True)
            bad |= present & (~text.str.match(ISO_UTC) | parsed.isna())
        elif kind == "date":
            parsed = pd.to_datetime(
                values.where(present).astype(str).str[:10], format="%Y-%m-%d", errors="coerce"
            )
            bad |= present & parsed.isna()
        elif kind == "number":
            numbers = pd.to_numeric(values.where(present), errors="coerce")
            bad |= present & numbers.isna()
            if "min" in column:
                bad |= present & (numbers < column["min"])
        elif kind == "boolean":
            bad |= present & ~values.astype(str).str.lower().isin({"true", "false"})
        if "enum" in column:
            bad |= present & ~values.isin(column["enum"])
        if column.get("references") == "use_cases":
            bad |= present & ~values.isin(use_case_ids)
    return bad


def case_table(events: pd.DataFrame) -> pd.DataFrame:
    """One row per case following docs/kpi_computation.md, from contract-valid, de-duplicated events."""
    events = events.assign(ts=pd.to_datetime(events["event_ts"], format="ISO8601", utc=True))
    by_case = events.groupby("case_id")
    opened = events[events["event_type"] == "opened"].groupby("case_id")["ts"].min()
    resolved = events[events["event_type"] == "resolved"].groupby("case_id")["ts"].max()
    closed = events[events["event_type"] == "closed"].groupby("case_id")["ts"].max()
    reopened = events[events["event_type"] == "reopened"].groupby("case_id")["ts"].max()
    cases = pd.DataFrame({"use_case_id": by_case["use_case_id"].first(), "team": by_case["team"].first()})
    cases["opened_at"] = opened.reindex(cases.index).fillna(by_case["ts"].min())
    resolution = resolved.reindex(cases.index).fillna(closed.reindex(cases.index))
    undone = reopened.reindex(cases.index) > resolution
    cases["resolved_at"] = resolution.where(~undone)
    cases["cycle_hours"] = (cases["resolved_at"] - cases["opened_at"]).dt.total_seconds() / 3600.0
    cases["touchless"] = ~by_case["actor_type"].agg(lambda a: (a == "human").any())
    cases["opened_date"] = cases["opened_at"].dt.date
    return cases


@pytest.fixture(scope="module")
def events(demo, contracts, registry) -> pd.DataFrame:
    landing, _ = demo
    return read_source(landing, contracts["workflow_events"])


@pytest.fixture(scope="module")
def latest_events(events, contracts, registry) -> pd.DataFrame:
    """Contract-valid events, each in its latest delivery."""
    use_case_ids = {u["id"] for u in registry["use_cases"]}
    valid = events[~failing_rows(events, contracts["workflow_events"], use_case_ids)]
    return valid.sort_values(["_file", "_line"]).drop_duplicates("event_id", keep="last")


@pytest.fixture(scope="module")
def cases(latest_events) -> pd.DataFrame:
    return case_table(latest_events)


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_and_another_seed_differs(demo, tmp_path):
    landing, truth = demo
    again = generate(tmp_path / "again")
    assert again == truth
    assert file_hashes(tmp_path / "again") == file_hashes(landing)
    other = generate(tmp_path / "other", seed=7)
    other_hashes, hashes = file_hashes(tmp_path / "other"), file_hashes(landing)
    changed = [
        path
        for path in hashes
        if path.startswith("workflow_events") and other_hashes.get(path) != hashes[path]
    ]
    assert len(changed) > 500
    assert (
        other["workflow_events"]["valid_distinct_events"] != truth["workflow_events"]["valid_distinct_events"]
    )


def test_layout_registry_copy_and_small_size(demo):
    landing, truth = demo
    assert (landing / "registry" / "registry.yml").read_bytes() == DEFAULT_REGISTRY.read_bytes()
    assert json.loads((landing / "ground_truth.json").read_text()) == truth
    days = sorted(p.name for p in (landing / "workflow_events").iterdir())
    assert days[0] == "dt=2025-01-01" and days[-1] == "dt=2026-06-30" and len(days) == 546
    assert 40_000 <= truth["workflow_events"]["valid_distinct_events"] <= 60_000
    listed = {path for path in truth["files"]}
    on_disk = {str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file()}
    assert on_disk - listed == {"ground_truth.json", "registry/registry.yml"}


def test_every_file_follows_its_contract(demo, contracts, registry):
    landing, truth = demo
    use_case_ids = {u["id"] for u in registry["use_cases"]}
    for name, contract in contracts.items():
        frame = read_source(landing, contract)
        required = {c["name"] for c in contract["columns"] if c.get("required")}
        assert required <= set(frame.columns), name
        failures = int(failing_rows(frame, contract, use_case_ids).sum())
        expected = truth["workflow_events"]["rows_failing_contract"] if name == "workflow_events" else 0
        assert failures == expected, name
    benefits = read_source(landing, contracts["finance_benefits"])
    assert ((benefits["benefit_type"] == "hours_saved") == (benefits["unit"] == "hours")).all()
    roster = read_source(landing, contracts["hr_roster"])
    ended = roster.dropna(subset=["end_date"])
    assert (ended["end_date"].astype(str) >= ended["start_date"].astype(str)).all()


def test_row_counts_and_defects_match_ground_truth(demo, events, contracts, registry):
    landing, truth = demo
    delivered = truth["workflow_events"]
    per_file = events.groupby("_file").size()
    assert per_file.to_dict() == {k: v for k, v in truth["files"].items() if k.startswith("workflow_events/")}
    assert len(events) == delivered["rows_written"]
    classes = delivered["rows_by_class"]
    assert (~events["event_type"].isin(contracts["workflow_events"]["columns"][3]["enum"])).sum() == classes[
        "unknown_event_type"
    ]
    assert (events["use_case_id"] == "UC99").sum() == classes["unknown_use_case"]
    assert events["case_id"].isna().sum() == classes["missing_case_id"]
    parsed = pd.to_datetime(events["event_ts"], format="ISO8601", errors="coerce", utc=True)
    assert parsed.isna().sum() == classes["unparseable_event_ts"]
    assert events.duplicated(["_file", "event_id"]).sum() == classes["duplicate_row_in_file"] == 1
    files_per_event = events.groupby("event_id")["_file"].nunique()
    assert (files_per_event > 1).sum() == classes["redelivered_next_day"] == 20
    use_case_ids = {u["id"] for u in registry["use_cases"]}
    valid = events[~failing_rows(events, contracts["workflow_events"], use_case_ids)]
    assert valid["event_id"].nunique() == delivered["valid_distinct_events"]
    names = [p.name for p in (landing / "workflow_events").rglob("events.*")]
    on_disk = {
        suffix: sum(n.endswith(suffix) for n in names) for suffix in (".csv", ".csv.gz", ".jsonl", ".parquet")
    }
    assert on_disk == {".csv": 540, ".csv.gz": 2, ".jsonl": 2, ".parquet": 2}
    semicolon = [p for p in (landing / "workflow_events").rglob("events.csv") if b";" in p.read_bytes()[:200]]
    assert len(semicolon) == delivered["files_by_format"]["csv_semicolon"] == 2
    extra = read_delivery(landing / delivered["special_files"]["csv_extra_column"][0])
    assert "source_system" in extra.columns
    bom_file = landing / delivered["special_files"]["csv_bom"][0]
    assert bom_file.read_bytes().startswith(b"\xef\xbb\xbfevent_id,")
    for source in ("ai_usage", "hr_roster", "survey_responses", "observations", "finance_cost_rates"):
        frame = read_source(landing, contracts[source])
        assert len(frame) == sum(frame.groupby("_file").size()), source
        assert frame.groupby("_file").size().to_dict() == {
            f: truth["files"][f] for f in frame["_file"].unique()
        }


def test_cases_match_ground_truth(cases, demo):
    _, truth = demo
    assert len(cases) == truth["workflow_events"]["cases"]
    assert cases["resolved_at"].notna().sum() == truth["workflow_events"]["resolved_cases"]
    assert 0 < truth["workflow_events"]["open_cases"] < 100
    assert cases["touchless"].sum() == truth["workflow_events"]["touchless_cases"]
    per_use_case = cases.groupby("use_case_id").size().to_dict()
    assert per_use_case == {uc: entry["cases"] for uc, entry in truth["use_cases"].items()}
    assert cases.loc[cases["use_case_id"] == "UC10", "opened_date"].max() < date(2025, 7, 1)


def test_roster_covers_every_actor_and_user(demo, events, contracts):
    landing, truth = demo
    rosters = sorted((landing / "hr_roster").iterdir())
    assert [r.name for r in rosters] == ["dt=2025-01-01", "dt=2026-06-30"]
    latest = read_delivery(rosters[-1] / "roster.csv")
    humans = set(events.loc[events["actor_type"] == "human", "actor_id"])
    users = set(read_source(landing, contracts["ai_usage"])["user_id"])
    assert humans | users <= set(latest["user_id"])
    assert re.fullmatch(r"cs_amer-a\d{3}", sorted(u for u in humans if u.startswith("cs_amer"))[0])
    assert latest["end_date"].notna().sum() == truth["hr_roster"]["leavers"] > 0
    assert len(latest) > len(read_delivery(rosters[0] / "roster.csv"))
    assert latest["ai_eligible"].eq("true").mean() > 0.7


def test_injected_cycle_time_effects_are_visible(cases, demo):
    _, truth = demo
    for use_case_id in ("UC02", "UC03", "UC04"):
        entry = truth["use_cases"][use_case_id]
        go_live = date.fromisoformat(entry["go_live_date"])
        mine = cases[(cases["use_case_id"] == use_case_id) & cases["resolved_at"].notna()]
        baseline = mine[
            (mine["opened_date"] >= go_live - timedelta(days=90)) & (mine["opened_date"] < go_live)
        ]
        post = mine[mine["opened_date"] >= go_live]
        ratio = post["cycle_hours"].median() / baseline["cycle_hours"].median()
        realised = entry["as_of_end"]
        assert ratio == pytest.approx(realised["median_ratio"], rel=1e-9)
        assert abs(ratio - entry["injected"]["median_multiplier"]) <= realised["median_ratio_tolerance"]
    uc02 = truth["use_cases"]["UC02"]
    assert uc02["injected"]["median_multiplier"] == 0.65
    assert uc02["as_of_end"]["median_ratio_tolerance"] < 0.25
    uc03 = cases[cases["use_case_id"] == "UC03"]
    after = uc03[uc03["opened_date"] >= date(2025, 4, 7)]
    assert after["touchless"].mean() == pytest.approx(0.8, abs=0.05)


def directly_follows(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event with a predecessor in its case (activity = event_type): cases step by
    event_ts, then delivered order; the wait in hours."""
    steps = events.assign(ts=pd.to_datetime(events["event_ts"], format="ISO8601", utc=True))
    steps = steps.sort_values(["case_id", "ts", "_file", "_line"])
    by_case = steps.groupby("case_id")
    steps["from_activity"] = by_case["event_type"].shift()
    steps["wait_hours"] = (steps["ts"] - by_case["ts"].shift()).dt.total_seconds() / 3600.0
    return steps.dropna(subset=["from_activity"]).rename(columns={"event_type": "to_activity"})


def wait_changes(
    edges: pd.DataFrame, cases: pd.DataFrame, go_live: date, min_cases: int = 20
) -> pd.DataFrame:
    """Median wait per transition of the baseline (90 days before go-live) and post cases, largest rise
    first, for the transitions seen in at least ``min_cases`` cases of each window."""
    opened = edges["case_id"].map(cases["opened_date"])
    window = np.select(
        [(opened >= go_live - timedelta(days=90)) & (opened < go_live), opened >= go_live],
        ["baseline", "post"],
        None,
    )
    waits = edges.assign(window=window).dropna(subset=["window"])
    stats = waits.groupby(["from_activity", "to_activity", "window"]).agg(
        size=("wait_hours", "size"), cases=("case_id", "nunique"), median=("wait_hours", "median")
    )
    table = stats.unstack("window")
    judged = table[(table[("cases", "baseline")] >= min_cases) & (table[("cases", "post")] >= min_cases)]
    rise = judged[("median", "post")] - judged[("median", "baseline")]
    return pd.DataFrame(
        {
            "baseline_transitions": judged[("size", "baseline")],
            "post_transitions": judged[("size", "post")],
            "baseline_median_wait_hours": judged[("median", "baseline")],
            "post_median_wait_hours": judged[("median", "post")],
            "wait_rise_hours": rise,
        }
    ).sort_values("wait_rise_hours", ascending=False)


def test_injected_wait_is_in_the_events(latest_events, cases, demo):
    """After UC05's go-live its worked events wait longer after assignment: the transition
    assigned -> worked rises most of the use case's transitions, by the figure the ground truth states,
    while the same transition of a use case without the delay does not rise."""
    _, truth = demo
    (bottleneck,) = truth["process_bottlenecks"]
    use_case_id = bottleneck["use_case_id"]
    assert (use_case_id, bottleneck["from_activity"], bottleneck["to_activity"]) == (
        "UC05",
        "assigned",
        "worked",
    )
    edges = directly_follows(latest_events)
    changes = wait_changes(
        edges[edges["use_case_id"] == use_case_id],
        cases,
        date.fromisoformat(truth["use_cases"][use_case_id]["go_live_date"]),
    )
    top = changes.iloc[0]
    assert top.name == ("assigned", "worked")
    for column in ("baseline_transitions", "post_transitions"):
        assert top[column] == bottleneck[column]
    for column in ("baseline_median_wait_hours", "post_median_wait_hours", "wait_rise_hours"):
        assert top[column] == pytest.approx(bottleneck[column], rel=1e-9), column
    # Without the delay the post wait would shrink with the go-live's 0.85 multiplier; it doubles.
    assert top["post_median_wait_hours"] > 1.5 * top["baseline_median_wait_hours"]
    assert top["wait_rise_hours"] > changes["wait_rise_hours"].iloc[1] + 10
    uc02 = wait_changes(
        edges[edges["use_case_id"] == "UC02"],
        cases,
        date.fromisoformat(truth["use_cases"]["UC02"]["go_live_date"]),
    )
    assert uc02.loc[("assigned", "worked"), "wait_rise_hours"] < 0


def test_value_chain_truth_matches_the_data(cases, demo):
    landing, truth = demo
    vc02 = truth["value_chains"]["VC02"]
    uc07 = cases[(cases["use_case_id"] == "UC07") & cases["resolved_at"].notna()]

    def mean_cycle(teams, first, last):
        cell = uc07[uc07["team"].isin(teams) & (uc07["opened_date"] >= first) & (uc07["opened_date"] <= last)]
        return cell["cycle_hours"].mean()

    control = ["cs_emea", "cs_apac", "cs_latam"]
    pre, post = (date(2025, 8, 4), date(2025, 11, 2)), (date(2025, 11, 3), date(2026, 2, 1))
    did = (mean_cycle(["cs_amer"], *post) - mean_cycle(["cs_amer"], *pre)) - (
        mean_cycle(control, *post) - mean_cycle(control, *pre)
    )
    assert did == pytest.approx(vc02["sample_effect"], rel=1e-9)
    assert abs(vc02["sample_effect"] - vc02["true_effect"]) <= vc02["tolerance"]
    # 12 h base x 0.8 go-live x 0.975 priority mix x E[X] x 0.95 trend x (0.8 - 1) treatment effect.
    mean_x = np.exp(0.7**2 / 2) * 1.02 + 0.02 * np.exp(np.log(2) + 0.5**2 / 2)
    assert vc02["true_effect"] == pytest.approx(12 * 0.8 * 0.975 * mean_x * 0.95 * (0.8 - 1), rel=1e-12)

    observed = pd.concat(read_delivery(p) for p in sorted((landing / "observations").rglob("*.csv")))
    observed["value"] = observed["value"].astype(float)
    ab = observed[observed["value_chain_id"] == "VC01"].groupby("group")["value"].mean()
    vc01 = truth["value_chains"]["VC01"]
    assert ab["treatment"] - ab["control"] == pytest.approx(vc01["sample_difference"], rel=1e-9)
    assert abs(vc01["sample_difference"] - vc01["true_difference"]) <= vc01["tolerance"]
    panel = observed[observed["value_chain_id"] == "VC04"].pivot(index=["unit_id", "group"], columns="period")
    change = (panel[("value", "post")] - panel[("value", "pre")]).groupby(level="group").mean()
    vc04 = truth["value_chains"]["VC04"]
    assert change["treatment"] - change["control"] == pytest.approx(vc04["sample_did"], rel=1e-9)
    assert abs(vc04["sample_did"] - vc04["true_did"]) <= vc04["tolerance"]

    # The no-control designs: every unit observed every month, one treated site with donors, one series.
    vc05 = observed[observed["value_chain_id"] == "VC05"]
    assert (
        vc05.groupby("unit_id").size().nunique() == 1 and len(vc05) == truth["value_chains"]["VC05"]["rows"]
    )
    assert (vc05.groupby("unit_id")["group"].first() == "control").sum() == 30
    vc06 = observed[observed["value_chain_id"] == "VC06"]
    assert (vc06.groupby("unit_id")["group"].first() == "treatment").sum() == 1
    vc07 = truth["value_chains"]["VC07"]
    assert (vc07["pre_periods"], vc07["post_periods"]) == (36, 12)
    assert vc07["true_effect"] == pytest.approx(-3.0 - 0.2 * 5.5)


def test_survey_and_adoption_truth(demo, contracts):
    landing, truth = demo
    survey = read_source(landing, contracts["survey_responses"])
    confidence = survey[survey["question_id"] == "q_ai_confidence"].astype({"score": float})
    confidence["normalised"] = (confidence["score"] - 1) / 4
    means = confidence.groupby("wave_date")["normalised"].mean()
    assert list(means.index) == ["2025-03-17", "2026-03-16"]
    lift = means.iloc[1] / means.iloc[0] - 1
    assert lift == pytest.approx(
        truth["survey_responses"]["realised"]["portfolio"]["portfolio"]["lift"], rel=1e-9
    )
    assert lift == pytest.approx(0.12, abs=0.03)
    respondents = confidence.groupby(["team", "wave_date"])["respondent_id"].nunique()
    assert (respondents.loc["it_ops"] < 5).all()
    assert (respondents.drop(index="it_ops") >= 5).all()

    usage = read_source(landing, contracts["ai_usage"])
    roster = read_delivery(landing / "hr_roster" / "dt=2026-06-30" / "roster.csv")
    day = pd.Timestamp("2025-09-01")
    used = pd.to_datetime(usage["event_ts"], format="ISO8601").dt.tz_localize(None).dt.normalize()
    active = set(usage.loc[(used >= day - pd.Timedelta(days=27)) & (used <= day), "user_id"])
    end = pd.to_datetime(roster["end_date"])
    eligible = roster[
        roster["ai_eligible"].eq("true")
        & (pd.to_datetime(roster["start_date"]) <= day)
        & (end.isna() | (end >= day))
    ]
    share = eligible["user_id"].isin(active).mean()
    kpi = truth["ai_usage"]["adoption_kpi"]["2025-09-01"]
    assert share == pytest.approx(kpi["value"], rel=1e-12)
    assert abs(share - truth["ai_usage"]["injected"]["expected_adoption_six_months_after_rollout"]) <= 0.15


def test_finance_value_tracked_recomputed_from_files(demo, contracts):
    landing, truth = demo
    benefits = read_source(landing, contracts["finance_benefits"])
    assert len(benefits) == truth["finance"]["benefit_rows"]
    benefits["month"] = pd.to_datetime(benefits["period_month"])
    assert set(benefits.loc[benefits["status"] == "estimated", "month"].dt.strftime("%Y-%m")) == {
        "2026-04", "2026-05", "2026-06",
    }  # fmt: skip
    assert benefits.groupby("use_case_id")["month"].min()["UC08"] == pd.Timestamp("2026-03-01")
    fx = read_source(landing, contracts["finance_fx_rates"]).astype({"rate_to_reporting": float})
    rates = read_source(landing, contracts["finance_cost_rates"]).astype({"hourly_cost": float})
    assert set(rates["currency"]) == {"USD", "EUR"} and len(rates) == 16
    fx_lookup = {(r.currency, r.rate_date): r.rate_to_reporting for r in fx.itertuples()}
    primary = {"UC01": "fin_ap", "UC02": "cs_amer", "UC03": "it_servicedesk", "UC06": "it_ops"}
    total = 0.0
    for row in benefits.itertuples():
        month = row.month.strftime("%Y-%m-%d")
        amount = float(row.amount)
        if row.unit == "hours":
            team_rates = rates[(rates["team"] == primary[row.use_case_id]) & (rates["valid_from"] <= month)]
            rate = team_rates.sort_values("valid_from").iloc[-1]
            amount *= rate["hourly_cost"] * fx_lookup.get((rate["currency"], month), 1.0)
        else:
            amount *= fx_lookup.get((row.unit, month), 1.0)
        total += amount
    assert total == pytest.approx(truth["finance"]["value_tracked_total"], rel=1e-9)
    costs = read_source(landing, contracts["finance_action_costs"])
    assert set(costs["value_chain_id"].dropna()) == {f"VC{i:02d}" for i in range(1, 12)}
    assert {"USD", "EUR"} <= set(costs["currency"])


def test_arguments_are_checked(tmp_path, demo):
    landing, _ = demo
    with pytest.raises(ValueError, match="not empty"):
        generate(landing)
    with pytest.raises(ValueError, match="unknown size"):
        generate(tmp_path / "x", size="huge")
    small = generate(tmp_path / "explicit", events=3000, seed=3)
    assert 2500 <= small["workflow_events"]["valid_distinct_events"] <= 3500
    assert small["generator"]["size"] is None and small["generator"]["events_requested"] == 3000


def test_event_rows_do_not_depend_on_how_they_are_sliced():
    """The writer builds each day's rows alone (the largest sizes never hold every row as text): any
    slice must equal the same rows of the whole table."""
    start, n_days = date(2025, 1, 1), 150
    registry = read_registry(DEFAULT_REGISTRY)
    rng = np.random.default_rng(3)
    portfolio = workflow.Portfolio.from_registry(registry, start)
    roster = people.build_roster(rng, dict.fromkeys(portfolio.teams, 8), n_days)
    cases, offsets, delivered = workflow.generate_cases(
        rng, portfolio, workflow.chain_shifts(registry, portfolio, start), roster, start, n_days, 3000
    )
    names = roster.user_ids + [f"bot-{u}" for u in portfolio.use_case_ids]
    names += [f"assist-{u}" for u in portfolio.use_case_ids]
    events = workflow.build_events(cases, offsets, delivered, portfolio, names, start)
    whole = events.table(0, events.num_rows)
    bounds = events.day_bounds(n_days)
    for first, last in ((bounds[40], bounds[41]), (bounds[10] + 7, bounds[90] - 3), (5, 5)):
        assert events.table(first, last).equals(whole.slice(first, last - first))
    day_40 = whole.slice(bounds[40], bounds[41] - bounds[40]).column("event_ts").to_pylist()
    assert day_40 and all(ts.startswith(f"{start + timedelta(days=40)}T") for ts in day_40)
