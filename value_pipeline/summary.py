"""The terminal summary after a run: the steering scorecard of the latest month, and where things are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from rich.console import Console
from rich.table import Table

from value_pipeline.config import Settings
from value_pipeline.contracts import load_contracts
from value_pipeline.dbt_manifest import manifest_path
from value_pipeline.engines import current_target
from value_pipeline.lifecycle import LIFECYCLE_TABLE_HEADER, lifecycle_summary
from value_pipeline.serving import published_locations
from value_pipeline.value_chains import value_chain_table_rows

STATUS_STYLE = {"achieved": "bold green", "on_track": "green", "at_risk": "yellow", "off_track": "red"}


def format_value(value: float | None, unit: str, currency: str) -> str:
    """Ratios as percentages, money with thousands separators; a suppressed or missing value as a dash."""
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "currency":
        return f"{currency} {value:,.0f}"
    return f"{value:,.2f}"


def _status(status: str | None) -> str:
    return f"[{STATUS_STYLE.get(status, 'dim')}]{status or '-'}[/]"


def scorecard_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The latest month's scorecard rows for the portfolio and every use case."""
    return con.execute(
        """
        select kpi_id, kpi_name, scope_type, scope_id, scope_name, month_start, actual_value, target_value,
               glide_path_value, status, unit
        from marts.kpi_scorecard
        where month_start = (select max(month_start) from marts.kpi_scorecard)
          and scope_type in ('portfolio', 'use_case')
        order by scope_type, scope_id, kpi_id
        """
    ).fetchall()


@contextmanager
def _warehouse(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse file read-only on DuckDB; on another engine a DuckDB copy of what is printed."""
    if current_target() == "duckdb":
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            yield con
        return
    from value_pipeline.defs.publish import MART_KEYS
    from value_pipeline.defs.resources import build_resources

    tables = [
        "raw.registry_settings",
        "raw.registry_kpis",
        "raw.load_audit",
        *(f"marts.{key.path[-1]}" for key in MART_KEYS),
    ]
    with build_resources(settings)["warehouse"].read_copy(tables) as con:
        yield con


def print_summary(settings: Settings, console: Console) -> None:
    """Print the KPI scorecard (portfolio, then per use case) and the locations of warehouse and marts."""
    with _warehouse(settings) as con:
        currency = con.execute(
            "select setting_value from raw.registry_settings where setting_key = 'reporting_currency'"
        ).fetchone()[0]
        rows = scorecard_rows(con)
        chains = value_chain_table_rows(con)
        lifecycle = lifecycle_summary(con)
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        no_data, empty = empty_for_want_of_data(con, json.loads(manifest_path(current_target()).read_text()))
    print_empty(no_data, empty, console)
    if not rows:
        console.print("[yellow]The scorecard is empty: no KPI rows were built.[/]")
        return
    month = rows[0][5]
    portfolio = Table(title=f"Portfolio KPIs, {month:%B %Y}")
    for column in ("KPI", "actual", "glide path", "target", "status"):
        portfolio.add_column(column, justify="left" if column in {"KPI", "status"} else "right")
    for _, name, scope_type, _, _, _, actual, target, glide, status, unit in rows:
        if scope_type == "portfolio":
            portfolio.add_row(
                name,
                format_value(actual, unit, currency),
                format_value(glide, unit, currency),
                format_value(target, unit, currency),
                _status(status),
            )
    console.print(portfolio)

    kpis = sorted({(r[0], r[1], r[10]) for r in rows if r[2] == "use_case"})
    by_use_case: dict[tuple[str, str], dict[str, tuple]] = {}
    for kpi_id, _, scope_type, scope_id, scope_name, _, actual, _, _, status, _ in rows:
        if scope_type == "use_case":
            by_use_case.setdefault((scope_id, scope_name), {})[kpi_id] = (actual, status)
    if kpis:
        print_use_cases(kpis, by_use_case, currency, month, console)
    if chains:
        print_value_chains(chains, console)
    print_lifecycle(*lifecycle, currency, console)
    target = current_target()
    warehouse = settings.warehouse_path if target == "duckdb" else f"dbt target {target} (docs/engines.md)"
    console.print(f"Warehouse (written by the runs; BI tools read the published copies): {warehouse}")
    console.print(f"Marts (schema marts): {', '.join(marts)}")
    for name, location in published_locations(settings):
        console.print(f"Published {name}: {location}")


def print_use_cases(kpis: list[tuple], by_use_case: dict, currency: str, month, console: Console) -> None:
    """Each use case's KPI values and statuses of the month, one column per KPI."""
    per_use_case = Table(title=f"KPIs per use case, {month:%B %Y} (value and status)")
    per_use_case.add_column("use case")
    for _, name, _ in kpis:
        per_use_case.add_column(name, justify="right")
    for (scope_id, scope_name), values in sorted(by_use_case.items()):
        cells = []
        for kpi_id, _, unit in kpis:
            actual, status = values.get(kpi_id, (None, None))
            cells.append(f"{format_value(actual, unit, currency)} {_status(status)}" if status else "-")
        per_use_case.add_row(f"{scope_id} {scope_name}", *cells)
    console.print(per_use_case)


def print_value_chains(rows: list[tuple], console: Console) -> None:
    """Each value chain as its four sentences: insight, action, result against control, business impact."""
    table = Table(
        title="Value chains: insight -> action -> KPI improvement -> business impact", show_lines=True
    )
    for column in ("chain", "evidence", "insight", "action", "result", "impact"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(value) if value is not None else "-" for value in row))
    console.print(table)


