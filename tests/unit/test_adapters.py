"""Source adapters on the real exports of ../shared/realdata and on small hand-made files.

Counts are checked against the figures published with the data (PROVENANCE.md); the ServiceNow SLA
share and resolution times are recomputed from the raw export with pandas and must come back
unchanged through the adapter, the landing files and the docs' case rules (tests/reference).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.reference.kpis import build_cases, parse_registry
from tests.reference.landing_reader import read_landing_rows
from value_pipeline.adapters import (
    AdapterConfigError,
    adapt_csv,
    adapt_servicenow,
    adapt_source,
    adapt_xes,
    load_source_configs,
    parse_servicenow_timestamps,
    run_adapter,
    write_workflow_events,
)

PROJECT = Path(__file__).resolve().parents[2]
REALDATA = PROJECT.parent / "shared" / "realdata"
CONFIG = PROJECT / "assets" / "registry" / "realdata_sources.yml"
SERVICENOW = REALDATA / "servicenow_incidents" / "incident_event_log.csv.gz"
EVENT_TYPES = {"opened", "assigned", "worked", "automated_step", "resolved", "closed", "reopened"}
PRIORITIES = {"1 - Critical": "P1", "2 - High": "P2", "3 - Moderate": "P3", "4 - Low": "P4"}

needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="shared real data not available")


@pytest.fixture(scope="module")
def sources() -> dict[str, dict]:
    return {s["id"]: s for s in load_source_configs(CONFIG)}


@pytest.fixture(scope="module")
def adapted(sources):
    """Adapt each configured source once per module: id -> (events, stats)."""
    cache: dict[str, tuple[pd.DataFrame, dict]] = {}

    def get(source_id: str) -> tuple[pd.DataFrame, dict]:
        if source_id not in cache:
            cache[source_id] = adapt_source(sources[source_id], REALDATA)
        return cache[source_id]

    return get


def _count_in_text(path: Path, needle: str) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return sum(line.count(needle) for line in f)


def _assert_contract_shape(events: pd.DataFrame) -> None:
    assert list(events.columns[:9]) == [
        "event_id",
        "case_id",
        "use_case_id",
        "event_type",
        "event_ts",
        "actor_type",
        "actor_id",
        "team",
        "priority",
    ]
    assert events["event_id"].is_unique
    assert set(events["event_type"]) <= EVENT_TYPES
    assert set(events["actor_type"]) <= {"human", "automation", "ai_assist"}
    assert events["event_ts"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z").all()
    assert (
        events[["event_id", "case_id", "use_case_id", "event_type", "event_ts", "actor_type"]]
        .notna()
        .all()
        .all()
    )


# --- configuration ---------------------------------------------------------------------------------


@needs_realdata
def test_config_names_real_files_and_known_adapters(sources):
    assert set(sources) == {
        "servicenow_incidents",
        "helpdesk_tickets",
        "bpic2012_loans",
        "bpic2013_incidents",
    }
    for source in sources.values():
        assert (REALDATA / source["path"]).is_file(), source["path"]


def test_unknown_adapter_is_a_config_error(tmp_path):
    config = tmp_path / "sources.yml"
    config.write_text("sources:\n  - {id: s1, adapter: jira, path: x.csv, use_case_id: UC01}\n")
    with pytest.raises(AdapterConfigError, match=r"'s1'.*unknown adapter 'jira'"):
        load_source_configs(config)


def test_unknown_option_and_duplicate_id_are_config_errors(tmp_path):
    config = tmp_path / "sources.yml"
    config.write_text(
        "sources:\n  - {id: s1, adapter: xes, path: x.xes, use_case_id: U, options: {colour: red}}\n"
    )
    with pytest.raises(AdapterConfigError, match=r"no option\(s\) \['colour'\]"):
        load_source_configs(config)
    config.write_text(
        "sources:\n"
        "  - {id: s1, adapter: xes, path: a.xes, use_case_id: U}\n"
        "  - {id: s1, adapter: xes, path: b.xes, use_case_id: U}\n"
    )
    with pytest.raises(AdapterConfigError, match="duplicate id"):
        load_source_configs(config)


def test_unknown_time_zone_is_a_config_error(tmp_path):
    with pytest.raises(AdapterConfigError, match="unknown time_zone 'Mars/Base'"):
        run_adapter(
            {"id": "s1", "adapter": "xes", "path": "x.xes", "use_case_id": "U", "time_zone": "Mars/Base"},
            tmp_path,
            tmp_path,
        )


def test_missing_mapped_column_names_file_and_column(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("Ticket,When,State\nT1,2024-01-01T10:00:00Z,New\n")
    with pytest.raises(
        AdapterConfigError, match=r"log\.csv: column 'Owner' \(mapped to actor_id\) not found"
    ):
        adapt_csv(
            path,
            use_case_id="U",
            columns={"case_id": "Ticket", "event_ts": "When", "actor_id": "Owner"},
            event_type_columns=["State"],
        )


def test_servicenow_export_missing_a_column_names_it(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("number,opened_at\nINC1,1/2/2016 10:00\n")
    with pytest.raises(AdapterConfigError, match=r"incidents\.csv: column 'incident_state'"):
        adapt_servicenow(path, use_case_id="U", priority_map=PRIORITIES)


def test_event_type_map_values_must_be_contract_types(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("Ticket,When,State\nT1,2024-01-01T10:00:00Z,New\n")
    with pytest.raises(AdapterConfigError, match="'Done' maps to 'finished'"):
        adapt_csv(
            path,
            use_case_id="U",
            columns={"case_id": "Ticket", "event_ts": "When"},
            event_type_columns=["State"],
            event_type_map={"Done": "finished"},
        )


# --- ServiceNow date parser and priority ------------------------------------------------------------


def test_servicenow_dates_are_day_first_and_question_mark_is_missing():
    values = pd.Series(["29/2/2016 01:16", "5/3/2016 12:00", "?", "", "31/2/2016 10:00", "2016-03-05 12:00"])
    ts, unreadable = parse_servicenow_timestamps(values)
    assert ts[0] == pd.Timestamp("2016-02-29 01:16", tz="UTC")
    assert ts[1] == pd.Timestamp("2016-03-05 12:00", tz="UTC")  # 5 March, not 3 May
    assert ts[2:].isna().all()
    assert unreadable.tolist() == [False, False, False, False, True, True]


def test_servicenow_dates_read_in_the_source_time_zone():
    # Lisbon: WEST (+01:00) on 1 July; 27 March 2016 01:30 does not exist (clocks 01:00 -> 02:00).
    ts, unreadable = parse_servicenow_timestamps(
        pd.Series(["1/7/2016 10:00", "1/1/2016 10:00", "27/3/2016 01:30"]), "Europe/Lisbon"
    )
    assert ts[0] == pd.Timestamp("2016-07-01 09:00", tz="UTC")
    assert ts[1] == pd.Timestamp("2016-01-01 10:00", tz="UTC")
    assert pd.isna(ts[2]) and unreadable.tolist() == [False, False, True]


SMALL_EXPORT_HEADER = (
    "number,incident_state,sys_mod_count,made_sla,opened_at,opened_by,sys_updated_at,sys_updated_by,"
    "resolved_at,resolved_by,closed_at,priority,assignment_group\n"
)


def test_servicenow_priority_map_and_events_on_a_small_export(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(
        SMALL_EXPORT_HEADER
        + "INC1,New,0,true,1/2/2016 10:00,Opened by 1,1/2/2016 10:05,Updated by 2,?,?,"
        + "3/2/2016 09:00,1 - Critical,?\n"
        + "INC1,Closed,1,false,1/2/2016 10:00,Opened by 1,3/2/2016 09:00,Updated by 908,?,?,"
        + "3/2/2016 09:00,2 - High,Group 7\n"
        + "INC2,Resolved,0,true,2/2/2016 08:00,Opened by 1,2/2/2016 09:30,Updated by 3,2/2/2016 09:30,"
        + "Resolved by 3,?,4 - Low,Group 1\n"
        + ",New,0,true,1/2/2016 10:00,Opened by 1,1/2/2016 10:05,Updated by 2,?,?,?,3 - Moderate,?\n"
    )
    events, stats = adapt_servicenow(
        path, use_case_id="U", priority_map=PRIORITIES, actor_types={"Updated by 908": "automation"}
    )
    _assert_contract_shape(events)
    by_id = events.set_index("event_id")
    assert by_id.loc["INC1:opened", "priority"] == "P1"  # priority when opened
    assert pd.isna(by_id.loc["INC1:opened", "team"])
    assert by_id.loc["INC1:closed", ["priority", "team", "made_sla"]].tolist() == ["P2", "Group 7", "false"]
    assert by_id.loc["INC1:closed", ["actor_id", "actor_type"]].tolist() == ["Updated by 908", "automation"]
    assert by_id.loc["INC2:resolved", ["event_ts", "priority", "made_sla"]].tolist() == [
        "2016-02-02T09:30:00Z",
        "P4",
        "true",
    ]
    assert "INC1:resolved" not in by_id.index and "INC2:closed" not in by_id.index
    assert stats["rows_dropped"] == {"no incident number": 1}
    assert stats["events"] == 3 + 2 + 1 + 1  # updates + opened + resolved + closed
    # Events of an incident at the same minute keep the source order: an update before the resolution
    # or closure it records (an event_id sort put INC2:resolved before INC2:update:1).
    assert events["event_id"].tolist() == [
        "INC1:opened",
        "INC1:update:1",
        "INC2:opened",
        "INC2:update:1",
        "INC2:resolved",
        "INC1:update:2",
        "INC1:closed",
    ]

    path.write_text(path.read_text().replace("4 - Low", "5 - Planning"))
    with pytest.raises(
        AdapterConfigError, match=r"priority_map: no mapping for value\(s\) \['5 - Planning'\]"
    ):
        adapt_servicenow(path, use_case_id="U", priority_map=PRIORITIES)


# --- sequence rules on a small XES log ---------------------------------------------------------------

SMALL_XES = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <trace><string key="concept:name" value="A"/>
    <event><string key="concept:name" value="Insert"/><string key="org:resource" value="bot"/>
      <date key="time:timestamp" value="2020-01-01T10:00:00+02:00"/></event>
    <event><string key="concept:name" value="Fix"/><string key="org:resource" value="ann"/>
      <date key="time:timestamp" value="2020-01-01T12:00:00.250+02:00"/></event>
    <event><string key="concept:name" value="Resolve"/><string key="org:resource" value="ann"/>
      <date key="time:timestamp" value="2020-01-02T09:00:00+00:00"/></event>
    <event><string key="concept:name" value="Fix"/><string key="org:resource" value="bot"/>
      <date key="time:timestamp" value="2020-01-03T09:00:00Z"/></event>
    <event><string key="concept:name" value="Fix"/>
      <date key="time:timestamp" value="2020-01-03T10:00:00Z"/></event>
    <event><string key="concept:name" value="Fix"/></event>
  </trace>
  <trace><event><string key="concept:name" value="Insert"/>
    <date key="time:timestamp" value="2020-01-01T10:00:00Z"/></event></trace>
</log>
"""


