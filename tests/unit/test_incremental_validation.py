"""A model suite with a ``built_at_column`` validates the rows built since its last passing
validation and every row sharing a key with them, remembers only passing validations, and validates
every row again when the suite or the registry ids change."""

from datetime import datetime

import duckdb
import pytest

from value_pipeline.quality.expectations import (
    checked_suites,
    chunk_columns,
    rows_built_since,
    suite_parameters,
    validate_model,
    validate_table,
)

T0, T1, T2 = datetime(2026, 1, 1, 2), datetime(2026, 1, 2, 2), datetime(2026, 1, 3, 2)
SUITE = {
    "name": "cases_test",
    "meta": {"table": "main.cases", "key": ["case_id"], "built_at_column": "built_at"},
    "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "case_id"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "cycle_hours", "min_value": 0}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "use_case_id", "value_set": {"$PARAMETER": "use_cases"}},
        },
    ],
}


def _parameters(use_cases=("UC01",), now=datetime(2026, 1, 5)) -> dict:
    return suite_parameters(now, {"use_cases": list(use_cases)})


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        connection.execute(
            "create table cases as select 'C' || lpad(cast(i as varchar), 4, '0') as case_id, "
            f"'UC01' as use_case_id, 1.5 as cycle_hours, timestamp '{T0}' as built_at from range(100) t(i)"
        )
        yield connection


def _add(con, case_id: str, cycle_hours: float, built_at: datetime) -> None:
    con.execute("insert into cases values (?, 'UC01', ?, ?)", [case_id, cycle_hours, built_at])


def _failures(result) -> list[tuple[str, int]]:
    return sorted((f.expectation, f.unexpected_count) for f in result.failures)


def test_new_rows_are_validated_with_every_row_of_their_keys(con):
    _add(con, "C0007", 2.0, T1)  # a second row of an old key
    _add(con, "C9000", -1.0, T1)  # a new key, out of range
    where = rows_built_since(SUITE, "main.cases", T0)
    result = validate_table(con, SUITE, "main.cases", where, _parameters())
    assert result.rows == 3
    assert _failures(result) == [
        ("expect_column_values_to_be_between", 1),
        ("expect_column_values_to_be_unique", 2),
    ]


def test_only_a_passing_validation_is_remembered(con):
    audit = con
    result, since = validate_model(con, audit, SUITE, _parameters())
    assert (result.success, result.rows, since) == (True, 100, None)

    _add(con, "C9000", -1.0, T1)
    result, since = validate_model(con, audit, SUITE, _parameters())
    assert (result.success, result.rows, since) == (False, 1, T0)
    # Failed: the next run validates the bad row again.
    result, since = validate_model(con, audit, SUITE, _parameters())
    assert (result.success, result.rows, since) == (False, 1, T0)

    con.execute(f"update cases set cycle_hours = 3.0, built_at = timestamp '{T2}' where case_id = 'C9000'")
    result, since = validate_model(con, audit, SUITE, _parameters())
    assert (result.success, result.rows, since) == (True, 1, T0)
    result, since = validate_model(con, audit, SUITE, _parameters())
    assert (result.success, result.rows, since) == (True, 0, T2)


def test_a_changed_suite_or_registry_validates_every_row(con):
    validate_model(con, con, SUITE, _parameters())
    # A later run only widens the time bounds: the mark holds.
    assert validate_model(con, con, SUITE, _parameters(now=datetime(2026, 2, 1)))[0].rows == 0
    # A use case gone from the registry: every row is checked against the new ids.
    result, since = validate_model(con, con, SUITE, _parameters(use_cases=("UC02",)))
    assert (result.success, result.rows, since) == (False, 100, None)
    stricter = SUITE | {"expectations": [*SUITE["expectations"][:1]]}
    assert validate_model(con, con, stricter, _parameters())[0].rows == 100


def test_a_suite_with_an_aggregate_expectation_cannot_validate_new_rows_only():
    aggregate = SUITE | {
        "expectations": [{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}]
    }
    with pytest.raises(ValueError, match="aggregate expectation"):
        rows_built_since(aggregate, "main.cases", T0)


@pytest.mark.parametrize(
    "suite", [s for s in checked_suites() if "built_at_column" in s["meta"]], ids=lambda s: s["name"]
)
def test_committed_suites_on_new_rows_split_by_their_key(suite):
    assert chunk_columns(suite) == suite["meta"]["key"]