def print_lifecycle(
    rows: list[tuple], sentences: list[str], summary: str | None, currency: str, console: Console
):
    """The business cases from hypothesis to proven value: stage, figures, forecast, and their sentences."""
    table = Table(title="Value lifecycle: define -> commit -> execute -> prove and grow")
    for column in LIFECYCLE_TABLE_HEADER:
        table.add_column(column, overflow="fold")
    for case, stage, commitment, committed, realized, pct, point, low, high, probability, status in rows:
        forecast = "-"
        if point is not None:
            forecast = format_value(point, "currency", currency)
            if low is not None and high is not None and low != high:
                forecast += f" [{low:,.0f} to {high:,.0f}]"
        table.add_row(
            case,
            stage,
            commitment or "-",
            format_value(committed, "currency", currency),
            format_value(realized, "currency", currency),
            "-" if pct is None else f"{pct:.0%}",
            forecast,
            "-" if probability is None else f"{probability:.0%}",
            _status(status),
        )
    console.print(table)
    for sentence in sentences:
        console.print(f"  {sentence}")
    if summary:
        console.print(f"[bold]{summary}[/]")


def upstream_sources(manifest: dict, node: str) -> set[str]:
    """Names of the dbt sources (raw tables) ``node`` reads, directly or through other models."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [node]
    while stack:
        for parent in manifest["parent_map"].get(stack.pop(), []):
            if parent in seen:
                continue
            seen.add(parent)
            if parent.startswith("source."):
                found.add(manifest["sources"][parent]["name"])
            else:
                stack.append(parent)
    return found


def empty_for_want_of_data(
    con: duckdb.DuckDBPyConnection, manifest: dict
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The landing sources without an accepted row, and each KPI and mart with no row as
    (kind, name, why): the sources without data it reads, else what would give it rows."""
    accepted = dict(
        con.execute("select source, sum(accepted_rows) from raw.load_audit group by source").fetchall()
    )
    no_data = [c.name for c in load_contracts().values() if not accepted.get(c.name)]

    def needs(node: str) -> str | None:
        sources = sorted(upstream_sources(manifest, node) & set(no_data))
        return f"reads sources without data: {', '.join(sources)}" if sources else None

    empty: list[tuple[str, str, str]] = []
    kpis_with_rows = {r[0] for r in con.execute("select distinct kpi_id from marts.fct_kpi_daily").fetchall()}
    for kpi_id, definition in con.execute(
        "select kpi_id, definition from raw.registry_kpis order by kpi_id"
    ).fetchall():
        if kpi_id not in kpis_with_rows:
            why = needs(f"model.value_pipeline.int_kpi_{kpi_id}_daily")
            empty.append(("KPI", kpi_id, why or f"no case or use case qualifies; it counts: {definition}"))
    present = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    marts = sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts" and node["name"] in present
    )
    for mart in marts:
        if con.execute(f"select count(*) from marts.{mart}").fetchone()[0] == 0:
            why = needs(f"model.value_pipeline.{mart}")
            empty.append(("mart", mart, why or "its sources have data; none of it qualifies"))
    return no_data, empty


def print_empty(no_data: list[str], empty: list[tuple[str, str, str]], console: Console) -> None:
    """Say which sources delivered nothing and which KPIs and marts are empty, and why."""
    if no_data:
        console.print(f"[yellow]No data delivered for:[/] {', '.join(no_data)}")
    if empty:
        table = Table(title="Empty KPIs and marts, and why")
        for column in ("kind", "name", "why"):
            table.add_column(column, overflow="fold")
        for row in empty:
            table.add_row(*row)
        console.print(table)
