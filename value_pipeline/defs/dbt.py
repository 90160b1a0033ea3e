"""dbt models as Dagster assets and dbt tests as asset checks.

One rule maps a model's folder (``models/<layer>/...``) to its asset key prefix and Dagster group, so
the dbt tree, the warehouse schemas and the asset graph show the same layers.
"""

import os
import shutil
from collections.abc import Mapping, Sequence
from contextlib import redirect_stdout
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtCliRuntimeError,
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging.version import Version
from pydantic import Field

from value_pipeline.config import DBT_PROJECT_DIR
from value_pipeline.dbt_manifest import DBT_EXECUTABLE, log_args, manifest_is_stale, target_path
from value_pipeline.defs.resources import WarehouseResource
from value_pipeline.engines import TARGETS, current_target

# dbt builds on the engine VALUE_PIPELINE_TARGET names (profiles.yml); each target parses into its own
# folder, since switching the target re-renders the contracts' per-engine types (docs/engines.md).
TARGET = current_target()
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=TARGET,
    target_path=target_path(TARGET),
)
if manifest_is_stale(dbt_project.manifest_path, DBT_PROJECT_DIR):
    raise RuntimeError(
        f"the dbt manifest of target {TARGET} ({dbt_project.manifest_path}) is missing or older than "
        "the dbt project: run `value-pipeline prepare` (the CLI's run and demo parse it themselves)"
    )


class LocalDbtCliResource(DbtCliResource):
    """The dbt Core installed beside this interpreter, started without two costs of each dagster-dbt step.

    dagster-dbt runs ``dbt --version`` in a subprocess (~2.6 s, once per run) and builds a dbt adapter in
    the Dagster process (~1.2-1.7 s) before every invocation. The executable is the one of this
    environment, so its package answers the version; the adapter serves only ``fetch_row_counts`` and
    ``fetch_column_metadata``, which this project does not call.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_cli_resource() -> DbtCliResource:
    return LocalDbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        target=TARGET,
        dbt_executable=DBT_EXECUTABLE,
    )


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    """The layer of a node: the first folder under models/ (sources belong to ``ingest``)."""
    if dbt_resource_props["resource_type"] == "source":
        return "ingest"
    fqn = dbt_resource_props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 else "marts"


class ValuePipelineTranslator(DagsterDbtTranslator):
    """Asset keys ``[layer, model]``; a dbt source is the asset that writes it: ``[schema, table]``."""

    def get_asset_spec(self, manifest, unique_id, project):
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            schema = props["schema"]
            return spec.replace_attributes(
                key=dg.AssetKey([schema, props.get("identifier") or props["name"]]),
                group_name="ingest" if schema == "raw" else schema,
            )
        layer = layer_of(props)
        owners = [
            o
            for o in [
                props.get("meta", {}).get("owner") or props.get("config", {}).get("meta", {}).get("owner")
            ]
            if o
        ]
        return spec.replace_attributes(
            key=dg.AssetKey([layer, props["name"]]),
            group_name=layer,
            owners=[o if "@" in o else f"team:{o}" for o in owners] or spec.owners,
        ).merge_attributes(kinds={TARGETS[TARGET]})


translator = ValuePipelineTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


# Marts that read what the statistics assets write between the dbt layers: the value-chain marts
# (defs/value_chains.py) and the lifecycle marts (defs/lifecycle.py), built by one step after both.
AFTER_STATISTICS = "path:models/marts/value_chains path:models/marts/lifecycle"


class DbtBuildConfig(dg.Config):
    """Run configuration of a dbt step (``value-pipeline run --full-refresh`` sets it on both)."""

    full_refresh: bool = Field(
        default=False,
        description="Rebuild incremental models from every raw row (after a change of their definition).",
    )
    log_file: str = Field(
        default="",
        description="Append dbt's event stream to this file, not stdout (a quiet `value-pipeline run`).",
    )


PARTIAL_PARSE = "partial_parse.msgpack"


def run_target_path(warehouse_path: str) -> Path:
    """dbt's output folder for the runs on one warehouse, beside its file.

    A run holds the warehouse's lock, so no two dbt processes write this folder at once (two homes
    built from one checkout shared one folder, and a failed run could read the other's
    run_results.json). It is fixed per warehouse so partial parsing carries over from run to run;
    a new one starts from the partial parse of ``value-pipeline prepare``.
    """
    folder = Path(warehouse_path).parent / "dbt_target" / TARGET
    seed = DBT_PROJECT_DIR / target_path(TARGET) / PARTIAL_PARSE
    if not (folder / PARTIAL_PARSE).exists() and seed.exists():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(seed, folder / PARTIAL_PARSE)
    return folder


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
):
    # dbt opens the file the run's warehouse resource points at (and whose lock the run holds).
    os.environ["VALUE_PIPELINE_WAREHOUSE"] = warehouse.path
    args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
    # Unit tests check the models' SQL on fixed inputs, so they run where the SQL changes (`make
    # test`: tests/portability builds every engine with them), not in every nightly run, where
    # each waited before its model on the critical path (dbt's advice for production builds).
    args += ["--exclude-resource-type", "unit_test", *log_args()]
    invocation = dbt.cli(args, context=context, target_path=run_target_path(warehouse.path))
    # A run killed with SIGKILL cannot stop its dbt; the next run does (run_lock.py).
    warehouse.record_child(invocation.process.pid)
    try:
        if not config.log_file:
            yield from invocation.stream()
            return
        # dagster-dbt writes each dbt event to sys.stdout as it streams them.
        log = Path(config.log_file)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as stream, redirect_stdout(stream):
            yield from invocation.stream()
    except DagsterDbtCliRuntimeError as exc:
        raise DbtBuildFailed(failed_nodes(invocation) or str(exc)) from exc


class DbtBuildFailed(Exception):
    """dbt build ended with failing models or tests; the message names them (a quiet run shows it)."""


# run_results.json statuses of a node that failed the build (a warn-level test's ``warn`` did not).
FAILED = {"error", "fail", "runtime error"}


def failed_nodes(invocation: DbtCliInvocation, most: int = 5) -> str:
    """``dbt build failed: <n> nodes: name (status: first message line), ...`` from run_results.json."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (OSError, ValueError, KeyError):
        return ""
    failed = [r for r in results if r.get("status") in FAILED]
    if not failed:
        return ""
    named = []
    for result in failed[:most]:
        name = result["unique_id"].split(".")[2]
        first = (result.get("message") or "").strip().splitlines()[:1]
        named.append(f"{name} ({result['status']}{': ' + first[0] if first else ''})")
    more = f" and {len(failed) - most} more" if len(failed) > most else ""
    return f"dbt build failed: {len(failed)} node(s): {', '.join(named)}{more}"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude=AFTER_STATISTICS,
)
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
):
    """Build every model before the statistics step and run its tests (tests become asset checks)."""
    yield from _build(context, dbt, warehouse, config)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=AFTER_STATISTICS,
    name="dbt_statistics_marts",
)
def dbt_statistics_marts(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtBuildConfig,
):
    """Build the value-chain and lifecycle marts once the estimates and forecasts are written."""
    yield from _build(context, dbt, warehouse, config)


defs = dg.Definitions(assets=[dbt_models, dbt_statistics_marts], resources={"dbt": dbt_cli_resource()})
