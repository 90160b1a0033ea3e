"""``value-pipeline``: make a landing zone, bring an export into it, validate it, and run the Dagster job.

Bad input (a registry, landing file, adapter option, date or path that cannot be used) ends the
command with one message naming the file and what to do, and exit code 2; ``--verbose`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from value_pipeline.config import (
    DEFAULT_START_DATE,
    Settings,
    default_dagster_home,
    project_env,
)

# Wide tables when the output is a file or a CI log; a terminal keeps its own width.
console = Console(width=None if sys.stdout.isatty() else 160)


class BadInput(ValueError):
    """A command-line argument that cannot be used (a date, a folder): exit code 2."""


def _bad_input_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input, not a fault of the product: one message and exit code 2."""
    from value_pipeline.adapters import AdapterConfigError
    from value_pipeline.landing import LandingError
    from value_pipeline.onboarding import OnboardingError
    from value_pipeline.registry import RegistryError

    return BadInput, RegistryError, LandingError, AdapterConfigError, OnboardingError, FileNotFoundError


def _configure(landing: Path | None) -> Settings:
    """Point the product at ``landing`` (its own home unless one is chosen, see config.project_env),
    the Dagster instance and the first daily partition, before the definitions load."""
    if landing is not None:
        if not landing.is_dir():
            raise BadInput(
                f"{landing}: no such folder (--landing takes a landing zone, see `value-pipeline init`)"
            )
        os.environ["VALUE_PIPELINE_LANDING"] = str(landing.resolve())
    derived = project_env(os.environ)
    os.environ.update(derived)
    os.environ.setdefault("DAGSTER_HOME", str(default_dagster_home()))
    from value_pipeline.instance import write_instance_yaml

    write_instance_yaml(Path(os.environ["DAGSTER_HOME"]))
    settings = Settings.from_env()
    if "VALUE_PIPELINE_START_DATE" not in os.environ:
        # Real logs start years before the default: the daily partitions start with the landing's data.
        first = _first_partition(settings.landing_root)
        if first is not None and first < DEFAULT_START_DATE:
            os.environ["VALUE_PIPELINE_START_DATE"] = first.isoformat()
            settings = Settings.from_env()
    settings.export()
    if derived:
        console.print(
            f"Landing {settings.landing_root} has its own home: warehouse {settings.warehouse_path}, "
            f"serving {settings.serving_root}, reports {settings.reports_root} "
            "(set VALUE_PIPELINE_HOME to choose one)"
        )
    return settings


def _first_partition(landing: Path) -> date | None:
    from value_pipeline.contracts import load_contracts
    from value_pipeline.landing import event_partitions

    dates = [d for c in load_contracts().values() if c.is_event_source for d in event_partitions(landing, c)]
    return min(dates, default=None)


