"""What a nightly run materializes: the ingest assets whose deliveries changed and everything downstream.

A run of one day (or a range of days) selects

- an event source when one of the run's days has a ``dt=`` folder of it;
- the registry or a snapshot source (finance, HR roster) when the fingerprint of its files differs
  from the one recorded by its last load, or that load was not part of a finished nightly run;

then every asset downstream of those (Dagster's asset graph, so dagster-dbt builds only the dbt
models and tests they feed), plus the freshness check of every event source, which must run
whether or not its day arrived. A source nobody changed keeps its tables, and so does every model
fed only by such sources.

Everything is selected instead when the run covers the whole landing (no day given), when no finished
nightly run was recorded, when there is no warehouse file yet, or when the code or the engine differ
from those of the last finished one (the build fingerprint, a run tag): a changed model is rebuilt
even if no input changed. The Dagster instance is the record: a warehouse file replaced under it (a
restored backup) needs one run with ``--all``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.contracts import Contract, load_contracts
from value_pipeline.defs.checks import FRESHNESS_CHECK
from value_pipeline.defs.ingest import FINGERPRINT, REGISTRY_KEYS
from value_pipeline.defs.jobs import value_pipeline_job
from value_pipeline.engines import current_target
from value_pipeline.landing import LandingError, event_partitions
from value_pipeline.landing.discovery import REFUSE
from value_pipeline.landing.fingerprint import code_fingerprint, registry_fingerprint, source_fingerprint
from value_pipeline.registry import load_registry

BUILD_TAG = "value_pipeline/build"
# The registry step records its fingerprint on every table it writes; this one is read.
REGISTRY_KEY = dg.AssetKey(["raw", "registry_settings"])
REGISTRY_ASSET = "registry"


@dataclass(frozen=True)
class SourceChange:
    """Whether an ingest asset is selected, and why."""

    source: str
    changed: bool
    why: str


@dataclass(frozen=True)
class RunPlan:
    """The assets and checks of a run; ``assets`` None selects every asset and check of the job."""

    build: str
    why: str
    sources: list[SourceChange] = field(default_factory=list)
    assets: frozenset[dg.AssetKey] | None = None
    checks: frozenset[dg.AssetCheckKey] | None = None

    @property
    def everything(self) -> bool:
        return self.assets is None

    @property
    def tags(self) -> dict[str, str]:
        return {BUILD_TAG: self.build}

    def run_request(self, **kwargs) -> dg.RunRequest:
        """A run request of this plan (a schedule's or sensor's); ``kwargs`` as RunRequest takes them."""
        tags = {**kwargs.pop("tags", {}), **self.tags}
        if self.everything:
            return dg.RunRequest(tags=tags, **kwargs)
        return dg.RunRequest(
            tags=tags,
            asset_selection=sorted(self.assets, key=lambda k: k.path),
            asset_check_keys=sorted(self.checks, key=lambda k: (k.asset_key.path, k.name)),
            **kwargs,
        )


def build_fingerprint() -> str:
    """The fingerprint of the code and the engine a run builds with."""
    return code_fingerprint(current_target())


def _last_finished_build(instance: dg.DagsterInstance) -> dg.DagsterRun | None:
    """The latest successful run of the job launched with a build fingerprint."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=value_pipeline_job.name, statuses=[dg.DagsterRunStatus.SUCCESS]),
        limit=50,
    )
    return next((run for run in runs if BUILD_TAG in run.tags), None)


def _recorded(instance: dg.DagsterInstance, key: dg.AssetKey, fingerprint: str) -> str | None:
    """None when the latest load of ``key`` read files with ``fingerprint`` in a finished nightly run,
    else why it must load again."""
    event = instance.get_latest_materialization_event(key)
    if event is None:
        return "never loaded"
    run = instance.get_run_by_id(event.run_id)
    if run is None or run.status != dg.DagsterRunStatus.SUCCESS or BUILD_TAG not in run.tags:
        return f"last loaded by run {event.run_id[:8]}, which did not finish as a nightly run"
    entry = event.asset_materialization.metadata.get(FINGERPRINT)
    if entry is None or entry.value != fingerprint:
        return "its files changed since the last load"
    return None


