"""The dbt resource answers dagster-dbt's start-up questions without a subprocess or an adapter."""

import subprocess

from dagster_dbt import DbtCliResource

from value_pipeline.defs.dbt import DBT_EXECUTABLE, LocalDbtCliResource, dbt_cli_resource


def test_the_resource_overrides_members_dagster_dbt_still_has():
    """An upgrade of dagster-dbt that renames them would bring the start-up costs back unnoticed."""
    for member in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert member in vars(DbtCliResource), member
        assert member in vars(LocalDbtCliResource), member


def test_the_version_is_the_one_the_executable_reports():
    resource = dbt_cli_resource()
    reported = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True).stdout
    assert f"installed: {resource._cli_version}" in reported, reported
    assert resource._initialize_dbt_core_adapter(["build"]) is None
