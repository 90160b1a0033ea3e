"""Every public mart built on each engine from the same landed data equals the DuckDB build: same
rows, numbers equal to 1e-9 relative, and the column types its contract declares for that engine."""

import numpy as np
import pandas as pd
import pytest

from tests.portability.harness import Build, canonical_type

pytestmark = pytest.mark.integration
# Columns that record when the build ran, not what it computed: only their NULLs are compared.
RUN_STAMPS = {"estimated_at"}


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values in engine-independent dtypes (numbers as float, dates and text as strings), rows sorted
    by the non-float columns (the keys) and then by the rest."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column in RUN_STAMPS:
            out[column] = values.notna()
        elif pd.api.types.is_bool_dtype(values) or values.dtype == "boolean":
            out[column] = values.astype("object").map(lambda v: None if pd.isna(v) else bool(v))
        elif pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S.%f").where(values.notna(), None)
        else:
            out[column] = values.astype("object").where(values.notna(), None)
    keys = [c for c in out.columns if out[c].dtype != "float64"]
    order = [*keys, *[c for c in out.columns if c not in keys]]
    return out.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


def assert_marts_equal(actual: pd.DataFrame, expected: pd.DataFrame, what: str) -> None:
    assert list(actual.columns) == list(expected.columns), what
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows, DuckDB has {len(expected)}"
    got, want = _comparable(actual), _comparable(expected)
    for column in want.columns:
        if want[column].dtype == "float64":
            a, b = got[column].to_numpy(), want[column].to_numpy()
            assert np.array_equal(np.isnan(a), np.isnan(b)), f"{what}.{column}: NULLs differ"
            both = ~np.isnan(b)
            np.testing.assert_allclose(a[both], b[both], rtol=1e-9, atol=0, err_msg=f"{what}.{column}")
        else:
            mismatch = got[column] != want[column]
            mismatch &= ~(got[column].isna() & want[column].isna())
            assert not mismatch.any(), (
                f"{what}.{column}: {int(mismatch.sum())} values differ, e.g. "
                f"{got[column][mismatch].head(3).tolist()} vs {want[column][mismatch].head(3).tolist()}"
            )


def test_every_public_mart_has_its_contract_types(engine_build: Build):
    marts = engine_build.public_marts()
    assert marts, "no public mart in the manifest"
    for mart, contract in marts.items():
        actual = engine_build.engine.column_types("marts", mart)
        assert list(actual) == list(contract), f"{engine_build.target} {mart}: columns differ"
        for column, declared in contract.items():
            assert canonical_type(actual[column]) == canonical_type(declared), (
                f"{engine_build.target} {mart}.{column}: {actual[column]} but the contract says {declared}"
            )


def test_every_public_mart_equals_the_duckdb_build(engine_build: Build, duckdb_build: Build):
    if engine_build is duckdb_build:
        pytest.skip("the DuckDB build is the reference")
    marts = duckdb_build.public_marts()
    assert set(engine_build.public_marts()) == set(marts)
    for mart in sorted(marts):
        expected = duckdb_build.engine.read_table("marts", mart)
        actual = engine_build.engine.read_table("marts", mart)
        assert len(expected), f"{mart} is empty on DuckDB: nothing would be compared"
        assert_marts_equal(actual, expected, f"{engine_build.target} marts.{mart}")


def test_contract_types_are_the_same_type_on_every_engine(engine_build: Build, duckdb_build: Build):
    for mart, contract in duckdb_build.public_marts().items():
        other = engine_build.public_marts()[mart]
        assert {c: canonical_type(t) for c, t in other.items()} == {
            c: canonical_type(t) for c, t in contract.items()
        }, mart
