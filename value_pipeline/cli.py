"""``value-pipeline``: generate demo data, validate a landing root, and run the Dagster job."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from value_pipeline.config import PROJECT_ROOT, Settings

# Wide tables when the output is a file or a CI log; a terminal keeps its own width.
console = Console(width=None if sys.stdout.isatty() else 160)
# The job's dbt steps (value_pipeline/defs/dbt.py), each taking the full-refresh switch.
DBT_STEPS = ("dbt_models", "dbt_statistics_marts")


def _configure(landing: Path | None) -> Settings:
    """Point the product at ``landing`` and the shared Dagster instance before definitions load."""
    if landing is not None:
        os.environ["VALUE_PIPELINE_LANDING"] = str(landing.resolve())
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))
    from value_pipeline.instance import write_instance_yaml

    write_instance_yaml(Path(os.environ["DAGSTER_HOME"]))
    settings = Settings.from_env()
    settings.export()
    return settings


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

    report = validate_landing(Path(args.landing))
    if report.registry_error:
        console.print(f"[red]Registry error:[/] {report.registry_error}")
        return 1
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
    return 0 if report.ok else 1


def _partition_range(landing: Path) -> tuple[str, str]:
    from value_pipeline.contracts import load_contracts
    from value_pipeline.landing import event_partitions

    dates = sorted(
        {d for c in load_contracts().values() if c.is_event_source for d in event_partitions(landing, c)}
    )
    if not dates:
        raise SystemExit(f"no dt=YYYY-MM-DD folder found under {landing}: nothing to run")
    return dates[0].isoformat(), dates[-1].isoformat()


def run_job(settings: Settings, partition: str | None, full_refresh: bool = False):
    """Execute the job in this process, recorded in the Dagster instance (DAGSTER_HOME);
    ``full_refresh`` rebuilds the incremental dbt models from every raw row.

    Returns the ExecuteInProcessResult (``.success`` tells whether every step and blocking check passed).
    """
    from value_pipeline.definitions import defs
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
    with open_instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            tags=tags,
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": "INFO"}}},
                "ops": {step: {"config": {"full_refresh": full_refresh}} for step in DBT_STEPS},
            },
        )
    status = "[green]succeeded[/]" if result.success else "[red]failed[/]"
    console.print(f"Run {result.run_id} {status}")
    return result


def cmd_run(args: argparse.Namespace) -> int:
    settings = _configure(Path(args.landing) if args.landing else None)
    ok = run_job(settings, args.partition, full_refresh=args.full_refresh).success
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
    ok = run_job(settings, None).success
    if ok:
        from value_pipeline.summary import print_summary

        print_summary(settings, console)
    return 0 if ok else 1


def cmd_prepare(args: argparse.Namespace) -> int:
    _configure(None)
    from value_pipeline.defs.dbt import prepare_manifest

    prepare_manifest(force=True)
    console.print("dbt manifest prepared")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from value_pipeline.docs import write_pages

    for path in write_pages():
        console.print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="value-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate the demo landing data (once) and run the whole job on it")
    demo.add_argument("--fresh", action="store_true", help="regenerate the demo landing data")
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="materialize everything for a landing root (the nightly job)")
    run.add_argument("--landing", help="landing root (default: VALUE_PIPELINE_LANDING or data/landing)")
    run.add_argument("--partition", help="one day YYYY-MM-DD (default: every dt= folder present)")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models from every raw row (after a change of their definition)",
    )
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check every landing file against its contract; load nothing")
    validate.add_argument("--landing", required=True)
    validate.set_defaults(func=cmd_validate)

    gen = sub.add_parser("generate", help="write deterministic demo landing data and its ground truth")
    gen.add_argument("--out", required=True)
    gen.add_argument(
        "--events", type=int, default=None, help="about N workflow events (default: the size preset)"
    )
    gen.add_argument("--size", default="small")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--force", action="store_true", help="replace DIR if it already holds files")
    gen.set_defaults(func=cmd_generate)

    prepare = sub.add_parser(
        "prepare", help="parse the dbt project (writes the manifest the definitions load)"
    )
    prepare.set_defaults(func=cmd_prepare)

    docs = sub.add_parser("docs", help="regenerate docs pages built from the contracts and the KPI catalogue")
    docs.set_defaults(func=cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
