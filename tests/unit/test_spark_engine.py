"""The Spark engine's pure parts: the session settings read from profiles.yml and partition literals."""

from datetime import date, datetime

import pytest

from value_pipeline.engines.spark import profile_spark_conf, quote, sql_literal


def test_the_engine_opens_spark_with_the_settings_of_the_dbt_profile():
    conf = profile_spark_conf("spark", {"VALUE_PIPELINE_SPARK_DIR": "/srv/spark"})
    # The same warehouse directory and metastore as dbt, or the engine would load tables dbt never sees.
    assert conf["spark.sql.warehouse.dir"] == "/srv/spark/warehouse"
    assert "-Dderby.system.home=/srv/spark/derby" in conf["spark.driver.extraJavaOptions"]
    assert conf["spark.sql.session.timeZone"] == "UTC"
    # dbt-spark forces ANSI mode off in its sessions; the engine must compute the same way.
    assert conf["spark.sql.ansi.enabled"] == "false"


def test_a_remote_spark_target_is_refused():
    with pytest.raises(ValueError, match="remote Spark"):
        profile_spark_conf("spark_thrift", {})


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (date(2025, 1, 31), "date'2025-01-31'"),
        (datetime(2025, 1, 31, 8, 5, 1, 250), "timestamp'2025-01-31 08:05:01.000250'"),
        (True, "true"),
        (7, "7"),
        (0.5, "0.5"),
        ("workflow_events", "'workflow_events'"),
        ("it's a \\ path", "'it\\'s a \\\\ path'"),
    ],
)
def test_partition_values_become_spark_literals(value, literal):
    assert sql_literal(value) == literal


def test_identifiers_are_quoted_with_backticks():
    assert quote("raw") == "`raw`"
    assert quote("odd`name") == "`odd``name`"
