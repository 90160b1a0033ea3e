"""Value chains of the demo: estimates recover the generator's injected effects, money recomputed
independently from the registry and Finance files, and the mart equals the statistics table."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from value_pipeline.value_chains import COLUMN_NAMES

# Ground-truth key of the true effect of each demo chain, and the evidence grade it must carry.
EXPECTED = {
    "VC01": ("true_difference", "randomised", "welch_difference_in_means"),
    "VC02": ("true_effect", "diff_in_diff", "ols_difference_in_differences"),
    "VC03": ("true_effect", "before_after", "before_after_difference_in_means"),
    "VC04": ("true_did", "diff_in_diff", "panel_difference_in_differences"),
}
# The no-control designs of issue #27: recovered within the tolerance the ground truth file states
# (four of the noise's standard errors; their 95% intervals are not asserted, see the note in
# docs/value_chains.md on their coverage in short or small panels).
NO_CONTROL = {
    "VC05": ("staggered_adoption", "callaway_santanna_simple_never_treated"),
    "VC06": ("synthetic_control", "synthetic_control_outcome_only"),
    "VC07": ("interrupted_time_series", "interrupted_time_series_segmented_hac"),
}


@pytest.fixture
def mart(warehouse) -> pd.DataFrame:
    return (
        warehouse.execute("select * from marts.value_chain order by value_chain_id")
        .df()
        .set_index("value_chain_id")
    )


@pytest.mark.parametrize("chain_id", sorted(EXPECTED))
def test_estimates_contain_the_injected_effect(mart, ground_truth, chain_id):
    truth_key, grade, estimator = EXPECTED[chain_id]
    truth = ground_truth["value_chains"][chain_id][truth_key]
    row = mart.loc[chain_id]
    assert row["status"] == "estimated"
    assert (row["evidence_grade"], row["estimator"]) == (grade, estimator)
    assert row["is_causal"] == (grade != "before_after")
    assert row["ci_low"] <= truth <= row["ci_high"], (chain_id, truth, row["ci_low"], row["ci_high"])


@pytest.mark.parametrize("chain_id", sorted(NO_CONTROL))
def test_no_control_designs_recover_the_truth(mart, ground_truth, chain_id, warehouse):
    grade, estimator = NO_CONTROL[chain_id]
    truth = ground_truth["value_chains"][chain_id]
    row = mart.loc[chain_id]
    assert row["status"] == "estimated"
    assert (row["evidence_grade"], row["estimator"]) == (grade, estimator)
    assert row["is_causal"] == (grade != "interrupted_time_series")
    assert abs(row["estimate"] - truth["true_effect"]) <= truth["tolerance"], (
        chain_id,
        row["estimate"],
        truth,
    )
    assert row["design_assumption"] and "assuming without the action" in row["result_sentence"]
    assert (
        row["business_impact"] is not None and row["business_impact_ci_low"] < row["business_impact_ci_high"]
    )
    if grade == "staggered_adoption":
        assert row["pretrend_p_value"] is not None and row["naive_twfe_estimate"] is not None
        effects = warehouse.execute(
            "select count(*) from marts.value_chain_staggered_effects where value_chain_id = ?", [chain_id]
        ).fetchone()[0]
        assert effects > 0
    if grade == "synthetic_control":
        weights = warehouse.execute(
            "select unit_id, weight from marts.value_chain_synthetic_weights where value_chain_id = ?",
            [chain_id],
        ).df()
        assert weights["weight"].sum() == pytest.approx(1.0)
        assert row["pre_rmspe"] < 2 * truth["noise_sd"]
    if grade == "interrupted_time_series":
        assert row["hac_lags"] >= 1
        gaps = warehouse.execute(
            "select count(*) from marts.value_chain_period_gaps where value_chain_id = ?", [chain_id]
        ).fetchone()[0]
        assert gaps == truth["pre_periods"] + truth["post_periods"]


# The same designs on the warehouse's own cases (teams' monthly mean cycle hours).
WAREHOUSE_SERIES = {
    "VC08": "staggered_adoption",
    "VC09": "interrupted_time_series",
    "VC10": "synthetic_control",
}


@pytest.mark.parametrize("chain_id", sorted(WAREHOUSE_SERIES))
def test_warehouse_series_designs_recover_the_truth(mart, ground_truth, chain_id):
    """The estimate within the stated tolerance of the truth and its interval covering it; the standard
    error is the cases' sampling error the generator computes on its own (from the estimand's weights
    over the team-month means) wherever that is larger than the design's own."""
    truth = ground_truth["value_chains"][chain_id]
    row = mart.loc[chain_id]
    assert row["status"] == "estimated" and row["evidence_grade"] == WAREHOUSE_SERIES[chain_id]
    assert abs(row["estimate"] - truth["true_effect"]) <= truth["tolerance"], (
        chain_id,
        row["estimate"],
        truth,
    )
    assert row["ci_low"] <= truth["true_effect"] <= row["ci_high"]
    assert row["cluster_kind"] == "team"
    if chain_id != "VC09":
        assert "team" in row["result_sentence"]
    if chain_id != "VC10":
        # Staggered adoption and the time series are linear in the means: the generator's own weights
        # give the same estimate, and the standard error is the cases' sampling error.
        assert row["estimate"] == pytest.approx(truth["sample_effect"], rel=1e-9)
        assert row["std_error"] == pytest.approx(truth["sample_standard_error"], rel=1e-4)
        assert "from the cases' sampling noise" in row["notes"]
    # n per cell counts the cases behind the team-month means.
    assert row["n_treatment_pre"] > 0 and row["n_treatment_post"] > 0