def test_xes_rules_ids_and_drops(tmp_path):
    path = tmp_path / "small.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(SMALL_XES)
    events, stats = adapt_xes(
        path,
        use_case_id="U",
        activity_map={"Resolve": "resolved"},
        actor_types={"bot": "automation"},
        reopen_after_resolution=True,
    )
    _assert_contract_shape(events)
    assert events[["event_id", "event_type", "event_ts", "actor_type"]].values.tolist() == [
        ["A:1", "opened", "2020-01-01T08:00:00Z", "automation"],
        ["A:2", "worked", "2020-01-01T10:00:00.250000Z", "human"],
        ["A:3", "resolved", "2020-01-02T09:00:00Z", "human"],
        ["A:4", "reopened", "2020-01-03T09:00:00Z", "automation"],
        ["A:5", "worked", "2020-01-03T10:00:00Z", "human"],
    ]
    assert stats["rows_read"] == 7
    assert stats["rows_dropped"] == {"trace without concept:name": 1, "missing time:timestamp": 1}
    assert stats["events_without_resource"] == 1


def test_xes_without_an_activity_map_keeps_every_activity(tmp_path):
    """No activity_map (the default of `value-pipeline adapt xes`): every event is worked except the
    first of a trace, and the activity column keeps each event's concept:name (an empty map once
    failed with a pyarrow type error)."""
    path = tmp_path / "small.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(SMALL_XES)
    events, _ = adapt_xes(path, use_case_id="U", automation_event_type=None)
    assert events[["event_id", "event_type", "activity"]].values.tolist() == [
        ["A:1", "opened", "Insert"],
        ["A:2", "worked", "Fix"],
        ["A:3", "worked", "Resolve"],
        ["A:4", "worked", "Fix"],
        ["A:5", "worked", "Fix"],
    ]


