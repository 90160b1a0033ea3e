"""Landing loaders on small hand-made deliveries: formats, row validation, file-level errors."""

import gzip
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from value_pipeline.contracts import load_contracts
from value_pipeline.landing import LandingError, load_source, write_registry
from value_pipeline.landing.discovery import discover
from value_pipeline.landing.loader import batches
from value_pipeline.registry import load_registry

HEADER = "event_id,case_id,use_case_id,event_type,event_ts,actor_type,actor_id,team,priority"
GOOD = [
    "e1,c1,UC02,opened,2025-05-01T08:00:00Z,human,a1,cs_amer,P2",
    "e2,c1,UC02,resolved,2025-05-01T10:30:00+02:00,human,a1,cs_amer,P2",
]


def deliver(landing: Path, day: str, name: str, text: str, *, encoding: str = "utf-8") -> Path:
    folder = landing / "workflow_events" / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    data = text.encode(encoding)
    if name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def load_events(con, landing, **kwargs):
    return load_source(con, landing, load_contracts()["workflow_events"], **kwargs)


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_csv_with_bom_semicolons_and_odd_header_case(con, landing):
    header = (
        "\ufeffEvent_ID; case_id ;USE_CASE_ID;event_type;event_ts;actor_type;actor_id;team;priority;"
        "source_system"
    )
    body = "\n".join(line.replace(",", ";") + ";crm" for line in GOOD)
    deliver(landing, "2025-05-01", "events.csv", f"{header}\n{body}\n")
    result = load_events(con, landing)
    assert (result.landed, result.accepted, result.quarantined) == (2, 2, 0)
    got = rows(
        con, "select event_id, event_ts, extra, _source_line from raw.workflow_events order by event_id"
    )
    assert got[0][0] == "e1" and str(got[0][1]) == "2025-05-01 08:00:00"
    assert str(got[1][1]) == "2025-05-01 08:30:00", "an explicit +02:00 offset is converted to UTC"
    assert got[0][2] == '{"source_system":"crm"}', "extra columns are kept as JSON, not rejected"
    assert [g[3] for g in got] == [2, 3]


def test_gzip_jsonl_parquet_and_line_numbers(con, landing, tmp_path):
    deliver(landing, "2025-05-01", "a.csv.gz", HEADER + "\n" + "\n".join(GOOD) + "\n")
    deliver(
        landing,
        "2025-05-02",
        "b.jsonl",
        '{"event_id":"e3","case_id":"c3","use_case_id":"UC03","event_type":"opened",'
        '"event_ts":"2025-05-02 09:00:00","actor_type":"automation"}\n',
    )
    frame = pd.DataFrame([dict(zip(HEADER.split(","), GOOD[0].replace("e1", "e4").split(","), strict=True))])
    folder = landing / "workflow_events" / "dt=2025-05-03"
    folder.mkdir(parents=True)
    frame.to_parquet(folder / "c.parquet")
    result = load_events(con, landing)
    assert (result.landed, result.accepted, result.quarantined) == (4, 4, 0)
    lines = dict(rows(con, "select event_id, _source_line from raw.workflow_events"))
    assert lines == {"e1": 2, "e2": 3, "e3": 1, "e4": 1}