def test_warehouse_staggered_cohorts_follow_the_registry_rollout(warehouse, ground_truth):
    cohorts = warehouse.execute(
        "select strftime(cohort, '%Y-%m'), n_treated from marts.value_chain_staggered_effects"
        " where value_chain_id = 'VC08' and aggregation = 'cohort' order by cohort"
    ).fetchall()
    first = ground_truth["value_chains"]["VC08"]["first_treated_month"]
    assert cohorts == [(month, 1) for month in sorted(first.values())]


def test_planned_chain_gets_its_minimum_detectable_effect(mart, warehouse, ground_truth):
    """VC11's post window is after the data: its MDE from the warehouse's pre window equals the
    generator's own computation, in marts.value_chain and in the business case's lifecycle row."""
    truth = ground_truth["value_chains"]["VC11"]
    row = mart.loc["VC11"]
    assert row["status"] == "not_estimated" and pd.isna(row["estimate"])
    assert row["planned_mde"] == pytest.approx(truth["minimum_detectable_effect"], rel=1e-9)
    assert row["result_sentence"].startswith("Not measured yet")
    lifecycle = warehouse.execute(
        "select lifecycle_stage, planned_value_chain_id, planned_mde, planning_sentence"
        " from marts.value_lifecycle where hypothesis_id = 'H-ACCESS'"
    ).fetchone()
    assert lifecycle[:2] == ("commit", "VC11")
    assert lifecycle[2] == pytest.approx(truth["minimum_detectable_effect"], rel=1e-9)
    assert lifecycle[3] == row["result_sentence"]
    measured = warehouse.execute(
        "select count(*) from marts.value_lifecycle"
        " where lifecycle_stage in ('execute', 'prove_and_grow') and planned_mde is not null"
    ).fetchone()[0]
    assert measured == 0


def test_warehouse_cells_are_the_generators_cases(mart, ground_truth):
    for chain_id in ("VC02", "VC03"):
        for cell, expected in ground_truth["value_chains"][chain_id]["cells"].items():
            assert mart.loc[chain_id, f"n_{cell}"] == expected["resolved_cases"]
            assert mart.loc[chain_id, f"mean_{cell}"] == pytest.approx(expected["sample_mean_cycle_hours"])
    assert mart.loc["VC02", "estimate"] == pytest.approx(
        ground_truth["value_chains"]["VC02"]["sample_effect"]
    )
    assert mart.loc["VC02", "control_clusters"] == 3
    assert "against 3 control teams" in mart.loc["VC02", "result_sentence"]


