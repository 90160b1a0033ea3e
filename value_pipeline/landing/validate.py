"""Check a landing root against its contracts without touching the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from value_pipeline.contracts import load_contracts
from value_pipeline.landing.discovery import REFUSE, LandingError, NotLoaded, orphan_error, survey
from value_pipeline.landing.loader import LoadResult, ensure_raw_tables, load_source, write_registry
from value_pipeline.registry import RegistryError, load_registry


@dataclass
class SourceReport:
    """Validation outcome of one contract: counts, quarantine reasons, or the file-level error."""

    source: str
    result: LoadResult | None = None
    error: str | None = None


@dataclass
class LandingReport:
    """Validation outcome of a whole landing root."""

    landing_root: Path
    registry_error: str | None = None
    rejected_value_chains: list[tuple[str, str]] = field(default_factory=list)
    sources: list[SourceReport] = field(default_factory=list)
    # Every file under the landing root that no load reads, with why (docs/bad_inputs.md, Discovery).
    not_loaded: list[NotLoaded] = field(default_factory=list)
    # A refused file outside every contract folder (e.g. in a misspelt folder).
    landing_error: str | None = None
    policy: str = REFUSE

    @property
    def ok(self) -> bool:
        return (
            self.registry_error is None
            and self.landing_error is None
            and all(s.error is None for s in self.sources)
        )

    def refused(self, file: NotLoaded) -> bool:
        return file.refused(self.policy)


def validate_landing(landing_root: Path) -> LandingReport:
    """Run every loader against an in-memory database: the same rules as a load, nothing written."""
    report = LandingReport(landing_root=landing_root)
    try:
        registry = load_registry(landing_root)
    except RegistryError as exc:
        report.registry_error = str(exc)
        return report
    report.rejected_value_chains = registry.rejected_value_chains
    report.policy = registry.settings.get("unplaced_data_files", REFUSE)
    _, report.not_loaded = survey(landing_root, load_contracts().values())
    report.landing_error = orphan_error(report.not_loaded, report.policy)
    with duckdb.connect(":memory:") as con:
        con.execute("set TimeZone = 'UTC'")
        write_registry(con, registry)
        ensure_raw_tables(con)
        for name, contract in load_contracts().items():
            try:
                result = load_source(
                    con,
                    landing_root,
                    contract,
                    source_time_zone=registry.settings["source_time_zone"],
                    unplaced_data_files=report.policy,
                )
                report.sources.append(SourceReport(name, result=result))
            except LandingError as exc:
                report.sources.append(SourceReport(name, error=str(exc)))
    return report
