"""Warehouse engines: DuckDB (default), PostgreSQL and Spark, chosen by VALUE_PIPELINE_TARGET."""

from value_pipeline.engines.base import TARGET_ENV, TARGETS, Engine, current_target, engine_for

__all__ = ["TARGETS", "TARGET_ENV", "Engine", "current_target", "engine_for"]
