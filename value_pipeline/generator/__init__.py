"""Deterministic demo data: a landing zone consistent with a registry, plus its ground truth."""

from value_pipeline.generator.build import DEFAULT_REGISTRY, generate
from value_pipeline.generator.profiles import SIZE_PRESETS

__all__ = ["DEFAULT_REGISTRY", "SIZE_PRESETS", "generate"]
