"""Dagster wiring: every module here contributes definitions; ``value_pipeline.definitions`` loads them."""
