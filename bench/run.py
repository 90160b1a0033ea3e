"""Benchmark runner: ``python -m bench.run --sizes 1000000 10000000`` (``make bench``).

For each size it generates the demo landing data (``value-pipeline generate --events N``), then
measures, each run in a fresh process with the peak RSS of its whole process tree sampled:

- A: ``value-pipeline run`` from landed files to published marts, in a new home;
- B: the compiled SQL of the same dbt models and data tests, in one DuckDB connection, on a
  warehouse holding only what ingestion and the statistics step wrote (the engine's floor);
- C: the pandas implementation of the six KPIs (tests/reference/kpis.py) from the same files;
- D: the incremental nightly run, ``value-pipeline run --partition <last day>`` on a copy of a
  built warehouse, re-delivering that day (the same work as a new day: its partition is replaced).
  Before it, dbt parses the project for the copy's warehouse path (not measured): the partial-parse
  state the previous nightly run leaves (dbt parses everything again when the path changes).
- E: a new day, ``value-pipeline run --partition <last day>`` on a copy of a warehouse built (not
  measured) from the landing without that day: new events, cases resolved and reopened, a new
  reporting day, as in a real night. Parsed beforehand as for D.
- F: the floor of A: DuckDB's bare typed load of the same landing files into the raw tables (one
  INSERT per source: the loader's own readers, ``try_cast`` to the contract's types; no validation,
  line numbers, quarantine or audit), then B's statements, in one process. A/F is what the
  pipeline costs beyond reading the files and running its SQL.

Results go to bench/results.json; docs/benchmarks.md (one page), bench/README.md (the full write-up)
and docs/img/benchmarks.png are regenerated.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bench.measure import (
    Measurement,
    as_dict,
    machine_description,
    run_measured,
    summarise,
    topological_order,
)
from value_pipeline.config import DEMO_REGISTRY, Settings
from value_pipeline.contracts import load_contracts
from value_pipeline.instance import write_instance_yaml

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"
RESULTS = ROOT / "bench" / "results.json"
ANALYSIS = ROOT / "bench" / "analysis.md"
DOC = ROOT / "docs" / "benchmarks.md"
FULL = ROOT / "bench" / "README.md"
CHART = ROOT / "docs" / "img" / "benchmarks.png"
PY = sys.executable
DBT = str(Path(sys.executable).parent / "dbt")
GENERATE = [PY, "-m", "value_pipeline.cli", "generate"]
# A run whose process tree passes this many bytes is stopped and recorded as failed (it would
# exhaust the machine: pandas at 50M events).
CAP = 16 * 2**30
# Schemas the dbt project writes; B starts from a warehouse without them.
DBT_SCHEMAS_SQL = "select distinct schema_name from information_schema.schemata"


def base_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VALUE_PIPELINE_")}
    env["PYTHONUNBUFFERED"] = "1"
    if home is not None:
        env |= {"VALUE_PIPELINE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster_home")}
    return env | extra


def new_home(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    write_instance_yaml(path / "dagster_home")
    return path


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def landing_for(work: Path, events: int) -> Path:
    """Generated landing data of this size, reused while it was generated from today's registry."""
    landing = work / f"landing_{events}"
    registry = landing / "registry" / "registry.yml"
    current = registry.exists() and registry.read_bytes() == DEMO_REGISTRY.read_bytes()
    if not (current and (landing / "ground_truth.json").exists()):
        log(f"generating {events:,} events into {landing}")
        subprocess.run(
            [*GENERATE, "--out", str(landing), "--events", str(events), "--force"],
            check=True,
            env=base_env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    return landing


def last_day(landing: Path) -> str:
    return sorted(p.name for p in (landing / "workflow_events").iterdir())[-1].removeprefix("dt=")


def landing_without(landing: Path, day: str, out: Path) -> Path:
    """A copy of ``landing`` (hard links) without the ``dt=<day>`` folders of its event sources (the
    other deliveries, such as finance, stay)."""
    event_folders = {landing / c.folder for c in load_contracts().values() if c.is_event_source}

    def skip_day(folder: str, names: list[str]) -> set[str]:
        return {f"dt={day}"} & set(names) if Path(folder) in event_folders else set()

    if not out.exists():
        shutil.copytree(landing, out, copy_function=os.link, ignore=skip_day)
    return out


def step_stats(home: Path) -> list[dict]:
    """Per-step start and end of the latest run of a home's Dagster instance."""
    code = (
        "import json, dagster as dg\n"
        "with dg.DagsterInstance.get() as i:\n"
        "    run = i.get_runs(limit=1)[0]\n"
        "    print(json.dumps([{'step': s.step_key, 'seconds': (s.end_time or 0) - (s.start_time or 0)}"
        " for s in i.get_run_step_stats(run.run_id)]))\n"
    )
    out = subprocess.run(
        [PY, "-c", code], env=base_env(home), cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def dbt_node_seconds(home: Path) -> dict[str, dict[str, float]]:
    """dbt's seconds per model of a home's latest run, and per model for the tests on it."""
    out = subprocess.run(
        [PY, "-m", "bench.run", "nodes"],
        env=base_env(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cmd_nodes(args: argparse.Namespace) -> int:
    """Print dbt's time of each node of the latest run of ``DAGSTER_HOME``: what dbt reports when a node
    ends (node_started_at to node_finished_at, the timing run_results.json records), as dagster-dbt
    keeps it on each model's materialization and each test's check. run_results.json itself holds only
    the job's last dbt step: both steps write the same target folder."""
    import dagster as dg

    seconds: dict[str, dict[str, float]] = {"models": {}, "tests": {}}
    kinds = {
        "models": dg.DagsterEventType.ASSET_MATERIALIZATION,
        "tests": dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    }
    with dg.DagsterInstance.get() as instance:
        run_id = instance.get_runs(limit=1)[0].run_id
        for kind, event_type in kinds.items():
            for record in instance.get_records_for_run(run_id, of_type=event_type).records:
                data = record.event_log_entry.dagster_event.event_specific_data
                event = getattr(data, "materialization", data)  # a check evaluation is the event
                duration = event.metadata.get("Execution Duration")
                if duration is not None:
                    name = event.asset_key.path[-1]
                    seconds[kind][name] = seconds[kind].get(name, 0.0) + duration.value
    print(json.dumps(seconds))
    return 0


# --- B: the compiled SQL in one connection ----------------------------------------------------


def floor_plan(work: Path, built_home: Path) -> tuple[Path, Path]:
    """A warehouse holding raw and statistics tables only, and the compiled SQL to run on it."""
    import duckdb

    base = work / "floor_base"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    db = base / "warehouse.duckdb"
    shutil.copy(built_home / "warehouse" / "warehouse.duckdb", db)
    env = base_env(VALUE_PIPELINE_WAREHOUSE=str(db))
    target = base / "target"
    subprocess.run(
        [DBT, "parse", "--quiet", "--target-path", str(target), "--log-path", str(target)],
        check=True,
        env=env,
        cwd=DBT_DIR,
    )
    manifest = json.loads((target / "manifest.json").read_text())
    schemas = {n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    with duckdb.connect(str(db)) as con:
        for schema in schemas:
            con.execute(f'drop schema if exists "{schema}" cascade')
        # No test has passed yet, as in A's first run: every test reads every row.
        con.execute("drop table if exists audit.dbt_test_passes")
    subprocess.run(
        [DBT, "compile", "--quiet", "--target-path", str(target), "--log-path", str(target)],
        check=True,
        env=env,
        cwd=DBT_DIR,
        stdout=subprocess.DEVNULL,
    )
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] in {"model", "test"} and n.get("compiled_code")
    }
    statements = [f'create schema if not exists "{s}"' for s in sorted(schemas)]
    for uid in topological_order({uid: n["depends_on"]["nodes"] for uid, n in nodes.items()}):
        node = nodes[uid]
        sql = node["compiled_code"].strip().rstrip(";")
        if node["resource_type"] == "test":
            statements.append(f"select count(*) from ({sql}) as failures")
        else:
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            statements.append(f"create or replace {kind} {node['relation_name']} as {sql}")
    plan = base / "plan.json"
    plan.write_text(json.dumps(statements))
    return db, plan


def dbt_duckdb_settings() -> dict[str, str]:
    """The DuckDB settings of the dbt profile that do not come from the environment."""
    profile = yaml.safe_load((DBT_DIR / "profiles.yml").read_text())
    settings = profile["value_pipeline"]["outputs"]["duckdb"]["settings"]
    return {name: str(value) for name, value in settings.items() if "{{" not in str(value)}


def cmd_floor(args: argparse.Namespace) -> int:
    """Execute a plan's statements one after another in one DuckDB connection."""
    import duckdb

    statements = json.loads(Path(args.plan).read_text())
    # The settings of dbt's connections in A (profiles.yml): a floor under the same constraints.
    config = {**dbt_duckdb_settings(), "memory_limit": Settings.from_env().duckdb_memory_limit}
    with duckdb.connect(args.db, config=config) as con:
        con.execute("set TimeZone = 'UTC'")
        for i, statement in enumerate(statements, 1):
            started = time.perf_counter()
            con.execute(statement).fetchall()
            print(f"{time.perf_counter() - started:9.2f} s  {i}/{len(statements)}  {statement[:100]!r}")
    return 0


def bare_typed(column) -> str:
    """A contract column's text cast to its type, without any rule (NULL where it does not parse)."""
    name = f'"{column.name}"'
    if column.type == "timestamp":
        return f"timezone('UTC', try_cast({name} as timestamptz))"
    return name if column.type == "string" else f"try_cast({name} as {column.sql_type})"


def bare_load(con, landing: Path) -> dict[str, float]:
    """Replace every contract source's raw table with a bare typed load of its landing files: one
    INSERT per source; the seconds of each."""
    import pandas as pd

    from value_pipeline.landing import ensure_raw_tables
    from value_pipeline.landing.discovery import discover
    from value_pipeline.landing.readers import reader_selects

    seconds = {}
    for contract in load_contracts().values():
        started = time.perf_counter()
        con.execute(f"drop table if exists raw.{contract.raw_table}")
        ensure_raw_tables(con, [contract])
        files, _ = discover(landing, contract)
        if files:
            listing = pd.DataFrame(
                {
                    "_file": [str(f.path) for f in files],
                    "_source_file": [f.relative_path for f in files],
                    "_partition_date": [f.partition_date for f in files],
                }
            )
            con.register("bare_files", listing)
            rows = " union all ".join(reader_selects(con, contract, files, "bare"))
            targets = ", ".join(f'"{c.target}"' for c in contract.columns)
            typed = ", ".join(bare_typed(c) for c in contract.columns)
            con.execute(
                f"insert into raw.{contract.raw_table} ({targets}, extra, _source_file, _partition_date, "
                f"_batch_id, _loaded_at) select {typed}, r.extra, f._source_file, "
                f"cast(f._partition_date as date), 'bare', cast(current_timestamp as timestamp) "
                f"from ({rows}) as r join bare_files as f on f._file = r._file"
            )
            con.unregister("bare_files")
        seconds[contract.name] = time.perf_counter() - started
    return seconds


def cmd_bare(args: argparse.Namespace) -> int:
    """F: the bare typed load of ``--landing`` into ``--db``'s raw tables, then the plan (B)."""
    import duckdb

    statements = json.loads(Path(args.plan).read_text())
    config = {**dbt_duckdb_settings(), "memory_limit": Settings.from_env().duckdb_memory_limit}
    with duckdb.connect(args.db, config=config) as con:
        con.execute("set TimeZone = 'UTC'")
        for source, seconds in bare_load(con, Path(args.landing)).items():
            print(f"{seconds:9.2f} s  bare typed load of {source}")
        started = time.perf_counter()
        for statement in statements:
            con.execute(statement).fetchall()
        print(f"{time.perf_counter() - started:9.2f} s  the {len(statements)} statements of B")
    return 0


def cmd_pandas(args: argparse.Namespace) -> int:
    from tests.reference.kpis import compute_kpis

    kpis = compute_kpis(Path(args.landing))
    print({name: len(frame) for name, frame in kpis.items()})
    return 0


# --- fixed costs ------------------------------------------------------------------------------


def timed(args: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def overheads(work: Path, floor_db: Path, floor_wall: float | None) -> dict:
    """dbt start-up and parse, per-node overhead of dbt build, Dagster definitions load."""
    scratch = work / "overheads"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    db = scratch / "warehouse.duckdb"
    shutil.copy(floor_db, db)
    env = base_env(VALUE_PIPELINE_WAREHOUSE=str(db))
    target = ["--target-path", str(scratch / "target"), "--log-path", str(scratch / "target")]
    result = {
        "dbt --version": timed([DBT, "--version"], env, DBT_DIR),
        "dbt parse, no partial parsing": timed([DBT, "parse", "--no-partial-parse", *target], env, DBT_DIR),
        "dbt parse, partial parsing": timed([DBT, "parse", *target], env, DBT_DIR),
        "import definitions (Dagster + dagster-dbt + project)": timed(
            [PY, "-c", "import value_pipeline.definitions"], base_env(work / "overheads_home"), ROOT
        ),
    }
    build = timed([DBT, "build", *target], env, DBT_DIR)
    run_results = json.loads((scratch / "target" / "run_results.json").read_text())
    nodes = len(run_results["results"])
    result["dbt build (all nodes, one invocation)"] = build
    result["dbt build nodes"] = nodes
    if floor_wall is not None:
        per_node = (build - result["dbt parse, partial parsing"] - floor_wall) / nodes
        result["dbt overhead per node (build - parse - B) / nodes"] = per_node
    return result


# --- the run ----------------------------------------------------------------------------------


def parse_for(home: Path) -> None:
    """Parse the dbt project for ``home``'s warehouse into the target folder the job's dbt steps
    use (``run_target_path`` in value_pipeline/defs/dbt.py), as the previous run on that warehouse
    leaves it."""
    warehouse = (home / "warehouse" / "warehouse.duckdb").resolve()
    target = warehouse.parent / "dbt_target" / "duckdb"
    subprocess.run(
        [DBT, "parse", "--quiet", "--target", "duckdb", "--profiles-dir", str(DBT_DIR)],
        env=base_env(home, VALUE_PIPELINE_WAREHOUSE=str(warehouse), DBT_TARGET_PATH=str(target)),
        cwd=DBT_DIR,
        check=True,
    )


def day_runs(size: Path, variant: str, built: Path, command: list[str], runs: int) -> tuple[list, list, dict]:
    """Runs of ``command`` (a nightly run of one day), each on a fresh copy of the home ``built``,
    parsed beforehand as the previous night would leave it; the steps and dbt node times of the first
    run (none when it failed)."""
    measured, steps, nodes = [], [], {}
    for i in range(1, runs + 1):
        home = size / f"{variant}_{i}"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(built, home, ignore=shutil.ignore_patterns("*.log"))
        parse_for(home)
        os.sync()  # the copy's ~2 GB of dirty pages are written before the clock starts, not during the run
        m = run_measured(command, env=base_env(home), cwd=ROOT, log=home / "run.log", max_rss_bytes=CAP)
        measured.append(m)
        log(f"{size.name} {variant} run {i} ({command[-1]}): {m}")
        if i == 1 and m.returncode == 0:
            steps, nodes = step_stats(home), dbt_node_seconds(home)
    return measured, steps, nodes


def floor_runs(size: Path, variant: str, floor_db: Path, command: list[str], runs: int) -> list[Measurement]:
    """Runs of ``python -m bench.run <command> --db <copy>``, each on a fresh copy of ``floor_db``."""
    measured = []
    for i in range(1, runs + 1):
        db = size / f"{variant}_run" / "warehouse.duckdb"
        shutil.rmtree(db.parent, ignore_errors=True)
        db.parent.mkdir(parents=True)
        shutil.copy(floor_db, db)
        m = run_measured(
            [PY, "-m", "bench.run", *command, "--db", str(db)],
            env=base_env(),
            cwd=ROOT,
            log=size / f"{variant}_{i}.log",
            max_rss_bytes=CAP,
        )
        measured.append(m)
        log(f"{size.name} {variant} run {i}: {m}")
    return measured


def bench_size(work: Path, events: int, runs: int, variants: str) -> dict:
    landing = landing_for(work, events)
    size = work / str(events)
    size.mkdir(parents=True, exist_ok=True)
    cli = [PY, "-m", "value_pipeline.cli", "run", "--landing", str(landing)]
    measured: dict[str, list[Measurement]] = {v: [] for v in variants}
    extra: dict = {}
    built_home = size / "A_1"
    for i in range(1, runs + 1):
        if "A" in variants:
            home = new_home(size / f"A_{i}")
            m = run_measured(cli, env=base_env(home), cwd=ROOT, log=home / "run.log", max_rss_bytes=CAP)
            measured["A"].append(m)
            log(f"{events:,} A run {i}: {m}")
            if i == 1 and m.returncode == 0:
                extra["A_steps"], extra["A_dbt"] = step_stats(home), dbt_node_seconds(home)
        if "C" in variants:
            m = run_measured(
                [PY, "-m", "bench.run", "pandas", "--landing", str(landing)],
                env=base_env(),
                cwd=ROOT,
                log=size / f"C_{i}.log",
                max_rss_bytes=CAP,
            )
            measured["C"].append(m)
            log(f"{events:,} C run {i}: {m}")
    if "B" in variants and (built_home / "warehouse" / "warehouse.duckdb").exists():
        floor_db, plan = floor_plan(size, built_home)
        measured["B"] = floor_runs(size, "B", floor_db, ["floor", "--plan", str(plan)], runs)
        extra["floor_db"] = str(floor_db)
    if "F" in variants and (built_home / "warehouse" / "warehouse.duckdb").exists():
        # B's warehouse and statements (made above when B ran in this invocation).
        floor_db, plan = size / "floor_base" / "warehouse.duckdb", size / "floor_base" / "plan.json"
        if "B" not in variants:
            floor_db, plan = floor_plan(size, built_home)
        bare = ["bare", "--landing", str(landing), "--plan", str(plan)]
        measured["F"] = floor_runs(size, "F", floor_db, bare, runs)
    day = last_day(landing)
    if "D" in variants and (built_home / "warehouse" / "warehouse.duckdb").exists():
        measured["D"], extra["D_steps"], extra["D_dbt"] = day_runs(
            size, "D", built_home, [*cli, "--partition", day], runs
        )
    if "E" in variants:
        base = size / "E_base"
        if not (base / "warehouse" / "warehouse.duckdb").exists():
            partial = landing_without(landing, day, work / f"landing_{events}_without_{day}")
            log(f"{events:,} E: building the warehouse without {day} (not measured)")
            new_home(base)
            subprocess.run(
                [PY, "-m", "value_pipeline.cli", "run", "--landing", str(partial)],
                check=True,
                env=base_env(base),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
        measured["E"], extra["E_steps"], extra["E_dbt"] = day_runs(
            size, "E", base, [*cli, "--partition", day], runs
        )
    return {
        "summary": {v: summarise(ms) for v, ms in measured.items()},
        "runs": {v: [as_dict(m) for m in ms] for v, ms in measured.items()},
        **extra,
    }


def cmd_measure(args: argparse.Namespace) -> int:
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    results_path = Path(args.results)
    results = (
        json.loads(results_path.read_text()) if results_path.exists() and not args.fresh else {"sizes": {}}
    )
    results["machine"] = machine_description()
    results["started"] = datetime.now(UTC).isoformat(timespec="seconds")
    load = [os.getloadavg()[0]]
    for events in args.sizes:
        # Variants measured in separate invocations add up; a variant measured again is replaced.
        previous = results["sizes"].get(str(events), {})
        current = bench_size(work, events, args.runs, args.variants)
        for key in ("summary", "runs"):
            current[key] = previous.get(key, {}) | current[key]
        results["sizes"][str(events)] = previous | current
        load.append(os.getloadavg()[0])
        results_path.write_text(json.dumps(results, indent=2))
    smallest = results["sizes"].get(str(min(args.sizes)), {})
    if args.overheads and smallest.get("floor_db"):
        results["overheads"] = overheads(work, Path(smallest["floor_db"]), smallest["summary"]["B"]["wall_s"])
    results["load_average_1m_during"] = [round(x, 2) for x in load]
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results_path.write_text(json.dumps(results, indent=2))
    from bench.report import write_report

    write_report(results, DOC, FULL, CHART, ANALYSIS)
    log(f"wrote {results_path}, {DOC}, {FULL} and {CHART}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bench.report import write_report

    write_report(json.loads(RESULTS.read_text()), DOC, FULL, CHART, ANALYSIS)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    measure = sub.add_parser("measure", help="run the benchmark (the default)")
    measure.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000, 50_000_000])
    measure.add_argument("--runs", type=int, default=3)
    measure.add_argument("--variants", default="ABCDEF")
    measure.add_argument("--work", default=os.environ.get("BENCH_WORK", "/tmp/value-pipeline-bench"))
    measure.add_argument("--fresh", action="store_true", help="drop results of sizes not re-measured")
    measure.add_argument("--results", default=str(RESULTS))
    measure.add_argument("--no-overheads", dest="overheads", action="store_false")
    measure.set_defaults(func=cmd_measure)
    report = sub.add_parser("report", help="regenerate docs/benchmarks.md and bench/README.md")
    report.set_defaults(func=cmd_report)
    floor = sub.add_parser("floor", help=argparse.SUPPRESS)
    floor.add_argument("--plan", required=True)
    floor.add_argument("--db", required=True)
    floor.set_defaults(func=cmd_floor)
    bare = sub.add_parser("bare", help=argparse.SUPPRESS)
    bare.add_argument("--landing", required=True)
    bare.add_argument("--plan", required=True)
    bare.add_argument("--db", required=True)
    bare.set_defaults(func=cmd_bare)
    nodes = sub.add_parser("nodes", help=argparse.SUPPRESS)
    nodes.set_defaults(func=cmd_nodes)
    pandas = sub.add_parser("pandas", help=argparse.SUPPRESS)
    pandas.add_argument("--landing", required=True)
    pandas.set_defaults(func=cmd_pandas)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["measure"])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
