"""A suite validated chunk by chunk (bounded memory on a table of any size) gives the result of one
validation of the whole table: the same expectations fail with the same unexpected counts, duplicates
across the whole table included."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from value_pipeline.quality import expectations
from value_pipeline.quality.expectations import chunk_columns, validate_table

ROWS = 5_000
SUITE = {
    "name": "chunk_test",
    "expectations": [
        {
            "type": "expect_table_columns_to_match_ordered_list",
            "kwargs": {"column_list": ["day", "id", "x", "y"]},
        },
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["day", "id"]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "y", "min_value": 0}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "x", "value_set": ["a", "b"]}},
    ],
}


@pytest.fixture
def con():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 30, ROWS), unit="D"),
            "id": [f"E{i:06d}" for i in range(ROWS)],
            "x": rng.choice(["a", "b"], ROWS),
            "y": rng.uniform(0, 10, ROWS),
        }
    )
    # Duplicates far apart in the table, NULLs, values out of range and out of the set.
    for copy, original in [(4_900, 10), (4_901, 11), (2_500, 2_499)]:
        frame.loc[copy, ["day", "id"]] = frame.loc[original, ["day", "id"]].to_numpy()
    frame.loc[[5, 600, 3_000], "x"] = None
    frame.loc[[7, 8, 4_000, 4_999], "y"] = -1.0
    frame.loc[[9, 1_234], "x"] = "c"
    with duckdb.connect() as connection:
        connection.execute("create table t as select * from frame")
        yield connection


def _outcome(result):
    return result.success, result.rows, sorted((f.expectation, f.unexpected_count) for f in result.failures)


@pytest.fixture
def frames(monkeypatch):
    """The frames handed to GX, in order."""
    seen = []
    validate = expectations.validate
    monkeypatch.setattr(
        expectations, "validate", lambda frame, *a, **k: seen.append(frame) or validate(frame, *a, **k)
    )
    return seen


def test_chunks_equal_one_whole_validation(con, frames):
    whole = validate_table(con, SUITE, "t")
    assert [len(f) for f in frames] == [ROWS]
    chunked = validate_table(con, SUITE, "t", chunk_rows=700)
    chunks = frames[1:]
    # Split by ranges of the key's first column (30 days): whole days per chunk, about 700 rows each.
    assert len(chunks) > 1 and sum(len(f) for f in chunks) == ROWS
    assert all(len(f) <= 700 for f in chunks)
    days = [set(f["day"]) for f in chunks]
    assert sum(len(d) for d in days) == len(set().union(*days)) == 30
    assert _outcome(chunked) == _outcome(whole)
    # Independent counts: 3 duplicated keys (6 rows), 3 NULLs, 4 negative values, 2 values outside the set.
    assert _outcome(whole) == (
        False,
        ROWS,
        [
            ("expect_column_values_to_be_between", 4),
            ("expect_column_values_to_be_in_set", 2),
            ("expect_column_values_to_not_be_null", 3),
            ("expect_compound_columns_to_be_unique", 6),
        ],
    )
    samples = {f.expectation: f.sample_rows for f in chunked.failures}
    assert {r["id"] for r in samples["expect_compound_columns_to_be_unique"]} == {
        "E000010",
        "E000011",
        "E002499",
    }


def test_a_key_with_many_values_splits_by_hash(con, frames, monkeypatch):
    whole = validate_table(con, SUITE, "t")
    monkeypatch.setattr(expectations, "MAX_RANGE_VALUES", 10)
    chunked = validate_table(con, SUITE, "t", chunk_rows=700)
    assert len(frames) - 1 == 8 and sum(len(f) for f in frames[1:]) == ROWS
    assert _outcome(chunked) == _outcome(whole)


def test_null_key_values_form_their_own_range(con, frames):
    con.execute("update t set day = null where id in ('E000100', 'E000200', 'E000300')")
    whole = validate_table(con, SUITE, "t")
    chunked = validate_table(con, SUITE, "t", chunk_rows=700)
    assert any(f["day"].isna().all() and len(f) == 3 for f in frames[1:])
    assert _outcome(chunked) == _outcome(whole)


def test_where_and_chunks_validate_only_the_selected_rows(con):
    chunked = validate_table(con, SUITE, "t", where="y >= 0", chunk_rows=500)
    whole = validate_table(con, SUITE, "t", where="y >= 0")
    assert _outcome(chunked) == _outcome(whole)
    assert chunked.rows == ROWS - 4


def test_a_suite_splits_only_by_one_unique_key_and_row_local_expectations():
    assert chunk_columns(SUITE) == ["day", "id"]
    no_key = {"expectations": SUITE["expectations"][2:]}
    assert chunk_columns(no_key) == []
    two_keys = {
        "expectations": [
            *SUITE["expectations"],
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "x"}},
        ]
    }
    assert chunk_columns(two_keys) is None
    aggregate = {"expectations": [{"type": "expect_column_mean_to_be_between", "kwargs": {"column": "y"}}]}
    assert chunk_columns(aggregate) is None