def test_bad_rows_go_to_quarantine_with_file_line_column_and_reason(con, landing):
    bad = [
        "e3,c3,UC99,opened,2025-05-01T09:00:00Z,human,a1,cs_amer,P2",  # unknown use case
        "e4,c4,UC02,escalated,2025-05-01T09:00:00Z,human,a1,cs_amer,P2",  # unknown enum
        "e5,,UC02,opened,2025-05-01T09:00:00Z,human,a1,cs_amer,P2",  # missing required value
        "e6,c6,UC02,opened,yesterday,human,a1,cs_amer,P2",  # bad type
        "e7,c7,UC02,opened,2999-01-01T00:00:00Z,human,a1,cs_amer,P2",  # future
        GOOD[0],  # duplicate event_id within the delivery
    ]
    deliver(landing, "2025-05-01", "events.csv", HEADER + "\n" + "\n".join(GOOD + bad) + "\n")
    result = load_events(con, landing)
    assert (result.landed, result.accepted, result.quarantined) == (8, 2, 6)
    got = rows(con, "select source_line, column_name, reason from raw.quarantine order by source_line")
    assert [(line, column) for line, column, _ in got] == [
        (4, "use_case_id"),
        (5, "event_type"),
        (6, "case_id"),
        (7, "event_ts"),
        (8, "event_ts"),
        (9, "event_id"),
    ]
    reasons = [r for _, _, r in got]
    assert (
        "unknown id" in reasons[0] and "not one of" in reasons[1] and "required value missing" in reasons[2]
    )
    assert (
        "not a valid timestamp" in reasons[3]
        and "in the future" in reasons[4]
        and "duplicate key" in reasons[5]
    )
    audit = rows(con, "select landed_rows, accepted_rows, quarantined_rows from raw.load_audit")
    assert audit == [(8, 2, 6)]
    records = [json.loads(r) for (r,) in rows(con, "select record from raw.quarantine order by source_line")]
    delivered = dict(zip(HEADER.split(","), bad[3].split(","), strict=True))
    # Contract columns the file does not have are recorded as null.
    delivered |= {
        c.name: None for c in load_contracts()["workflow_events"].columns if c.name not in delivered
    }
    assert records[3] == delivered, "the row as delivered"
    assert records[2]["case_id"] is None and records[5]["event_id"] == "e1"


def test_reloading_a_partition_replaces_it(con, landing):
    deliver(landing, "2025-05-01", "events.csv", HEADER + "\n" + "\n".join(GOOD) + "\n")
    load_events(con, landing)
    load_events(con, landing)
    assert rows(con, "select count(*) from raw.workflow_events") == [(2,)]
    deliver(landing, "2025-05-01", "events.csv", HEADER + "\n" + GOOD[0] + "\n")
    load_events(con, landing)
    assert rows(con, "select count(*) from raw.workflow_events") == [(1,)]


def test_only_requested_partitions_are_loaded(con, landing):
    from datetime import date

    deliver(landing, "2025-05-01", "events.csv", HEADER + "\n" + GOOD[0] + "\n")
    deliver(landing, "2025-05-02", "events.csv", HEADER + "\n" + GOOD[1] + "\n")
    result = load_events(con, landing, partitions={date(2025, 5, 2)})
    assert result.partitions == [date(2025, 5, 2)]
    assert rows(con, "select event_id from raw.workflow_events") == [("e2",)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("events.csv", "event_id,case_id\n1,2\n", "missing required column(s) use_case_id"),
        ("events.csv", "", "the file is empty"),
        ("events.csv", HEADER.replace(",", "\t") + "\n", "is the delimiter a comma or semicolon"),
    ],
)
def test_file_level_errors_name_the_file_and_keep_loaded_data(con, landing, name, content, message):
    deliver(landing, "2025-05-01", "good.csv", HEADER + "\n" + "\n".join(GOOD) + "\n")
    load_events(con, landing)
    deliver(landing, "2025-05-02", name, content)
    with pytest.raises(LandingError, match="dt=2025-05-02") as error:
        load_events(con, landing)
    assert message in str(error.value)
    assert rows(con, "select count(*) from raw.workflow_events") == [(2,)]


def raw_state(con) -> dict[str, list]:
    return {
        table: rows(con, f"select * exclude (_batch_id, _loaded_at) from raw.{table} order by all")
        for table in ("workflow_events", "quarantine", "load_audit")
    }


def test_batches_hold_whole_partitions(landing):
    for day, names in {
        "2025-05-01": ["a.csv", "b.csv"],
        "2025-05-02": ["a.csv"],
        "2025-05-03": ["a.csv"],
    }.items():
        for name in names:
            deliver(landing, day, name, HEADER + "\n" + "\n".join(GOOD) + "\n")
    files, _ = discover(landing, load_contracts()["workflow_events"])
    one_file = files[0].path.stat().st_size
    days = [[str(f.partition_date)[-2:] for f in group] for group in batches(files, batch_bytes=one_file + 1)]
    assert days == [["01", "01"], ["02", "03"]], "a partition is never split; a batch closes once full"
    assert len(batches(files, batch_bytes=1)) == 3
    assert len(batches(files)) == 1