def test_sentences_follow_the_evidence_grade(mart):
    for chain_id in ("VC01", "VC02", "VC04"):
        assert mart.loc[chain_id, "result_sentence"].startswith("This action resulted in")
    assert mart.loc["VC03", "result_sentence"].startswith("This action was followed by")
    assert "not evidence that the action caused it" in mart.loc["VC03", "result_sentence"]
    assert mart.loc["VC01", "impact_sentence"].startswith("This equates to a cash-flow impact of $")
    assert mart.loc["VC03", "impact_sentence"].startswith("Only if the action caused the whole change")


def test_experience_metric_has_no_money(mart):
    row = mart.loc["VC04"]
    assert row["metric_class"] == "experience"
    assert pd.isna(row["business_impact"]) and pd.isna(row["business_impact_ci_low"])
    assert pd.isna(row["business_impact_ci_high"])
    assert "experience metric" in row["business_impact_null_reason"]
    assert row["impact_sentence"].startswith("Not converted to money")


def _fx(rates: pd.DataFrame, currency: str, month_start: pd.Timestamp, reporting: str) -> float:
    if currency == reporting:
        return 1.0
    usable = rates[(rates["currency"] == currency) & (rates["rate_date"] <= month_start)]
    return float(usable.sort_values("rate_date").iloc[-1]["rate_to_reporting"])


def test_money_recomputed_from_registry_and_finance_files(mart, settings, ground_truth):
    landing = settings.landing_root
    registry = yaml.safe_load((landing / "registry" / "registry.yml").read_text(encoding="utf-8"))
    finance = sorted((landing / "finance").glob("dt=*"))[-1]
    costs = pd.read_csv(finance / "action_costs.csv", parse_dates=["incurred_on"])
    rates = pd.read_csv(finance / "fx_rates.csv", parse_dates=["rate_date"])
    reporting = registry["reporting_currency"]
    money_chains = [c for c in registry["value_chains"] if c["metric_class"] == "business"]
    assert {c["id"] for c in money_chains} == {f"VC{i:02d}" for i in (1, 2, 3, 5, 6, 7, 8, 9, 10, 11)}
    # VC11 is planned (no estimate, no money); VC10 names VC02's cost lines (the same action).
    for chain in [c for c in money_chains if c["id"] != "VC11"]:
        lines = costs[costs["value_chain_id"] == chain["action_cost_ref"]]
        cost = sum(
            row.amount * _fx(rates, row.currency, row.incurred_on.replace(day=1), reporting)
            for row in lines.itertuples()
        )
        start = pd.Timestamp(chain["action"]["start_date"]).replace(day=1)
        unit_value = chain["unit_value"] * _fx(rates, chain["unit_value_currency"], start, reporting)
        sign = -1.0 if chain["direction"] == "lower_is_better" else 1.0
        row = mart.loc[chain["id"]]
        assert row["action_cost_reporting"] == pytest.approx(cost, rel=1e-12)
        truth_costs = ground_truth["finance"]["action_costs"]["rows"]
        assert cost == pytest.approx(
            sum(
                r["amount_reporting"] for r in truth_costs if r["value_chain_id"] == chain["action_cost_ref"]
            ),
            rel=1e-12,
        )
        scale = chain["exposure"] * unit_value
        expected = sorted(sign * x * scale - cost for x in (row["ci_low"], row["ci_high"]))
        assert row["business_impact"] == pytest.approx(sign * row["estimate"] * scale - cost, rel=1e-12)
        assert [row["business_impact_ci_low"], row["business_impact_ci_high"]] == pytest.approx(
            expected, rel=1e-12
        )
        assert row["business_impact_ci_low"] <= row["business_impact"] <= row["business_impact_ci_high"]


def test_mart_equals_the_statistics_table(warehouse, mart):
    stats = (
        warehouse.execute("select * from stats.value_chain_estimates order by value_chain_id")
        .df()
        .set_index("value_chain_id")
    )
    assert list(mart.reset_index().columns) == COLUMN_NAMES
    pd.testing.assert_frame_equal(mart, stats, check_dtype=False)


def test_rejected_chains_are_listed_with_the_registry_reason(warehouse, mart):
    rejected = dict(
        warehouse.execute("select value_chain_id, reason from raw.registry_value_chain_rejections").fetchall()
    )
    listed = mart[mart["status"] == "rejected"]
    assert listed["status_reason"].to_dict() == rejected
