"""Value chains: estimator by design, evidence grades, money and its NULL reasons, the four sentences."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from value_pipeline.value_chains import (
    COLUMN_NAMES,
    COLUMNS,
    estimate_value_chains,
    format_money,
    impact_sentence,
    result_sentence,
    write_estimates,
)

AT = datetime(2026, 1, 1)


def chain(**overrides) -> dict:
    """A registry value chain as int_value_chains delivers it."""
    base = {
        "value_chain_id": "VCX",
        "value_chain_name": "Test chain",
        "insight_text": "40% of support volume follows billing issues",
        "insight_evidence_source": "contact-centre analytics",
        "action_text": "redesigned the bill",
        "action_kind": "intervention",
        "action_owner": "owner",
        "action_start_date": date(2025, 1, 1),
        "metric": "contacts",
        "metric_class": "business",
        "direction": "lower_is_better",
        "design_type": "randomised",
        "evidence_source": "observations",
        "use_case_id": None,
        "action_cost_ref": "VCX",
        "reporting_currency": "USD",
        "exposure": 1000.0,
        "exposure_unit": "customers per year",
        "unit_value": 2.0,
        "unit_value_currency": "USD",
        "unit_value_reporting": 2.0,
        "action_cost_reporting": 500.0,
    }
    return {**base, **overrides}


def evidence(cells: dict[tuple[str, str], list[float]], *, chain_id="VCX", panel=False, cluster=None):
    """Rows of int_value_chain_observations; with ``panel`` the i-th value of pre and post is one unit."""
    rows = []
    for (group, period), values in cells.items():
        for i, value in enumerate(values):
            unit = f"{group}-{i}" if panel else f"{group}-{period}-{i}"
            rows.append(
                {
                    "value_chain_id": chain_id,
                    "unit_id": unit,
                    "cluster_id": cluster(group, i) if cluster else unit,
                    "group_name": group,
                    "period": period,
                    "metric_value": float(value),
                    "weight": np.nan,
                }
            )
    return pd.DataFrame(rows)


def run(chains: list[dict], rows: pd.DataFrame, rejections: pd.DataFrame | None = None) -> pd.DataFrame:
    return estimate_value_chains(pd.DataFrame(chains), rows, rejections, estimated_at=AT).set_index(
        "value_chain_id", drop=False
    )


def test_randomised_uses_welch_on_post_cells_and_money_by_hand():
    rows = evidence({("treatment", "post"): [8, 9, 10], ("control", "post"): [11, 12, 13]})
    row = run([chain()], rows).loc["VCX"]
    assert row["estimator"] == "welch_difference_in_means" and row["evidence_grade"] == "randomised"
    assert row["is_causal"] and row["status"] == "estimated"
    assert row["estimate"] == pytest.approx(-3.0)
    # Both cells have variance 1: SE = sqrt(1/3 + 1/3), Welch df = 4.
    assert row["std_error"] == pytest.approx(np.sqrt(2 / 3))
    assert row["degrees_of_freedom"] == pytest.approx(4.0)
    assert (row["n_treatment_post"], row["n_control_post"]) == (3, 3)
    assert pd.isna(row["n_treatment_pre"]) and pd.isna(row["n_control_pre"])
    # Lower is better: improvement +3 contacts x 1000 customers x $2 - $500.
    assert row["improvement"] == pytest.approx(3.0)
    assert row["business_impact"] == pytest.approx(3.0 * 1000 * 2 - 500)
    half_width = 2.7764451051977987 * np.sqrt(2 / 3)  # t(0.975, 4)
    assert row["business_impact_ci_low"] == pytest.approx((3 - half_width) * 2000 - 500)
    assert row["business_impact_ci_high"] == pytest.approx((3 + half_width) * 2000 - 500)
    assert row["result_sentence"].startswith("This action resulted in a 25.0% reduction in contacts (95% CI ")
    assert row["result_sentence"].endswith("randomised comparison of 3 treatment units with 3 control units)")
    assert row["impact_sentence"].startswith("This equates to a cash-flow impact of $5.5K net of $500 cost")
    assert row["insight_sentence"] == (
        "Based on contact-centre analytics, we learned that 40% of support volume follows billing issues"
    )
    assert row["action_sentence"] == "In response, we redesigned the bill"


def test_weights_outside_diff_in_diff_are_dropped_and_said():
    rows = evidence({("treatment", "post"): [8, 9, 10], ("control", "post"): [11, 12, 13]})
    rows["weight"] = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    row = run([chain()], rows).loc["VCX"]
    assert row["estimate"] == pytest.approx(-3.0)
    assert "weights were not used" in row["notes"]


def test_panel_diff_in_diff_and_warehouse_cases_with_team_note():
    cells = {
        ("treatment", "pre"): [10, 12, 14],
        ("treatment", "post"): [7, 10, 10],
        ("control", "pre"): [10, 11, 12],
        ("control", "post"): [10, 12, 11],
    }
    panel = run([chain(design_type="diff_in_diff")], evidence(cells, panel=True)).loc["VCX"]
    assert panel["estimator"] == "panel_difference_in_differences"
    assert panel["estimate"] == pytest.approx((9 - 12) - (11 - 11))
    assert panel["control_clusters"] == 3 and panel["cluster_kind"] == "unit"

    teams = evidence(cells, cluster=lambda group, i: "t1" if group == "treatment" else f"c{i % 2}")
    cases = run(
        [chain(design_type="diff_in_diff", evidence_source="warehouse", metric="cycle_hours")], teams
    ).loc["VCX"]
    assert cases["estimator"] == "ols_difference_in_differences"
    assert cases["estimate"] == pytest.approx(-3.0)
    assert "standard errors: HC1" in cases["notes"]
    assert "1 treatment team and 2 control teams are too few for team-clustered errors" in cases["notes"]
    assert cases["cluster_kind"] == "team" and cases["control_clusters"] == 2
    assert "difference-in-differences against 2 control teams" in cases["result_sentence"]


def test_before_after_and_self_reported_are_never_causal():
    cells = {("treatment", "pre"): [10, 12, 14], ("treatment", "post"): [8, 9, 10]}
    rows = pd.concat(
        [evidence(cells, chain_id="BA"), evidence(cells, chain_id="SR")],
        ignore_index=True,
    )
    out = run(
        [
            chain(value_chain_id="BA", design_type="before_after"),
            chain(value_chain_id="SR", design_type="self_reported"),
        ],
        rows,
    )
    assert out.loc["BA", "evidence_grade"] == "before_after"
    assert out.loc["SR", "evidence_grade"] == "self_reported"
    assert out.loc["SR", "estimator"] == "self_reported_before_after_difference_in_means"
    for key in ("BA", "SR"):
        row = out.loc[key]
        assert not row["is_causal"]
        assert row["estimate"] == pytest.approx(-3.0)
        assert row["result_sentence"].startswith("This action was followed by a 25.0% reduction")
        assert "resulted in" not in row["result_sentence"]
        assert row["impact_sentence"].startswith("Only if the action caused the whole change")
        assert "no control group" in row["notes"]


def test_experience_metric_never_becomes_money():
    cells = {("treatment", "post"): [30, 40, 50], ("control", "post"): [20, 30, 40]}
    row = run(
        [chain(metric="enps", metric_class="experience", direction="higher_is_better")], evidence(cells)
    )
    row = row.loc["VCX"]
    assert row["estimate"] == pytest.approx(10.0)
    assert pd.isna(row["business_impact"]) and pd.isna(row["business_impact_ci_low"])
    assert row["business_impact_null_reason"] == "eNPS is an experience metric, never converted to money"
    assert row["impact_sentence"].startswith("Not converted to money: eNPS is an experience metric")
    assert row["impact_sentence"].endswith("(action cost $500)")
    # A score can be zero or negative: its change is stated in points, not as a percentage.
    assert "an increase of 10.00 in eNPS (95% CI " in row["result_sentence"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exposure": None}, "the registry gives no exposure for this value chain"),
        ({"unit_value_reporting": None, "unit_value_currency": "CHF"}, "no FX rate converts the unit value"),
        ({"action_cost_reporting": None}, "no complete action cost in reporting currency"),
    ],
    ids=["no_exposure", "no_fx_rate", "no_cost"],
)
def test_money_is_null_with_a_reason_when_a_part_is_missing(overrides, reason):
    rows = evidence({("treatment", "post"): [8, 9, 10], ("control", "post"): [11, 12, 13]})
    row = run([chain(**overrides)], rows).loc["VCX"]
    assert row["status"] == "estimated" and pd.isna(row["business_impact"])
    assert row["business_impact_null_reason"].startswith(reason)


def test_chains_without_estimate_and_rejected_chains_keep_a_row_with_the_reason():
    short = evidence({("treatment", "post"): [8], ("control", "post"): [11, 12]}, chain_id="SHORT")
    rejections = pd.DataFrame({"value_chain_id": ["REJ"], "reason": ["the 'action' is a survey"]})
    out = run(
        [
            chain(value_chain_id="SHORT"),
            chain(value_chain_id="EMPTY"),
            chain(value_chain_id="WH", evidence_source="warehouse", metric="nps"),
        ],
        short,
        rejections,
    )
    assert list(out.index) == ["EMPTY", "REJ", "SHORT", "WH"]
    assert out.loc["SHORT", "status"] == "not_estimated"
    assert "every cell needs at least 2 observations" in out.loc["SHORT", "status_reason"]
    assert out.loc["EMPTY", "status_reason"] == "no observations evidence rows for metric contacts"
    assert out.loc["WH", "status_reason"].startswith("warehouse evidence exists for cycle_hours only")
    assert (
        out.loc["REJ", "status"] == "rejected"
        and out.loc["REJ", "status_reason"] == "the 'action' is a survey"
    )
    assert out[["business_impact", "estimate"]].isna().all().all()


def test_sentences_with_known_numbers():
    row = {
        "relative_change": -0.152,
        "relative_change_ci_low": -0.194,
        "relative_change_ci_high": -0.110,
        "estimate": -1.0,
        "evidence_grade": "diff_in_diff",
        "is_causal": True,
        "cluster_kind": "team",
        "treatment_clusters": 1,
        "control_clusters": 4,
        "reporting_currency": "USD",
        "business_impact": 4.0e6,
        "business_impact_ci_low": 2.9e6,
        "business_impact_ci_high": 5.1e6,
        "action_cost_reporting": 0.3e6,
    }
    metric = {"metric": "billing_related_contacts", "metric_class": "business"}
    assert result_sentence(metric, row) == (
        "This action resulted in a 15.2% reduction in billing related contacts (95% CI 11.0% to 19.4%; "
        "difference-in-differences against 4 control teams)"
    )
    assert impact_sentence(row) == (
        "This equates to a cash-flow impact of $4.0M net of $300.0K cost (95% CI $2.9M to $5.1M)"
    )
    crossing = {**row, "relative_change_ci_low": -0.30, "relative_change_ci_high": 0.02}
    assert "(95% CI from a 2.0% increase to a 30.0% reduction;" in result_sentence(metric, crossing)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (4.04e6, "USD", "$4.0M"),
        (-12_500.0, "EUR", "-€12.5K"),
        (950.0, "GBP", "£950"),
        (1.25e9, "CHF", "CHF 1.2B"),
        (-0.2, "USD", "$0"),
    ],
)
def test_format_money(amount, currency, text):
    assert format_money(amount, currency) == text


def test_write_estimates_replaces_the_typed_table():
    rows = evidence({("treatment", "post"): [8, 9, 10], ("control", "post"): [11, 12, 13]})
    frame = estimate_value_chains(pd.DataFrame([chain()]), rows, estimated_at=AT)
    con = duckdb.connect()
    assert write_estimates(con, frame) == 1
    assert write_estimates(con, frame) == 1
    types = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'stats' and table_name = 'value_chain_estimates' order by ordinal_position"
    ).fetchall()
    assert types == [(name, kind) for name, kind in COLUMNS]
    stored = con.execute("select * from stats.value_chain_estimates").df()
    assert list(stored.columns) == COLUMN_NAMES and len(stored) == 1
    assert stored.loc[0, "business_impact"] == pytest.approx(frame.loc[0, "business_impact"])
    assert pd.isna(stored.loc[0, "n_control_pre"]) and stored.loc[0, "n_control_post"] == 3


def test_a_chain_not_measured_yet_gets_its_minimum_detectable_effect():
    rng = np.random.default_rng(4)
    treatment, control = rng.normal(10, 2, 40), rng.normal(12, 3, 60)
    rows = evidence({("treatment", "pre"): treatment, ("control", "pre"): control})
    row = run([chain(design_type="diff_in_diff")], rows).loc["VCX"]
    assert row["status"] == "not_estimated"
    # Pooled within-group SD, four cells (each post cell as large as its pre cell), 2.8 SEs.
    pooled = np.sqrt((39 * treatment.var(ddof=1) + 59 * control.var(ddof=1)) / 98)
    se = pooled * np.sqrt(2 / 40 + 2 / 60)
    assert row["planned_mde"] == pytest.approx(2.8015852 * se, rel=1e-6)
    assert row["result_sentence"].startswith(
        f"Not measured yet: with a standard deviation of {pooled:,.3g} over 100 pre-period observations"
    )
    assert f"would detect a change of {row['planned_mde']:,.3g} in contacts or more" in row["result_sentence"]
    assert pd.isna(row["business_impact"])
    # With any post row the chain is measured (or says why not), never planned.
    measured = run(
        [chain(design_type="diff_in_diff")], pd.concat([rows, evidence({("treatment", "post"): [1.0]})])
    )
    assert pd.isna(measured.loc["VCX", "planned_mde"])