def test_xes_events_sharing_a_timestamp_are_written_in_file_order(tmp_path):
    """The warehouse orders a case's tied events by their line in the landing file, so the adapter must
    write them in the trace's order: an event_id sort put ``T:10`` before ``T:2``."""
    steps = [f"step {n:02d}" for n in range(1, 13)]
    events_xml = "".join(
        f'<event><string key="concept:name" value="{step}"/>'
        '<date key="time:timestamp" value="2020-01-01T10:00:00Z"/></event>'
        for step in steps
    )
    path = tmp_path / "tied.xes"
    path.write_text(
        '<log xmlns="http://www.xes-standard.org/"><trace><string key="concept:name" value="T"/>'
        f"{events_xml}</trace></log>"
    )
    events, _ = adapt_xes(path, use_case_id="U")
    assert events["activity"].tolist() == steps
    assert events["event_id"].tolist() == [f"T:{n}" for n in range(1, 13)]
    assert "_order" not in events.columns


# --- real logs: published counts ---------------------------------------------------------------------


@needs_realdata
def test_helpdesk_reproduces_published_counts(adapted, sources):
    events, stats = adapted("helpdesk_tickets")
    _assert_contract_shape(events)
    assert (stats["rows_read"], stats["events"], stats["cases"]) == (21_348, 21_348, 4_580)
    assert stats["rows_dropped"] == {}
    path = REALDATA / sources["helpdesk_tickets"]["path"]
    assert (events["activity"] == "Resolve ticket").sum() == _count_in_text(path, 'value="Resolve ticket"')
    # Resolutions and closures keep their configured types through the sequence rules.
    assert stats["event_types"]["resolved"] == _count_in_text(path, 'value="Resolve ticket"') == 4_983
    assert stats["event_types"]["closed"] == 4_574