def _day(text: str) -> str:
    """A YYYY-MM-DD argument, refused with a one-line message when it is not a date."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise BadInput(f"--partition {text}: not a date; give one day as YYYY-MM-DD") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from value_pipeline.generator import generate

    started = time.perf_counter()
    if args.force:
        shutil.rmtree(args.out, ignore_errors=True)
    truth = generate(
        Path(args.out), events=args.events, size=args.size, seed=args.seed, progress=lambda m: console.log(m)
    )
    rows = truth["workflow_events"]["rows_written"]
    console.print(
        f"[green]Generated[/] landing data in {args.out} in {time.perf_counter() - started:.1f} s "
        f"({rows} workflow-event rows); ground truth in {Path(args.out) / 'ground_truth.json'}"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from value_pipeline.landing.validate import validate_landing

    if not Path(args.landing).is_dir():
        raise BadInput(f"{args.landing}: no such folder (--landing takes a landing zone)")
    report = validate_landing(Path(args.landing))
    if report.registry_error:
        console.print(f"[red]Registry error:[/] {report.registry_error}")
        return 2
    table = Table(title=f"Landing validation: {args.landing}")
    for column in ("source", "files", "landed", "accepted", "quarantined", "result"):
        table.add_column(column, justify="left" if column in {"source", "result"} else "right")
    reasons = Table(title="Quarantined rows by reason")
    for column in ("source", "reason", "rows"):
        reasons.add_column(column, justify="right" if column == "rows" else "left")
    for source in report.sources:
        if source.error:
            table.add_row(source.source, "", "", "", "", f"[red]{source.error}[/]")
            continue
        r = source.result
        table.add_row(
            source.source,
            str(len(r.files)),
            str(r.landed),
            str(r.accepted),
            str(r.quarantined),
            "[yellow]rows quarantined[/]" if r.quarantined else "[green]ok[/]",
        )
        for reason, n in r.reasons.items():
            reasons.add_row(source.source, reason, str(n))
    console.print(table)
    if reasons.row_count:
        console.print(reasons)
    for chain_id, reason in report.rejected_value_chains:
        console.print(f"[yellow]Value chain {chain_id} rejected:[/] {reason}")
    for file in report.not_loaded:
        label = "[red]refused[/]" if report.refused(file) else "[yellow]not loaded[/]"
        console.print(f"{label} {file.relative_path}: {file.reason}")
    return 0 if report.ok else 1


def _partition_range(landing: Path) -> tuple[str, str]:
    from value_pipeline.contracts import load_contracts
    from value_pipeline.landing import event_partitions

    dates = sorted(
        {d for c in load_contracts().values() if c.is_event_source for d in event_partitions(landing, c)}
    )
    if not dates:
        raise BadInput(
            f"{landing}: no dt=YYYY-MM-DD folder with data; put an export in with `value-pipeline adapt`"
        )
    return dates[0].isoformat(), dates[-1].isoformat()


def run_job(
    settings: Settings,
    partition: str | None,
    full_refresh: bool = False,
    verbose: bool = False,
    everything: bool = False,
):
    """Execute the job in this process, recorded in the Dagster instance (DAGSTER_HOME);
    ``full_refresh`` rebuilds the incremental dbt models from every raw row. A run of one day
    materializes what the changed sources feed (defs/selection.py) unless ``everything`` or
    ``full_refresh``. Quiet unless ``verbose``: one line per step, dbt's stream in a log file
    (value_pipeline/progress.py).

    Returns the ExecuteInProcessResult (``.success`` tells whether every step and blocking check passed).
    """
    from value_pipeline.dbt_manifest import prepare_manifest
    from value_pipeline.engines import current_target

    # The definitions are built from the parsed project: parse it first when a model changed.
    prepare_manifest(settings, current_target())
    from value_pipeline.definitions import defs
    from value_pipeline.defs.selection import plan_run
    from value_pipeline.instance import open_instance

    job = defs.resolve_job_def("value_pipeline_job")
    tags: dict[str, str] = {"launched_by": "value-pipeline"}
    if partition:
        date.fromisoformat(partition)
        first = last = partition
    else:
        first, last = _partition_range(settings.landing_root)
    start = Settings.from_env().partitions_start.isoformat()
    if first < start:
        raise SystemExit(f"the landing data starts on {first}, before VALUE_PIPELINE_START_DATE={start}")
    tags["dagster/asset_partition_range_start"] = first
    tags["dagster/asset_partition_range_end"] = last
    console.print(
        f"Running value_pipeline_job for partitions {first} .. {last} (landing {settings.landing_root})"
    )
    from uuid import uuid4

    from value_pipeline.progress import dbt_log_path, run_config

    run_id = str(uuid4())
    dbt_log = None if verbose else dbt_log_path(settings.warehouse_path, run_id)
    if dbt_log is not None:
        console.print(f"One line per step below; dbt's log: {dbt_log} (--verbose streams everything)")
    with open_instance() as instance:
        days = [date.fromisoformat(partition)] if partition and not (everything or full_refresh) else None
        plan = plan_run(instance, settings, days, defs.resolve_asset_graph())
        tags |= plan.tags
        _print_plan(plan)
        if not plan.everything:
            job = job.get_subset(asset_selection=set(plan.assets), asset_check_selection=set(plan.checks))
        result = job.execute_in_process(
            instance=instance,
            tags=tags,
            raise_on_error=False,
            run_id=run_id,
            run_config=run_config(full_refresh, verbose, dbt_log, steps=job.graph.node_dict),
        )
    status = "[green]succeeded[/]" if result.success else "[red]failed[/]"
    console.print(f"Run {result.run_id} {status}")
    return result


def _print_plan(plan) -> None:
    """What the run materializes: everything, or the changed sources and what they feed."""
    if plan.everything:
        console.print(f"Materializing every asset: {plan.why}")
        return
    selected = f"{len(plan.assets)} assets, {len(plan.checks)} checks selected"
    table = Table(title=f"Sources of this run ({selected})")
    for column in ("source", "selected", "why"):
        table.add_column(column)
    for change in plan.sources:
        table.add_row(change.source, "yes" if change.changed else "no", change.why)
    console.print(table)


def cmd_run(args: argparse.Namespace) -> int:
    from value_pipeline.registry import load_registry

    partition = _day(args.partition) if args.partition else None
    settings = _configure(Path(args.landing) if args.landing else None)
    # Bad input is said before the run starts, not as a failed step.
    load_registry(settings.landing_root)
    if partition is None:
        _partition_range(settings.landing_root)
    verbose = getattr(args, "verbose", False)
    ok = run_job(
        settings, partition, full_refresh=args.full_refresh, verbose=verbose, everything=args.all
    ).success
    if ok:
        from value_pipeline.summary import print_summary

        print_summary(settings, console)
    return 0 if ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _configure(None)
    if args.fresh or not (settings.landing_root / "registry").is_dir():
        from value_pipeline.generator import generate

        shutil.rmtree(settings.landing_root, ignore_errors=True)
        console.print(f"Generating the demo landing data into {settings.landing_root}")
        generate(settings.landing_root, size="small", seed=args.seed, progress=lambda m: console.log(m))
    ok = run_job(settings, None, verbose=getattr(args, "verbose", False)).success
    if ok:
        from value_pipeline.summary import print_summary

        print_summary(settings, console)
    return 0 if ok else 1


def cmd_init(args: argparse.Namespace) -> int:
    from value_pipeline.onboarding import init_landing

    root = Path(args.dir)
    created = init_landing(root)
    if not created:
        console.print(f"{root} is a landing zone already; nothing to add")
        return 0
    for path in created:
        console.print(f"created {path}{'/' if path.is_dir() else ''}")
    console.print(
        f"[green]Landing zone ready:[/] {root}. Next: `value-pipeline adapt servicenow|xes|csv FILE "
        f"--landing {root} --use-case ID`, edit {root / 'registry' / 'registry.yml'}, then "
        f"`value-pipeline run --landing {root}` (docs/own_data.md)"
    )
    return 0


def cmd_adapt(args: argparse.Namespace) -> int:
    from value_pipeline.onboarding import adapt_export, read_adapter_config

    config = read_adapter_config(Path(args.config) if args.config else None)
    result = adapt_export(args.adapter, Path(args.file), Path(args.landing), args.use_case, config)
    stats, written = result.stats, result.written
    table = Table(title=f"{args.file} -> {written['folder']}")
    table.add_column("count")
    table.add_column("value", justify="right")
    table.add_row("rows read", f"{stats['rows_read']:,}")
    table.add_row("events written", f"{stats['events']:,}")
    table.add_row("cases", f"{stats['cases']:,}")
    table.add_row(
        "dt= partitions written", f"{written['files']:,} ({written['first_date']} .. {written['last_date']})"
    )
    table.add_row("stale files removed", f"{written['stale_files_removed']:,}")
    console.print(table)
    dropped = Table(title="Rows dropped by reason")
    dropped.add_column("reason")
    dropped.add_column("rows", justify="right")
    for reason, n in stats["rows_dropped"].items():
        dropped.add_row(reason, f"{n:,}")
    if dropped.row_count:
        console.print(dropped)
    else:
        console.print("No row dropped.")
    if result.registry_file is not None:
        console.print(
            f"[yellow]Added use case {args.use_case!r} to {result.registry_file}[/] with status identified "
            f"and identified_date {result.added_use_case['identified_date']}: review it, and set its "
            "go_live_date and status once it is live."
        )
    console.print(f"Next: `value-pipeline run --landing {args.landing}`")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    _configure(None)
    from value_pipeline.dbt_manifest import prepare_manifest
    from value_pipeline.engines import current_target

    prepare_manifest(Settings.from_env(), current_target(), force=True)
    console.print("dbt manifest prepared")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from value_pipeline.docs import write_pages

    for path in write_pages():
        console.print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    # --verbose is accepted before or after the command; a subcommand's default must not reset it.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help="print tracebacks of errors"
    )
    parser = argparse.ArgumentParser(
        prog="value-pipeline",
        description=__doc__,
        parents=[verbose],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[verbose], **kwargs)

    init = add("init", help="make a new landing zone: contract folders, a starter registry, a README")
    init.add_argument("dir", help="a new or empty folder (an existing zone made by init gets what it lacks)")
    init.set_defaults(func=cmd_init)

    adapt = add(
        "adapt", help="map a real export (ServiceNow, XES, CSV) into a landing zone's workflow events"
    )
    adapt.add_argument("adapter", choices=["servicenow", "xes", "csv"])
    adapt.add_argument("file", help="the export (.csv, .xes, optionally .gz)")
    adapt.add_argument("--landing", required=True, help="the landing zone (made by `value-pipeline init`)")
    adapt.add_argument(
        "--use-case", required=True, help="registry use case id of the events (added if missing)"
    )
    adapt.add_argument(
        "--config", help="YAML of adapter options and time_zone (docs/own_data.md; required for csv)"
    )
    adapt.set_defaults(func=cmd_adapt)

    demo = add("demo", help="generate the demo landing data (once) and run the whole job on it")
    demo.add_argument("--fresh", action="store_true", help="regenerate the demo landing data")
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(func=cmd_demo)

    run = add("run", help="materialize everything for a landing root (the nightly job)")
    run.add_argument("--landing", help="landing root (default: VALUE_PIPELINE_LANDING or data/landing)")
    run.add_argument("--partition", help="one day YYYY-MM-DD (default: every dt= folder present)")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models from every raw row (after a change of their definition)",
    )
    run.add_argument(
        "--all",
        action="store_true",
        help="with --partition: materialize every asset, not only what the changed sources feed",
    )
    run.set_defaults(func=cmd_run)

    validate = add("validate", help="check every landing file against its contract; load nothing")
    validate.add_argument("--landing", required=True)
    validate.set_defaults(func=cmd_validate)

    gen = add("generate", help="write deterministic demo landing data and its ground truth")
    gen.add_argument("--out", required=True)
    gen.add_argument(
        "--events", type=int, default=None, help="about N workflow events (default: the size preset)"
    )
    gen.add_argument("--size", default="small")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--force", action="store_true", help="replace DIR if it already holds files")
    gen.set_defaults(func=cmd_generate)

    prepare = add("prepare", help="parse the dbt project (writes the manifest the definitions load)")
    prepare.set_defaults(func=cmd_prepare)

    docs = add("docs", help="regenerate docs pages built from the contracts and the KPI catalogue")
    docs.set_defaults(func=cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    try:
        return args.func(args)
    except _bad_input_errors() as exc:
        if verbose:
            traceback.print_exc()
        console.print(f"[red]error:[/] {_message(exc)}", highlight=False, soft_wrap=True)
        return 2
    except Exception as exc:
        if verbose:
            raise
        console.print(
            f"[red]error:[/] {type(exc).__name__}: {exc} (run again with --verbose for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        return 1


def _message(exc: Exception) -> str:
    """One line: the error's own message; a missing file names the path and what to do."""
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename}: no such file or folder"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
