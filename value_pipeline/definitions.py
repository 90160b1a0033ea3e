"""The code location: every definition under ``value_pipeline/defs/``."""

import dagster as dg

import value_pipeline.defs

defs = dg.load_defs(defs_root=value_pipeline.defs)