@needs_realdata
def test_bpic2012_reproduces_published_counts_and_automation(adapted):
    events, stats = adapted("bpic2012_loans")
    _assert_contract_shape(events)
    assert (stats["rows_read"], stats["events"], stats["cases"]) == (262_200, 262_200, 13_087)
    assert stats["actor_types"]["automation"] == 45_687
    assert set(events.loc[events["actor_type"] == "automation", "actor_id"]) == {"112"}
    opened = events[events["event_type"] == "opened"]
    assert len(opened) == 13_087 and set(opened["activity"]) == {"A_SUBMITTED"}
    assert events.loc[events["event_id"] == "173688:1", "event_ts"].item() == "2011-09-30T22:38:44.546000Z"


@needs_realdata
def test_bpic2013_reproduces_published_counts(adapted):
    events, stats = adapted("bpic2013_incidents")
    _assert_contract_shape(events)
    assert (stats["rows_read"], stats["events"], stats["cases"]) == (65_533, 65_533, 7_554)
    assert stats["rows_dropped"] == {}
    first = events.set_index("event_id").loc["1-364285768:1"]
    # 2010-03-31T15:59:42+01:00 in the file, Impact Medium.
    assert first[["event_ts", "priority", "team", "event_type"]].tolist() == [
        "2010-03-31T14:59:42Z",
        "P3",
        "V30",
        "opened",
    ]


# --- ServiceNow: counts, SLA flag and resolution time reconcile with the raw export -----------------


@pytest.fixture(scope="module")
def servicenow_truth() -> pd.DataFrame:
    """Per incident, straight from the raw export: opened/resolved/closed times and the SLA flag of
    the latest update (highest sys_mod_count)."""
    raw = pd.read_csv(SERVICENOW, dtype=str, keep_default_na=False)
    raw["mod"] = raw["sys_mod_count"].astype(int)
    latest = raw.sort_values(["number", "mod"], kind="stable").groupby("number").last()

    def when(column: str) -> pd.Series:
        return pd.to_datetime(latest[column].mask(latest[column] == "?"), format="%d/%m/%Y %H:%M")

    truth = pd.DataFrame(
        {"opened": when("opened_at"), "resolved": when("resolved_at"), "closed": when("closed_at")}
    )
    truth["made_sla"] = latest["made_sla"] == "true"
    truth["rows"] = raw.groupby("number").size()
    return truth


@needs_realdata
def test_servicenow_counts(adapted, servicenow_truth):
    events, stats = adapted("servicenow_incidents")
    _assert_contract_shape(events)
    truth = servicenow_truth
    assert len(truth) == stats["cases"] == 20_769
    assert truth["rows"].sum() == stats["rows_read"] == 119_998
    assert stats["rows_dropped"] == {}
    # Events: one worked per update row, one opened per incident, resolved and closed when present.
    assert stats["event_types"] == {
        "opened": 20_769,
        "worked": 119_998,
        "resolved": int(truth["resolved"].notna().sum()),
        "closed": int(truth["closed"].notna().sum()),
    }
    assert stats["events"] == 119_998 + 20_769 + 19_351 + 20_769 == 180_887
    assert stats["incidents_without_resolved_at"] == 1_418


