"""The no-control-group designs from the registry through the observations landing into the estimates.

A landing root whose registry adds three chains to the demo registry: mpdta as a staggered rollout
(the published table of tests/unit/test_staggered_adoption.py), California's Proposition 99 as a
synthetic control, and a monthly series with a known level and slope change as a before/after chain,
which its 24 dated pre-periods turn into an interrupted time series. The loader validates the
observations into raw.observations; value_pipeline.value_chains estimates each chain from what was
loaded and writes the estimates and the designs' detail tables.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from value_pipeline.contracts import load_contracts
from value_pipeline.landing import load_source, write_registry
from value_pipeline.registry import load_registry
from value_pipeline.value_chains import estimate_with_details, write_estimates

md = pytest.importorskip("moderndid")

ROOT = Path(__file__).resolve().parents[2]
PROP99 = ROOT / "tests" / "published" / "california_prop99.csv"


def _chain(chain_id: str, design: dict, metric: str, direction: str = "higher_is_better") -> dict:
    return {
        "id": chain_id,
        "name": chain_id,
        "insight": {"text": "the action should move the metric", "evidence_source": "published data"},
        "action": {
            "text": "took the action",
            "kind": "intervention",
            "start_date": "2004-01-01",
            "owner": "a",
        },
        "metric": metric,
        "metric_class": "business",
        "direction": direction,
        "design": design,
        "unit_value": 10.0,
        "unit_value_currency": "USD",
        "exposure": 100.0,
    }


def _mpdta_rows() -> pd.DataFrame:
    data = md.load_mpdta().to_pandas()
    treated = data["first.treat"] > 0
    return pd.DataFrame(
        {
            "value_chain_id": "STAGGERED",
            "unit_id": data["countyreal"].astype(str),
            "group": np.where(treated, "treatment", "control"),
            "period": np.where(treated & (data["year"] >= data["first.treat"]), "post", "pre"),
            "metric": "lemp",
            "value": data["lemp"],
            "observed_on": data["year"].astype(str) + "-01-01",
        }
    )


def _prop99_rows() -> pd.DataFrame:
    wide = pd.read_csv(PROP99).melt(id_vars="Year", var_name="state", value_name="packs")
    california = wide["state"] == "California"
    return pd.DataFrame(
        {
            "value_chain_id": "SYNTHETIC",
            "unit_id": wide["state"],
            "group": np.where(california, "treatment", "control"),
            "period": np.where(california & (wide["Year"] >= 1989), "post", "pre"),
            "metric": "packs_per_capita",
            "value": wide["packs"],
            "observed_on": wide["Year"].astype(str) + "-07-01",
        }
    )


def _series_rows() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    months = pd.date_range("2022-01-01", periods=36, freq="MS")
    t = np.arange(36)
    post = t >= 24
    value = 50 + 0.1 * t + post * (-6.0 - 0.25 * (t - 24)) + rng.normal(0, 0.5, 36)
    return pd.DataFrame(
        {
            "value_chain_id": "SERIES",
            "unit_id": "service_desk",
            "group": "treatment",
            "period": np.where(post, "post", "pre"),
            "metric": "handle_minutes",
            "value": value,
            "observed_on": months.strftime("%Y-%m-%d"),
        }
    )


@pytest.fixture(scope="module")
def estimated(tmp_path_factory):
    landing = tmp_path_factory.mktemp("designs_landing")
    registry = yaml.safe_load(
        (ROOT / "assets" / "registry" / "demo_registry.yml").read_text(encoding="utf-8")
    )
    registry["value_chains"] += [
        _chain("STAGGERED", {"type": "staggered_adoption", "evidence": "observations"}, "lemp"),
        # The windows also tell the loader that data from 1970 are plausible for this registry.
        _chain(
            "SYNTHETIC",
            {
                "type": "synthetic_control",
                "evidence": "observations",
                "pre_window": ["1970-01-01", "1988-12-31"],
                "post_window": ["1989-01-01", "2000-12-31"],
            },
            "packs_per_capita",
            "lower_is_better",
        ),
        _chain(
            "SERIES",
            {"type": "before_after", "evidence": "observations"},
            "handle_minutes",
            "lower_is_better",
        ),
    ]
    (landing / "registry").mkdir()
    (landing / "registry" / "registry.yml").write_text(
        yaml.safe_dump(registry, sort_keys=False), encoding="utf-8"
    )
    folder = landing / "observations" / "dt=2026-01-01"
    folder.mkdir(parents=True)
    for rows in (_mpdta_rows(), _prop99_rows(), _series_rows()):
        rows.to_csv(folder / f"{rows['value_chain_id'].iloc[0]}.csv", index=False)

    con = duckdb.connect()
    write_registry(con, load_registry(landing))
    result = load_source(con, landing, load_contracts()["observations"], source_time_zone="UTC")
    assert result.quarantined == 0
    chains = con.sql(
        """
        select
            *,
            'USD' as reporting_currency,
            unit_value as unit_value_reporting,
            0.0 as action_cost_reporting
        from raw.registry_value_chains
        where value_chain_id in ('STAGGERED', 'SYNTHETIC', 'SERIES')
        """
    ).df()
    evidence = con.sql(
        """
        select
            value_chain_id, unit_id, unit_id as cluster_id, group_name, period, observed_on,
            metric_value, weight
        from raw.observations
        """
    ).df()
    frame, details = estimate_with_details(chains, evidence)
    write_estimates(con, frame, details)
    return con, frame.set_index("value_chain_id")


def test_staggered_chain(estimated):
    con, frame = estimated
    row = frame.loc["STAGGERED"]
    assert row["status"] == "estimated" and row["evidence_grade"] == "staggered_adoption" and row["is_causal"]
    assert row["estimator"] == "callaway_santanna_simple_never_treated"
    assert round(row["estimate"], 4) == -0.0400
    assert round(row["pretrend_p_value"], 3) == 0.174  # Hotelling's F; R did's chi-square gives 0.16812
    assert round(row["naive_twfe_estimate"], 4) == -0.0365
    assert row["result_sentence"].startswith(
        "This action resulted in a 0.7% reduction in lemp (95% CI 0.3% to 1.0%"
    )
    assert (
        "staggered adoption: 191 units adopting in 3 cohorts, against 309 never-treated units"
        in row["result_sentence"]
    )
    assert "pre-trend test p = 0.17; assuming without the action, each cohort" in row["result_sentence"]
    assert row["design_assumption"].startswith("without the action, each cohort")
    # Money carries the interval: 10 USD x 100 units per unit of improvement.
    assert row["business_impact"] == pytest.approx(1000 * row["estimate"])
    effects = con.sql("select * from stats.value_chain_staggered_effects").df()
    assert effects.groupby("aggregation").size().to_dict() == {"cohort": 3, "event_time": 7, "group_time": 12}
    cell = effects[(effects.aggregation == "group_time") & (effects.cohort == pd.Timestamp("2004-01-01"))]
    assert cell.set_index("period")["estimate"].round(4).tolist() == [-0.0105, -0.0704, -0.1373, -0.1008]


def test_synthetic_chain(estimated):
    con, frame = estimated
    row = frame.loc["SYNTHETIC"]
    assert row["evidence_grade"] == "synthetic_control" and row["is_causal"]
    assert round(row["estimate"], 2) == -19.51
    assert round(row["pre_rmspe"], 3) == 1.656 and row["placebo_p_value"] == pytest.approx(3 / 39)
    assert (
        "synthetic control of one unit from 38 donor units, pre-period RMSPE 1.66, placebo p = 0.08"
        in (row["result_sentence"])
    )
    # Fewer packs is better: the improvement is the reduction.
    assert row["improvement"] == pytest.approx(-row["estimate"])
    weights = con.sql(
        "select unit_id, weight from stats.value_chain_synthetic_weights where weight > 1e-9"
    ).df()
    assert weights.set_index("unit_id")["weight"].round(3).to_dict()["Utah"] == 0.394
    assert con.sql("select sum(weight) from stats.value_chain_synthetic_weights").fetchone()[
        0
    ] == pytest.approx(1)
    gaps = con.sql("select * from stats.value_chain_period_gaps where value_chain_id = 'SYNTHETIC'").df()
    assert len(gaps) == 31 and gaps.loc[gaps.is_post, "gap"].mean() == pytest.approx(row["estimate"])


def test_before_after_with_a_long_pre_period_becomes_a_time_series(estimated):
    con, frame = estimated
    row = frame.loc["SERIES"]
    assert row["evidence_grade"] == "interrupted_time_series" and not row["is_causal"]
    truth = -6.0 - 0.25 * np.arange(12).mean()
    assert row["ci_low"] < truth < row["ci_high"]
    assert row["hac_lags"] == 3
    assert "24 dated pre-periods (at least 8): an interrupted time series, not before/after" in row["notes"]
    assert row["result_sentence"].startswith("This action was followed by")
    assert row["result_sentence"].endswith("not evidence that the action caused it)")
    assert row["impact_sentence"].startswith("Only if the action caused the whole change")
    gaps = con.sql(
        "select count(*) from stats.value_chain_period_gaps where value_chain_id = 'SERIES'"
    ).fetchone()
    assert gaps == (36,)


def test_observations_key_includes_the_date(tmp_path):
    """A panel's rows differ by observed_on; the same unit, period, metric and date twice is a duplicate."""
    folder = tmp_path / "observations" / "dt=2026-01-01"
    folder.mkdir(parents=True)
    header = "value_chain_id,unit_id,group,period,metric,value,observed_on"
    lines = [
        "VC01,u1,treatment,pre,handle_minutes,8.0,2025-10-01",
        "VC01,u1,treatment,pre,handle_minutes,8.2,2025-11-01",  # another month: kept
        "VC01,u1,treatment,pre,handle_minutes,9.9,2025-11-01",  # the same month again: quarantined
        "VC01,u2,control,pre,handle_minutes,7.0,",
        "VC01,u2,control,pre,handle_minutes,7.5,",  # no date twice: still a duplicate
    ]
    (folder / "panel.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    (tmp_path / "registry").mkdir()
    shutil.copyfile(
        ROOT / "assets" / "registry" / "demo_registry.yml", tmp_path / "registry" / "registry.yml"
    )
    con = duckdb.connect()
    write_registry(con, load_registry(tmp_path))
    result = load_source(con, tmp_path, load_contracts()["observations"], source_time_zone="UTC")
    assert (result.accepted, result.quarantined) == (3, 2)
    reasons = con.sql("select source_line, reason from raw.quarantine order by source_line").fetchall()
    duplicate = "duplicate key (value_chain_id, unit_id, period, metric, observed_on) within the delivery"
    assert reasons == [(4, duplicate), (6, duplicate)]


def _warehouse_cases(seed: int = 5) -> pd.DataFrame:
    """Cases of one treatment team, 10 months before and 4 after the action, 3-12 cases a month."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in range(14):
        for case in range(int(rng.integers(3, 13))):
            rows.append(
                {
                    "unit_id": f"C{month}-{case}",
                    "cluster_id": "T1",
                    "group_name": "treatment",
                    "period": "post" if month >= 10 else "pre",
                    "metric_value": float(rng.lognormal(2.5, 0.6)) * (0.8 if month >= 10 else 1.0),
                    "observed_on": pd.Timestamp("2025-01-01") + pd.DateOffset(months=month, days=case),
                }
            )
    return pd.DataFrame(rows)


def test_warehouse_time_series_error_is_the_cases_sampling_error():
    """The time series on warehouse cases: team-month means, and the standard error from the cases'
    sampling noise equal to the OLS algebra (average post mean minus the pre line carried to the post
    months' mean time) when it is the larger one."""
    from value_pipeline.value_chains import case_sampling_se, run_estimator, team_months

    cases = _warehouse_cases()
    months = team_months(cases).sort_values("observed_on", ignore_index=True)
    assert len(months) == 14 and months["cases"].sum() == len(cases)
    pre, post = months[months["period"] == "pre"], months[months["period"] == "post"]
    x_pre, x_post = np.arange(len(pre)), np.arange(len(pre), len(months))
    centred = x_pre - x_pre.mean()
    weights_pre = 1 / len(pre) + (x_post.mean() - x_pre.mean()) * centred / (centred**2).sum()
    estimate = post["metric_value"].mean() - weights_pre @ pre["metric_value"].to_numpy()
    noise = months["variance"] / months["cases"]
    sampling = np.sqrt((noise[post.index] / len(post) ** 2).sum() + (weights_pre**2 * noise[pre.index]).sum())

    on_means = run_estimator(months, "interrupted_time_series", "observations")
    assert on_means.estimate.estimate == pytest.approx(estimate, rel=1e-9)
    design = lambda rows: run_estimator(rows, "interrupted_time_series", "observations")  # noqa: E731
    assert case_sampling_se(months, design) == pytest.approx(sampling, rel=1e-6)

    run = run_estimator(cases, "interrupted_time_series", "warehouse")
    assert run.estimate.estimate == pytest.approx(estimate, rel=1e-9)
    larger = max(sampling, on_means.estimate.std_error)
    assert run.estimate.std_error == pytest.approx(larger, rel=1e-6)
    assert run.estimate.ci_low < run.estimate.estimate < run.estimate.ci_high