def test_a_keys_first_valid_row_stays_and_its_later_rows_are_duplicates(con, landing):
    """Within a delivery the first valid row of a key (by file, then line) stays; an invalid row does
    not count, and keys compare as typed (trimmed) values."""
    late_file = GOOD[0].replace("c1", "c8")  # e1 again, in a later file
    invalid_first = "e3,c3,UC99,opened,2025-05-01T09:00:00Z,human,a1,cs_amer,P2"  # unknown use case
    valid_second = "e3,c3,UC02,opened,2025-05-01T09:00:00Z,human,a1,cs_amer,P2"
    padded = " e2 ,c2,UC02,resolved,2025-05-01T11:00:00Z,human,a1,cs_amer,P2"  # e2 with spaces
    deliver(landing, "2025-05-01", "b.csv", HEADER + "\n" + late_file + "\n")
    deliver(
        landing,
        "2025-05-01",
        "a.csv",
        HEADER + "\n" + "\n".join([*GOOD, invalid_first, valid_second, padded]) + "\n",
    )
    deliver(landing, "2025-05-02", "a.csv", HEADER + "\n" + GOOD[0] + "\n")  # another delivery: no duplicate
    result = load_events(con, landing)
    assert (result.landed, result.accepted, result.quarantined) == (7, 4, 3)
    quarantined = rows(
        con, "select source_file, source_line, column_name, reason, record from raw.quarantine order by 1, 2"
    )
    assert [(file[-8:], line, column) for file, line, column, _, _ in quarantined] == [
        ("01/a.csv", 4, "use_case_id"),
        ("01/a.csv", 6, "event_id"),
        ("01/b.csv", 2, "event_id"),
    ]
    assert [reason for *_, reason, _ in quarantined][1:] == [
        "duplicate key (event_id) within the delivery"
    ] * 2
    # The record of a duplicate is its delivered text, as for any quarantined row.
    assert json.loads(quarantined[1][4])["event_id"] == " e2 "
    accepted = rows(
        con, "select event_id, case_id, _partition_date from raw.workflow_events order by 3, 1, 2"
    )
    assert [(e, c, str(d)) for e, c, d in accepted] == [
        ("e1", "c1", "2025-05-01"),
        ("e2", "c1", "2025-05-01"),
        ("e3", "c3", "2025-05-01"),
        ("e1", "c1", "2025-05-02"),
    ]


def test_a_load_in_batches_equals_one_batch_and_changes_nothing_when_a_later_batch_fails(con, landing):
    duplicate = GOOD[0].replace("c1", "c9")
    deliver(landing, "2025-05-01", "a.csv", HEADER + "\n" + "\n".join(GOOD) + "\n")
    deliver(landing, "2025-05-01", "b.csv", HEADER + "\n" + duplicate + "\n")  # same event_id, same day
    deliver(landing, "2025-05-02", "a.csv", HEADER + "\n" + GOOD[0] + "\n")  # same event_id, next day
    deliver(landing, "2025-05-03", "a.csv", HEADER + "\n" + GOOD[1].replace("UC02", "UC99") + "\n")
    whole = load_events(con, landing)
    expected = raw_state(con)
    batched_con = duckdb.connect(":memory:")
    write_registry(batched_con, load_registry(landing))
    batched = load_events(batched_con, landing, batch_bytes=1)
    assert raw_state(batched_con) == expected
    assert (batched.landed, batched.accepted, batched.quarantined, batched.reasons) == (
        whole.landed,
        whole.accepted,
        whole.quarantined,
        whole.reasons,
    )
    assert whole.reasons == {
        "duplicate key (event_id) within the delivery": 1,
        "use_case_id: unknown id (not in the registry's use_cases)": 1,
    }

    # A re-delivery whose last batch cannot be read: the earlier batches' replacements are undone.
    deliver(landing, "2025-05-01", "a.csv", HEADER + "\n" + GOOD[1] + "\n")
    path = deliver(landing, "2025-05-04", "a.csv.gz", HEADER + "\n" + "\n".join(GOOD * 200) + "\n")
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(LandingError, match=r"dt=2025-05-04/a\.csv\.gz"):
        load_events(batched_con, landing, batch_bytes=1)
    assert raw_state(batched_con) == expected