@needs_realdata
def test_servicenow_sla_flag_and_resolution_time_survive_the_landing(
    sources, adapted, servicenow_truth, tmp_path
):
    truth = servicenow_truth
    resolved = truth[truth["resolved"].notna()]
    sla_share = resolved["made_sla"].mean()
    cycle = (resolved["resolved"] - resolved["opened"]).dt.total_seconds() / 3600.0
    # Incidents without resolved_at are resolved at closure under the docs' case rules.
    any_cycle = (truth["resolved"].fillna(truth["closed"]) - truth["opened"]).dt.total_seconds() / 3600.0

    events, _ = adapted("servicenow_incidents")
    assert write_workflow_events(events, tmp_path, "servicenow_incidents")["rows"] == 180_887
    registry = {
        "use_cases": [{"id": sources["servicenow_incidents"]["use_case_id"]}],
        "source_time_zone": "UTC",
    }
    rows = read_landing_rows(tmp_path, "workflow_events", registry)
    assert rows["reject_reason"].isna().all()
    assert len(rows) == 180_887
    assert (rows["_partition_date"] == rows["event_ts"].dt.normalize()).all()

    # The reference reader keeps contract columns only; the SLA flag is an extra column of the files.
    all_landed = pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in sorted((tmp_path / "workflow_events").glob("dt=*/servicenow_incidents.csv"))
    )
    flags = all_landed[all_landed["event_type"] == "resolved"].set_index("case_id")["made_sla"]
    assert flags.index.sort_values().equals(resolved.index.sort_values())
    assert (flags == "true").mean() == sla_share

    cases = build_cases(rows, parse_registry(registry), rows["event_ts"].max()).set_index("case_id")
    landed_cycle = cases.loc[resolved.index, "cycle_hours"]
    assert landed_cycle.median() == cycle.median()
    assert (landed_cycle == cycle).all()
    assert cases["cycle_hours"].sort_index().equals(any_cycle.sort_index().rename("cycle_hours"))
    print(f"ServiceNow: SLA share {sla_share:.6f} of {len(resolved)}, median {cycle.median()} h")


@needs_realdata
def test_run_adapter_lands_a_configured_source(sources, tmp_path):
    stats = run_adapter(sources["helpdesk_tickets"], REALDATA, tmp_path)
    files = sorted((tmp_path / "workflow_events").glob("dt=*/helpdesk_tickets.csv"))
    pattern = tmp_path / "workflow_events" / "dt=*" / "helpdesk_tickets.csv"
    landed = duckdb.sql(
        "SELECT * EXCLUDE (dt), CAST(dt AS VARCHAR) AS dt "
        f"FROM read_csv('{pattern}', all_varchar = true, hive_partitioning = true)"
    ).df()
    assert (stats["source_id"], stats["events"], stats["written"]["files"]) == (
        "helpdesk_tickets",
        21_348,
        len(files),
    )
    assert len(landed) == 21_348 and landed["case_id"].nunique() == 4_580
    assert (landed["event_ts"].str.slice(0, 10) == landed["dt"]).all()
    assert set(landed["use_case_id"]) == {sources["helpdesk_tickets"]["use_case_id"]}


# --- writer -------------------------------------------------------------------------------------------


def test_writer_partitions_by_utc_date_and_removes_stale_files(tmp_path):
    events = pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3"],
            "case_id": ["c1", "c1", "c2"],
            "use_case_id": "U",
            "event_type": ["opened", "closed", "opened"],
            "event_ts": ["2024-01-01T23:59:59Z", "2024-01-02T00:00:00Z", "2024-01-02T10:00:00.5Z"],
            "actor_type": "human",
            "actor_id": [None, "a", "b"],
            "team": None,
            "priority": "P2",
            "note": ["x", None, "z"],
        }
    )
    summary = write_workflow_events(events, tmp_path, "src")
    folder = tmp_path / "workflow_events"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "dt=2024-01-01/src.csv",
        "dt=2024-01-02/src.csv",
    ]
    day2 = pd.read_csv(folder / "dt=2024-01-02" / "src.csv", dtype=str)
    assert day2["event_id"].tolist() == ["e2", "e3"] and day2.columns[-1] == "note"
    assert (summary["files"], summary["rows"], summary["first_date"], summary["last_date"]) == (
        2,
        3,
        "2024-01-01",
        "2024-01-02",
    )

    summary = write_workflow_events(events.iloc[2:], tmp_path, "src")
    assert summary["stale_files_removed"] == 1
    assert not (folder / "dt=2024-01-01" / "src.csv").exists()

    with pytest.raises(ValueError, match="not ISO 8601 UTC"):
        write_workflow_events(events.assign(event_ts="2024-01-02T10:00:00+01:00"), tmp_path, "src")
