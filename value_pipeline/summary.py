"""The terminal summary after a run: the steering scorecard of the latest month, and where things are."""

from __future__ import annotations

import duckdb
from rich.console import Console
from rich.table import Table

from value_pipeline.config import Settings
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


def print_summary(settings: Settings, console: Console) -> None:
    """Print the KPI scorecard (portfolio, then per use case) and the locations of warehouse and marts."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        currency = con.execute(
            "select setting_value from raw.registry_settings where setting_key = 'reporting_currency'"
        ).fetchone()[0]
        rows = scorecard_rows(con)
        chains = value_chain_table_rows(con)
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
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

    print_value_chains(chains, console)
    console.print(
        f"Warehouse (written by the runs; BI tools read the published copies): {settings.warehouse_path}"
    )
    console.print(f"Marts (schema marts): {', '.join(marts)}")
    for name, location in published_locations(settings):
        console.print(f"Published {name}: {location}")


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