def test_truncated_gzip_is_a_clear_error(con, landing):
    path = deliver(landing, "2025-05-01", "events.csv.gz", HEADER + "\n" + "\n".join(GOOD * 200) + "\n")
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(LandingError, match=r"events\.csv\.gz"):
        load_events(con, landing)


def test_corrupt_xlsx_is_a_clear_error(con, landing):
    (landing / "finance").mkdir()
    (landing / "finance" / "benefits.xlsx").write_bytes(b"this is not a workbook")
    with pytest.raises(LandingError, match=r"benefits\.xlsx: not a valid \.xlsx"):
        load_source(con, landing, load_contracts()["finance_benefits"])


def test_xlsx_dates_and_row_rules(con, landing):
    (landing / "finance").mkdir()
    frame = pd.DataFrame(
        {
            "use_case_id": ["UC01", "UC01", "UC02"],
            "period_month": pd.to_datetime(["2025-07-01", "2025-07-15", "2025-07-01"]),
            "benefit_type": ["cost_saving", "cost_saving", "hours_saved"],
            "amount": [100.0, 50.0, -3.0],
            "unit": ["USD", "USD", "hours"],
            "status": ["validated", "validated", "estimated"],
        }
    )
    frame.to_excel(landing / "finance" / "benefits.xlsx", index=False)
    result = load_source(con, landing, load_contracts()["finance_benefits"])
    assert (result.landed, result.accepted, result.quarantined) == (3, 1, 2)
    got = rows(con, "select source_line, column_name from raw.quarantine order by source_line")
    assert got == [(3, "period_month"), (4, "amount")]
    assert rows(con, "select period_month from raw.finance_benefits") == [
        (pd.Timestamp("2025-07-01").date(),)
    ]


def test_dst_ambiguous_and_missing_local_times_are_quarantined(con, landing):
    lines = [
        "e1,c1,UC02,opened,2025-10-26 02:30:00,human,a1,cs_amer,P2",  # ambiguous in Europe/Berlin
        "e2,c1,UC02,worked,2025-03-30 02:30:00,human,a1,cs_amer,P2",  # does not exist
        "e3,c1,UC02,resolved,2025-10-26 12:00:00,human,a1,cs_amer,P2",  # fine: 11:00 UTC
    ]
    deliver(landing, "2025-10-26", "events.csv", HEADER + "\n" + "\n".join(lines) + "\n")
    result = load_events(con, landing, source_time_zone="Europe/Berlin")
    assert (result.accepted, result.quarantined) == (1, 2)
    reasons = [r for (r,) in rows(con, "select reason from raw.quarantine order by source_line")]
    assert "ambiguous" in reasons[0] and "does not exist" in reasons[1]
    assert rows(con, "select cast(event_ts as varchar) from raw.workflow_events") == [
        ("2025-10-26 11:00:00",)
    ]


def test_event_files_outside_a_partition_folder_are_refused(con, landing):
    (landing / "workflow_events").mkdir()
    (landing / "workflow_events" / "events.csv").write_text(HEADER + "\n")
    with pytest.raises(LandingError, match="must be inside a dt=YYYY-MM-DD folder"):
        load_events(con, landing)


def test_a_raw_table_from_before_a_new_optional_column_gets_it_and_keeps_its_rows(con, landing):
    """A warehouse built before ``activity`` joined the contract: the column is added (NULL for the old
    rows) and a new load fills it by name, not by position."""
    deliver(landing, "2025-05-01", "events.csv", HEADER + "\n" + GOOD[0] + "\n")
    load_events(con, landing)
    con.execute("alter table raw.workflow_events drop column activity")
    deliver(landing, "2025-05-02", "events.csv", HEADER + ",activity\n" + GOOD[1] + ",Resolve ticket\n")
    load_events(con, landing)
    assert rows(con, "select event_id, activity, _source_line from raw.workflow_events order by 1") == [
        ("e1", None, 2),
        ("e2", "Resolve ticket", 2),
    ]
