"""The run summary says which sources delivered nothing and which KPIs and marts are empty, and why,
from the load audit and the dbt lineage (the manifest's parent map)."""

from __future__ import annotations

import duckdb

from value_pipeline.contracts import load_contracts
from value_pipeline.summary import empty_for_want_of_data, upstream_sources

PROJECT = "model.value_pipeline"
MANIFEST = {
    "sources": {
        "source.value_pipeline.finance.finance_benefits": {"name": "finance_benefits"},
        "source.value_pipeline.finance.finance_fx_rates": {"name": "finance_fx_rates"},
        "source.value_pipeline.workflow_events.workflow_events": {"name": "workflow_events"},
    },
    "parent_map": {
        f"{PROJECT}.int_kpi_value_tracked_daily": ["source.value_pipeline.finance.finance_benefits"],
        f"{PROJECT}.int_kpi_sla_compliance_daily": [f"{PROJECT}.int_cases"],
        f"{PROJECT}.int_cases": ["source.value_pipeline.workflow_events.workflow_events"],
        f"{PROJECT}.fct_value_tracked": [f"{PROJECT}.int_value", f"{PROJECT}.int_cases"],
        f"{PROJECT}.int_value": [
            "source.value_pipeline.finance.finance_fx_rates",
            "source.value_pipeline.finance.finance_benefits",
        ],
        f"{PROJECT}.dim_date": [f"{PROJECT}.int_cases"],
        f"{PROJECT}.fct_case_windows": [f"{PROJECT}.int_cases"],
    },
    "nodes": {
        f"{PROJECT}.{name}": {"name": name, "resource_type": "model", "schema": schema}
        for name, schema in [
            ("fct_value_tracked", "marts"),
            ("dim_date", "marts"),
            ("fct_case_windows", "marts"),
            ("fct_kpi_daily", "marts"),
            ("int_cases", "intermediate"),
        ]
    },
}


def test_upstream_sources_follow_models_to_their_sources():
    assert upstream_sources(MANIFEST, f"{PROJECT}.fct_value_tracked") == {
        "finance_fx_rates",
        "finance_benefits",
        "workflow_events",
    }


def test_empty_kpis_and_marts_name_the_sources_without_data():
    con = duckdb.connect()
    con.execute("create schema raw; create schema marts")
    con.execute("create table raw.load_audit (source varchar, accepted_rows bigint)")
    # workflow_events delivered rows; finance_benefits delivered only quarantined rows.
    con.execute("insert into raw.load_audit values ('workflow_events', 7), ('finance_benefits', 0)")
    con.execute("create table raw.registry_kpis (kpi_id varchar, definition varchar)")
    con.execute(
        "insert into raw.registry_kpis values ('automation_coverage', 'a'), ('value_tracked', 'b'), "
        "('sla_compliance', 'Resolved cases within their SLA')"
    )
    con.execute("create table marts.fct_kpi_daily as select 'automation_coverage' as kpi_id")
    con.execute("create table marts.fct_value_tracked (x int)")
    con.execute("create table marts.fct_case_windows (x int)")
    con.execute("create table marts.dim_date as select 1 as x")

    no_data, empty = empty_for_want_of_data(con, MANIFEST)
    assert no_data == [c.name for c in load_contracts().values() if c.name != "workflow_events"]
    assert empty == [
        (
            "KPI",
            "sla_compliance",
            "no case or use case qualifies; it counts: Resolved cases within their SLA",
        ),
        ("KPI", "value_tracked", "reads sources without data: finance_benefits"),
        ("mart", "fct_case_windows", "its sources have data; none of it qualifies"),
        ("mart", "fct_value_tracked", "reads sources without data: finance_benefits, finance_fx_rates"),
    ]
