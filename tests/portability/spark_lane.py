"""The Spark lane: the landed demo built on local Spark (dbt-spark's session method, the stand-in for
Databricks), as one more engine of the reconciliation tests (conftest.py imports the fixture).

Spark's local metastore is an embedded Derby database that one JVM at a time may open: the harness
closes the engine (its JVM with it) before each dbt run, which starts its own.
"""

import os

import pytest

from tests.portability import harness


@pytest.fixture(scope="session")
def spark_build(landed):
    pytest.importorskip("pyspark", reason="the Spark lane needs the [spark] extra (make install)")
    from value_pipeline.engines.spark import SparkEngine, java_environment, profile_spark_conf

    java_environment()
    env = {
        "VALUE_PIPELINE_TARGET": "spark",
        "VALUE_PIPELINE_SPARK_DIR": str(landed / "spark"),
    }
    conf = profile_spark_conf("spark", {**os.environ, **env})
    result = harness.build(lambda: SparkEngine(conf), landed / "staging.duckdb", env, landed)
    yield result
    result.engine.close()
