"""The six KPIs in the marts equal an independent pandas computation from the landing files (1e-9 relative),
and the generator's injected effects are recovered."""

import numpy as np
import pandas as pd
import pytest

KEYS = {
    "daily": ["date_day"],
    "weekly": ["period_start"],
    "monthly": ["period_start"],
    "quarterly": ["period_start"],
}
MEASURES = ["numerator", "denominator", "value", "value_validated", "value_estimated"]


def published_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the warehouse publishes (docs/kpi_computation.md): ratio KPIs only where the denominator is
    positive, value tracked only from a scope's first benefit month."""
    ratio = (frame["kpi_id"] != "value_tracked") & (frame["denominator"].fillna(1) > 0)
    value = (frame["kpi_id"] == "value_tracked") & (frame["numerator"] != 0)
    return frame[ratio | value | frame["is_suppressed"].fillna(False).astype(bool)]


@pytest.mark.parametrize("grain", list(KEYS))
def test_kpi_facts_equal_the_pandas_reference(warehouse, reference, grain):
    keys = ["kpi_id", "scope_type", "scope_id", *KEYS[grain]]
    actual = warehouse.execute(f"select * from marts.fct_kpi_{grain}").df()
    expected = published_rows(reference[grain])
    for frame in (actual, expected):
        frame[KEYS[grain][0]] = pd.to_datetime(frame[KEYS[grain][0]])
    merged = actual.merge(expected, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    assert only.empty, only[[*keys, "_merge"]].head(20).to_string()
    for measure in MEASURES:
        got = merged[measure].astype(float).to_numpy()
        want = merged[f"{measure}_ref"].astype(float).to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(want)), measure
        both = ~np.isnan(got)
        np.testing.assert_allclose(got[both], want[both], rtol=1e-9, atol=0, err_msg=measure)
    assert (
        merged["is_suppressed"].astype(bool) == merged["is_suppressed_ref"].fillna(False).astype(bool)
    ).all()


def test_case_windows_equal_the_reference(warehouse, reference):
    actual = warehouse.execute(
        "select use_case_id, case_window as window, resolved_cases, median_cycle_hours, mean_cycle_hours, "
        "touchless_share, sla_compliance from marts.fct_case_windows"
    ).df()
    expected = reference["case_windows"]
    merged = actual.merge(
        expected, on=["use_case_id", "window"], suffixes=("", "_ref"), validate="one_to_one"
    )
    assert len(merged) == len(expected) == len(actual)
    for column in (
        "resolved_cases",
        "median_cycle_hours",
        "mean_cycle_hours",
        "touchless_share",
        "sla_compliance",
    ):
        np.testing.assert_allclose(
            merged[column].astype(float), merged[f"{column}_ref"].astype(float), rtol=1e-9, err_msg=column
        )


def test_injected_effects_are_recovered(warehouse, ground_truth):
    windows = {
        (uc, window): (median, touchless)
        for uc, window, median, touchless in warehouse.execute(
            "select use_case_id, case_window, median_cycle_hours, touchless_share from marts.fct_case_windows"
        ).fetchall()
    }
    checked = 0
    for use_case, truth in ground_truth["use_cases"].items():
        as_of = truth.get("as_of_end")
        if not as_of or (use_case, "post") not in windows:
            continue
        ratio = windows[(use_case, "post")][0] / windows[(use_case, "baseline")][0]
        assert ratio == pytest.approx(as_of["median_ratio"], rel=1e-9)
        injected = truth["injected"]["median_multiplier"]
        if not truth["injected"].get("later_shifts"):
            assert abs(ratio - injected) <= as_of["median_ratio_tolerance"], use_case
        checked += 1
    assert checked >= 6
    uc01 = ground_truth["use_cases"]["UC01"]["injected"]
    baseline_share, post_share = windows[("UC01", "baseline")][1], windows[("UC01", "post")][1]
    assert abs(baseline_share - uc01["touchless_share_before_go_live"]) < 0.06
    assert abs(post_share - uc01["touchless_share_after_go_live"]) < 0.06
