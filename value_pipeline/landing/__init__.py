"""Landing zone: discover, read, validate and load delivered files into the raw layer."""

from value_pipeline.landing.discovery import LandingError, LandingFile, discover, event_partitions
from value_pipeline.landing.loader import (
    LoadResult,
    ensure_raw_tables,
    load_landing,
    load_source,
    write_registry,
)

__all__ = [
    "LandingError",
    "LandingFile",
    "LoadResult",
    "discover",
    "ensure_raw_tables",
    "event_partitions",
    "load_landing",
    "load_source",
    "write_registry",
]
