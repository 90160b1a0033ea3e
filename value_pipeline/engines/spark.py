"""A Spark warehouse (local ``dbt-spark[session]`` in CI; a Spark Thrift server or Databricks in use).

The Python steps get a SparkSession with the ``server_side_parameters`` of the same profiles.yml
output dbt builds with, so both see one warehouse directory and one metastore. Frames cross the
Python/JVM border as Parquet files (pyarrow writes, Spark reads, and back), which keeps every column
type exact and needs no pandas support from PySpark.

A local metastore is an embedded Derby database that one JVM at a time may open, and dbt (run as a
subprocess by dagster-dbt) starts its own JVM: ``close()`` therefore stops the session *and* its JVM,
so the loaders must close the engine before dbt runs (the Dagster steps do, one engine per step).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import jinja2
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from value_pipeline.config import DBT_PROJECT_DIR
from value_pipeline.engines.base import Engine
from value_pipeline.engines.types import sql_type

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from value_pipeline.config import Settings

# What dbt-spark adds to every session it opens (dbt/adapters/spark/connections.py).
DBT_SPARK_FORCED = {"spark.sql.ansi.enabled": "false"}
JAVA_HOME_DEBIAN = Path("/usr/lib/jvm/java-17-openjdk-amd64")


def profile_spark_conf(
    target: str = "spark", environ: Mapping[str, str] | None = None, profiles_dir: Path = DBT_PROJECT_DIR
) -> dict[str, str]:
    """The Spark settings dbt's ``target`` output opens its session with, its env_var() calls
    rendered from ``environ`` (default: this process's environment)."""
    environ = os.environ if environ is None else environ
    profiles = yaml.safe_load((profiles_dir / "profiles.yml").read_text())
    output = profiles["value_pipeline"]["outputs"][target]
    if output.get("method") != "session":
        raise ValueError(
            f"dbt target {target!r} connects to a remote Spark ({output.get('method')}); the Python steps "
            "need a local session (method: session) or another engine"
        )

    def env_var(name: str, default: str | None = None) -> str:
        value = environ.get(name, default)
        if value is None:
            raise KeyError(f"profiles.yml needs the environment variable {name}")
        return value

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    conf = {
        str(key): jinja.from_string(str(value)).render(env_var=env_var)
        for key, value in (output.get("server_side_parameters") or {}).items()
    }
    return conf | DBT_SPARK_FORCED


def java_environment() -> None:
    """JAVA_HOME and a loopback driver address, unless the environment already sets them."""
    if "JAVA_HOME" not in os.environ and JAVA_HOME_DEBIAN.exists():
        os.environ["JAVA_HOME"] = str(JAVA_HOME_DEBIAN)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def sql_literal(value: object) -> str:
    """A Spark SQL literal for a partition value (dates, timestamps, numbers, strings, NULL)."""
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return f"timestamp'{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date'{value.isoformat()}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SparkEngine(Engine):
    """Parquet tables in the Spark metastore; partitions replaced with INSERT OVERWRITE."""

    name = "spark"

    def __init__(self, conf: Mapping[str, str], dbt_target: str = "spark") -> None:
        self.conf = dict(conf)
        self.dbt_target = dbt_target
        self._session: SparkSession | None = None
        self._scratch = Path(tempfile.mkdtemp(prefix="value-pipeline-spark-"))

    @classmethod
    def from_env(cls, settings: Settings | None = None, target: str = "spark") -> SparkEngine:
        """The engine of the profiles.yml output ``target`` (``settings``: unused, as engine_for passes)."""
        return cls(profile_spark_conf(target), dbt_target=target)

    @property
    def session(self) -> SparkSession:
        """The SparkSession, started on first use (a JVM start-up: 10-70 s measured)."""
        if self._session is None:
            java_environment()
            from pyspark.sql import SparkSession

            builder = SparkSession.builder.appName("value-pipeline").enableHiveSupport()
            builder = builder.config("spark.ui.showConsoleProgress", "false")
            for key, value in self.conf.items():
                builder = builder.config(key, value)
            self._session = builder.getOrCreate()
            self._session.sparkContext.setLogLevel("ERROR")
        return self._session

    def _sql(self, statement: str):
        return self.session.sql(statement)

    def _columns(self, schema: str, table: str) -> tuple[list[str], list[str]]:
        """Every column of ``schema.table`` in table order, and its partition columns."""
        columns = self.session.catalog.listColumns(f"{quote(schema)}.{quote(table)}")
        return [c.name for c in columns], [c.name for c in columns if c.isPartition]

    def _exists(self, schema: str, table: str) -> bool:
        return self.session.catalog.tableExists(f"{quote(schema)}.{quote(table)}")

    def _frame_view(self, frame: pa.Table, view: str) -> None:
        """Expose ``frame`` to Spark SQL as the temporary view ``view`` (through a Parquet file)."""
        folder = self._scratch / view
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        # Microsecond timestamps: Spark does not read Parquet nanoseconds.
        pq.write_table(
            frame, folder / "part-0.parquet", coerce_timestamps="us", allow_truncated_timestamps=False
        )
        self.session.read.parquet(str(folder)).createOrReplaceTempView(view)

    def write_table(
        self,
        schema: str,
        table: str,
        frame: pa.Table,
        replace_where: Mapping[str, object] | None = None,
    ) -> None:
        target = f"{quote(schema)}.{quote(table)}"
        keys = list(replace_where or {})
        self._sql(f"create database if not exists {quote(schema)}")
        if not self._exists(schema, table):
            # A table written by partition is partitioned by the keys it is replaced by.
            columns = [f for f in frame.schema if f.name not in keys] + [frame.schema.field(k) for k in keys]
            ddl = ", ".join(f"{quote(f.name)} {sql_type(f.type, 'spark')}" for f in columns)
            partitioned = f" partitioned by ({', '.join(quote(k) for k in keys)})" if keys else ""
            self._sql(f"create table {target} ({ddl}) using parquet{partitioned}")
        columns, partitions = self._columns(schema, table)
        missing = set(columns) ^ set(frame.column_names)
        if missing:
            raise ValueError(
                f"{schema}.{table}: the frame's columns differ from the table's: {sorted(missing)}"
            )
        view = f"_frame_{schema}_{table}"
        self._frame_view(frame, view)
        if not keys:
            select = ", ".join(quote(c) for c in columns)
            self._sql(f"insert overwrite table {target} select {select} from {view}")
        elif partitions == keys:
            spec = ", ".join(f"{quote(k)} = {sql_literal(replace_where[k])}" for k in keys)
            select = ", ".join(quote(c) for c in columns if c not in keys)
            self._sql(f"insert overwrite table {target} partition ({spec}) select {select} from {view}")
        else:
            self._rewrite(target, columns, view, replace_where)
        self.session.catalog.dropTempView(view)

    def _rewrite(
        self, target: str, columns: list[str], view: str, replace_where: Mapping[str, object]
    ) -> None:
        """Replace matching rows of a table not partitioned by the keys: the kept rows plus ``view``
        go to a staging table first (Spark cannot overwrite a table it reads from)."""
        select = ", ".join(quote(c) for c in columns)
        match = " and ".join(f"{quote(k)} <=> {sql_literal(v)}" for k, v in replace_where.items())
        staging = f"{target[:-1]}__replacing`"
        self._sql(f"drop table if exists {staging}")
        self._sql(
            f"create table {staging} using parquet as select {select} from {target} where not ({match})"
            f" union all select {select} from {view}"
        )
        self._sql(f"insert overwrite table {target} select {select} from {staging}")
        self._sql(f"drop table {staging}")

    def _export(self, dataframe) -> pd.DataFrame:
        """A Spark DataFrame as pandas, read back through Parquet by DuckDB (the DuckDB engine's dtypes)."""
        folder = self._scratch / "export"
        shutil.rmtree(folder, ignore_errors=True)
        self.session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        dataframe.coalesce(1).write.parquet(str(folder))
        with duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            frame = con.execute(f"select * from read_parquet('{folder}/*.parquet')").df()
        # Spark's TIMESTAMP is UTC-adjusted in Parquet: give back naive UTC, as the other engines do.
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
        return frame

    def read_table(self, schema: str, table: str) -> pd.DataFrame:
        target = f"{quote(schema)}.{quote(table)}"
        columns, _ = self._columns(schema, table)
        return self._export(self._sql(f"select {', '.join(quote(c) for c in columns)} from {target}"))

    def query(self, sql: str) -> pd.DataFrame:
        return self._export(self._sql(sql))

    def column_types(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> Spark type name (``string``, ``double``, ``decimal(18,2)``), in table order."""
        columns = self.session.catalog.listColumns(f"{quote(schema)}.{quote(table)}")
        return {c.name: c.dataType for c in columns}

    def execute(self, sql: str) -> None:
        self._sql(sql).collect()

    def close(self) -> None:
        """Stop the session and its JVM, which releases the embedded metastore for the next process."""
        if self._session is not None:
            from pyspark import SparkContext

            self._session.stop()
            gateway = SparkContext._gateway
            if gateway is not None:
                gateway.shutdown()
                # The JVM exits when its stdin closes (PythonGatewayServer).
                gateway.proc.stdin.close()
                gateway.proc.wait()
                SparkContext._gateway = None
                SparkContext._jvm = None
            self._session = None
        shutil.rmtree(self._scratch, ignore_errors=True)
