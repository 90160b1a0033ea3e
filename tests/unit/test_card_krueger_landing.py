"""Card & Krueger (1994) Table 3 through the observations landing source and the value-chain estimates.

The store file becomes observations CSVs in a landing root whose registry (the demo registry plus the
Card & Krueger value chains) names the chains; the loader validates them into raw.observations, and
value_pipeline.value_chains estimates each chain from what was loaded. Rows 4 and 5 (difference in
differences of FTE, New Jersey treated, Pennsylvania control) must come out as printed. Row 2 (the
wave-2 NJ - PA difference) goes through a post-only comparison: the registry has to call that design
'randomised' to get it, which the minimum-wage rise was not, so that chain only pins the numbers.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from value_pipeline.adapters.card_krueger import read_card_krueger, to_observations, write_observations_csv
from value_pipeline.contracts import load_contracts
from value_pipeline.landing import load_source, write_registry
from value_pipeline.registry import load_registry
from value_pipeline.value_chains import estimate_value_chains

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "realdata" / "card_krueger" / "public.dat"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"real data not found at {DATA}")

CHAINS = {
    # chain id: (design, temporarily closed stores at FTE 0 after)
    "CK_ROW4": ("diff_in_diff", False),
    "CK_ROW5": ("diff_in_diff", True),
    "CK_ROW2": ("randomised", False),
}


def _registry_entry(chain_id: str, design: str) -> dict:
    return {
        "id": chain_id,
        "name": f"Card & Krueger (1994) Table 3, {chain_id}",
        "insight": {
            "text": "fast-food employment may not fall after a minimum-wage rise",
            "evidence_source": "economics",
        },
        "action": {
            "text": "raised the New Jersey minimum wage from $4.25 to $5.05",
            "kind": "intervention",
            "start_date": "1992-04-01",
            "owner": "state.of.new.jersey",
        },
        "metric": "fte",
        "metric_class": "business",
        "direction": "higher_is_better",
        "design": {"type": design, "evidence": "observations"},
    }


@pytest.fixture(scope="module")
def estimates(tmp_path_factory) -> pd.DataFrame:
    landing = tmp_path_factory.mktemp("ck_landing")
    registry = yaml.safe_load(
        (ROOT / "assets" / "registry" / "demo_registry.yml").read_text(encoding="utf-8")
    )
    registry["value_chains"] += [
        _registry_entry(chain_id, design) for chain_id, (design, _) in CHAINS.items()
    ]
    (landing / "registry").mkdir()
    (landing / "registry" / "registry.yml").write_text(
        yaml.safe_dump(registry, sort_keys=False), encoding="utf-8"
    )
    stores = read_card_krueger(DATA)
    for chain_id, (_, closed_as_zero) in CHAINS.items():
        write_observations_csv(
            to_observations(stores, chain_id, closed_as_zero), landing, chain_id, "1992-12-31"
        )

    con = duckdb.connect()
    reg = load_registry(landing)
    write_registry(con, reg)
    result = load_source(con, landing, load_contracts()["observations"], source_time_zone="UTC")
    assert result.quarantined == 0 and result.accepted == len(con.sql("select * from raw.observations").df())
    # The shapes of int_value_chains and int_value_chain_observations, from the raw tables.
    chains = con.sql(
        """
        select
            *,
            'USD' as reporting_currency,
            cast(null as double) as unit_value_reporting,
            cast(null as double) as action_cost_reporting
        from raw.registry_value_chains
        where value_chain_id like 'CK_%'
        """
    ).df()
    evidence = con.sql(
        """
        select value_chain_id, unit_id, unit_id as cluster_id, group_name, period, metric_value, weight
        from raw.observations
        """
    ).df()
    return estimate_value_chains(chains, evidence).set_index("value_chain_id")


def _printed(value: float) -> float:
    return round(value, 2)


@pytest.mark.parametrize(
    ("chain_id", "n_nj", "nj_change", "did"),
    [("CK_ROW4", 309, 0.47, (2.75, 1.34)), ("CK_ROW5", 313, 0.23, (2.51, 1.35))],
)
def test_table3_difference_in_differences(estimates, chain_id, n_nj, nj_change, did):
    row = estimates.loc[chain_id]
    assert row["estimator"] == "panel_difference_in_differences"
    assert row["evidence_grade"] == "diff_in_diff" and row["is_causal"]
    assert (row["n_treatment_pre"], row["n_treatment_post"]) == (n_nj, n_nj)
    assert (row["n_control_pre"], row["n_control_post"]) == (75, 75)
    assert _printed(row["mean_treatment_post"] - row["mean_treatment_pre"]) == nj_change
    assert _printed(row["mean_control_post"] - row["mean_control_pre"]) == -2.28
    assert (_printed(row["estimate"]), _printed(row["std_error"])) == did
    assert row["control_clusters"] == 75
    assert "difference-in-differences against 75 control units" in row["result_sentence"]
    # No exposure or unit value in the registry: no money, and the reason says so.
    assert pd.isna(row["business_impact"])
    assert (
        row["business_impact_null_reason"]
        == "the registry gives no exposure or unit_value for this value chain"
    )


def test_table3_row2_post_only_comparison(estimates):
    row = estimates.loc["CK_ROW2"]
    assert row["estimator"] == "welch_difference_in_means"
    assert (row["n_treatment_post"], row["n_control_post"]) == (319, 77)
    assert (_printed(row["mean_treatment_post"]), _printed(row["mean_control_post"])) == (21.03, 21.17)
    assert _printed(row["estimate"]) == -0.14
    # Printed 1.07; the data give 1.0772 (see tests/unit/test_card_krueger.py).
    assert row["std_error"] == pytest.approx(1.0772, abs=5e-5)