def _snapshot_change(
    instance: dg.DagsterInstance, landing_root: Path, contract: Contract, policy: str
) -> SourceChange:
    try:
        fingerprint = source_fingerprint(landing_root, contract, policy)
    except LandingError as exc:
        # The load says this in full, naming the file.
        return SourceChange(contract.name, True, f"a file is refused: {exc}")
    why = _recorded(instance, dg.AssetKey(["raw", contract.raw_table]), fingerprint)
    return SourceChange(contract.name, why is not None, why or "unchanged since its last load")


def _event_change(landing_root: Path, contract: Contract, days: set[date]) -> SourceChange:
    delivered = sorted(days & set(event_partitions(landing_root, contract)))
    if not delivered:
        return SourceChange(contract.name, False, "no dt= folder for the run's days")
    span = delivered[0].isoformat() + (f" .. {delivered[-1].isoformat()}" if len(delivered) > 1 else "")
    return SourceChange(contract.name, True, f"{len(delivered)} dt= folder(s) delivered ({span})")


def source_changes(
    instance: dg.DagsterInstance, landing_root: Path, days: Iterable[date]
) -> list[SourceChange]:
    """The registry and every landing contract: selected or not, and why."""
    days = set(days)
    registry_why = _recorded(instance, REGISTRY_KEY, registry_fingerprint(landing_root))
    changes = [SourceChange(REGISTRY_ASSET, registry_why is not None, registry_why or "unchanged")]
    try:
        policy = load_registry(landing_root).settings.get("unplaced_data_files", REFUSE)
    except ValueError:
        # The registry step fails the run with the registry's own message.
        policy = REFUSE
    for contract in load_contracts().values():
        if contract.is_event_source:
            changes.append(_event_change(landing_root, contract, days))
        else:
            changes.append(_snapshot_change(instance, landing_root, contract, policy))
    return changes


def _ingest_key(change: SourceChange) -> dg.AssetKey:
    if change.source == REGISTRY_ASSET:
        return REGISTRY_KEY
    return dg.AssetKey(["raw", load_contracts()[change.source].raw_table])


def plan_run(
    instance: dg.DagsterInstance,
    settings: Settings,
    days: list[date] | None,
    asset_graph=None,
) -> RunPlan:
    """The plan of a run over ``days`` (None: the whole landing); ``asset_graph``: the job's (by
    default that of the code location's definitions)."""
    if asset_graph is None:
        from value_pipeline.definitions import defs

        asset_graph = defs.resolve_asset_graph()
    build = build_fingerprint()
    if days is None:
        return RunPlan(build, "the run covers every delivery")
    if not settings.warehouse_path.exists():
        return RunPlan(build, f"no warehouse at {settings.warehouse_path} yet")
    last = _last_finished_build(instance)
    if last is None:
        return RunPlan(build, "no finished nightly run is recorded in this Dagster instance")
    if last.tags[BUILD_TAG] != build:
        return RunPlan(
            build,
            f"the code or engine differ from those of the last finished run {last.run_id[:8]}",
        )
    changes = source_changes(instance, settings.landing_root, days)
    roots = [_ingest_key(c) for c in changes if c.changed]
    if any(c.source == REGISTRY_ASSET and c.changed for c in changes):
        # The registry step writes every registry table in one step: all of them, and what they feed.
        roots += REGISTRY_KEYS
    downstream = dg.AssetSelection.assets(*roots).downstream().resolve(asset_graph) if roots else set()
    # Specs that no step writes (raw.quarantine, raw.load_audit: written by every load) are not run.
    assets = {key for key in downstream if asset_graph.get(key).is_executable}
    checks = {
        key for key in asset_graph.asset_check_keys if key.asset_key in assets or key.name == FRESHNESS_CHECK
    }
    changed = [c.source for c in changes if c.changed]
    why = f"changed: {', '.join(changed)}" if changed else "no source changed: the freshness checks only"
    return RunPlan(build, why, changes, frozenset(assets), frozenset(checks))
