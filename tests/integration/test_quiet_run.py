"""A quiet run (the default of `value-pipeline run`, as the demo run here) writes dbt's stream to its log."""

import pytest

from value_pipeline.progress import dbt_log_path

pytestmark = pytest.mark.integration


def test_the_dbt_stream_of_a_quiet_run_is_in_its_log_file(settings, demo_run):
    log = dbt_log_path(settings.warehouse_path, demo_run.run_id)
    lines = log.read_text().splitlines()
    built = [line for line in lines if " OK created " in line]
    tests = [line for line in lines if " PASS " in line]
    assert len(built) > 50 and len(tests) > 100, f"{log}: {len(built)} models, {len(tests)} tests"
    assert sum("Finished running" in line for line in lines) == 2, "both dbt steps log into the one file"
