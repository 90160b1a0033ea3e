"""Row-level contract validation as one SQL statement over a whole batch.

Each text column is typed with ``try_cast``; every broken rule contributes a reason, and a row with
any reason goes to quarantine with the first failing column. Rules: required value present, type
parses, enum member, minimum, first-of-month dates, currency codes, known registry ids, dates and
timestamps within their plausible range and no placeholder dates, UTC offsets within +-14:00, no
DST-ambiguous or non-existent local times, the contract's row rules, and no duplicate
key within a delivery (a dt= partition).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from value_pipeline.contracts import Column, Contract
from value_pipeline.landing.readers import quote_ident, quote_literal

CURRENCY_PATTERN = "^[A-Z]{3}$"
# A time of day followed by an offset or Z: the timestamp carries its own zone. Extracted once per
# value: the zone as written, and the offset's hours and minutes ('' when absent).
ZONE_PATTERN = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([zZ]|[+-](\d{2}):?(\d{2})?)$"
# Dates exports write for "no value" (Unix and Excel epochs, .NET and SQL minimum, open-ended maximum).
SENTINEL_DATES = ("0001-01-01", "1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01", "9999-12-31")
# Without an ``earliest`` in the contract, dates and timestamps before the registry's earliest date
# minus this many years are implausible (or the registry's earliest_plausible_date setting).
YEARS_BEFORE_REGISTRY = 5
# The lower bound when the registry holds no date at all.
FALLBACK_EARLIEST = "1990-01-01"
TRUE_VALUES = ("true", "t", "1", "yes", "y")
FALSE_VALUES = ("false", "f", "0", "no", "n")


@dataclass(frozen=True)
class ValidationContext:
    """What row validation needs beyond the contract."""

    source_time_zone: str = "UTC"
    # Registry id lists, by the name a contract column ``references`` (``use_cases``, ``value_chains``).
    reference_tables: dict[str, str] | None = None
    # Dates and timestamps later than this (UTC, default: now) plus the column's ``future`` are rejected.
    now: datetime | None = None
    # Dates and timestamps before this ISO date are implausible (a column's ``earliest`` overrides it).
    earliest: str = FALLBACK_EARLIEST


def _raw(column: Column) -> str:
    return quote_ident("__raw_" + column.name)


def _delivered(column: Column) -> str:
    return quote_ident("__delivered_" + column.name)


def _zone(column: Column) -> str:
    return quote_ident("__zone_" + column.name)


def _range(column: Column) -> str:
    return quote_ident("__range_" + column.name)


def _text(column: Column) -> str:
    """Trimmed text; empty strings count as missing."""
    return f"nullif(trim({quote_ident(column.name)}), '')"


def _local_to_utc(expr: str, tz: str) -> str:
    return f"timezone('UTC', timezone({quote_literal(tz)}, {expr}))"


def typed_expression(column: Column, tz: str) -> str:
    """SQL typing a trimmed text value into the column's type (NULL when it does not parse)."""
    v = _raw(column)
    if column.type == "string":
        return v
    if column.type == "number":
        return f"case when isfinite(try_cast({v} as double)) then try_cast({v} as double) end"
    if column.type == "boolean":
        trues = ", ".join(quote_literal(t) for t in TRUE_VALUES)
        falses = ", ".join(quote_literal(f) for f in FALSE_VALUES)
        return f"case when lower({v}) in ({trues}) then true when lower({v}) in ({falses}) then false end"
    if column.type == "date":
        # Excel cells arrive as 'YYYY-MM-DD 00:00:00'; a date with a time of day is not a date.
        ts = f"try_cast({v} as timestamp)"
        midnight = f"case when {ts} = date_trunc('day', {ts}) then cast({ts} as date) end"
        return f"coalesce(try_cast({v} as date), {midnight})"
    if column.type == "timestamp":
        with_offset = f"timezone('UTC', try_cast({v} as timestamptz))"
        local = _local_to_utc(f"try_cast({v} as timestamp)", tz)
        has_offset = f"{_zone(column)}.zone <> ''"
        return f"case when {has_offset} then {with_offset} else {local} end"
    raise ValueError(f"unsupported type {column.type}")


def _checks(column: Column, contract: Contract, ctx: ValidationContext) -> list[tuple[str, str]]:
    """(SQL condition that is true when the row breaks a rule, reason) for one column."""
    raw, typed = _raw(column), quote_ident(column.target)
    name = column.name
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{raw} is null", f"{name}: required value missing"))
    if column.type != "string":
        checks.append((f"{raw} is not null and {typed} is null", f"{name}: not a valid {column.type}"))
    if column.type == "string":
        # A line break in an id or code means a quote was left open and swallowed the next lines; a
        # NUL byte, a binary or UTF-16 export. No contract column holds free text.
        breaks = " or ".join(f"contains({raw}, chr({c}))" for c in (10, 13, 0))
        checks.append(
            (
                f"{raw} is not null and ({breaks})",
                f"{name}: holds a line break or NUL byte (a quote left open, or a binary export?)",
            )
        )
    if column.enum:
        members = ", ".join(quote_literal(e) for e in column.enum)
        checks.append(
            (
                f"{raw} is not null and {raw} not in ({members})",
                f"{name}: not one of {', '.join(column.enum)}",
            )
        )
    if column.min is not None:
        op = "<=" if column.exclusive_min else "<"
        bound = "greater than" if column.exclusive_min else "at least"
        checks.append((f"{typed} {op} {column.min}", f"{name}: must be {bound} {column.min:g}"))
    if column.first_of_month:
        checks.append(
            (
                f"{typed} is not null and extract(day from {typed}) <> 1",
                f"{name}: must be the first day of a month",
            )
        )
    if column.currency:
        checks.append(
            (
                f"{raw} is not null and not regexp_matches({raw}, '{CURRENCY_PATTERN}')",
                f"{name}: not an ISO 4217 currency code",
            )
        )
    if column.references and ctx.reference_tables and column.references in ctx.reference_tables:
        ids = ctx.reference_tables[column.references]
        checks.append(
            (
                f"{raw} is not null and {raw} not in (select id from {ids})",
                f"{name}: unknown id (not in the registry's {column.references})",
            )
        )
    if column.type in {"date", "timestamp"}:
        checks.extend(_range_checks(column, ctx))
    if column.type == "timestamp":
        # Offsets lie within -12:00..+14:00; +-14:00 is the bound, so a typo like +99:00 is caught.
        zone = _zone(column)
        checks.append(
            (
                f"({zone}.h > '14' or ({zone}.h = '14' and {zone}.m > '00') or {zone}.m >= '60')",
                f"{name}: UTC offset outside -14:00..+14:00",
            )
        )
        if ctx.source_time_zone.upper() != "UTC":
            checks.extend(_dst_checks(column, ctx.source_time_zone))
    return checks


def _range_checks(column: Column, ctx: ValidationContext) -> list[tuple[str, str]]:
    """Placeholder dates, and dates or timestamps outside the column's plausible range."""
    earliest = column.earliest or ctx.earliest
    source = "the contract" if column.earliest else "the registry's earliest date minus a few years"
    flag = _range(column)
    return [
        (
            f"{flag} = 1",
            f"{column.name}: a placeholder date (such as 1970-01-01 or 9999-12-31), not a real value",
        ),
        (f"{flag} = 2", f"{column.name}: before {earliest}, the earliest plausible date ({source})"),
        (f"{flag} = 3", f"{column.name}: in the future (more than {column.future} after the run's date)"),
    ]


def range_class(column: Column, ctx: ValidationContext) -> str:
    """0 plausible or NULL, 1 a placeholder date, 2 too early, 3 too late (one cheap CASE per value).

    The common case costs two comparisons with constants; the rest is only evaluated for the few
    values outside the range (or on a placeholder day inside it).
    """
    typed = quote_ident(column.target)
    now = ctx.now or datetime.now(UTC).replace(tzinfo=None)
    kind = column.sql_type.lower()
    low = f"{kind} '{column.earliest or ctx.earliest}'"
    base = f"timestamp '{now.isoformat(sep=' ')}'" if column.type == "timestamp" else f"date '{now.date()}'"
    high = f"cast({base} + interval '{column.future}' as {kind})"

    def on(day: str) -> str:
        if column.type == "date":
            return f"{typed} = date '{day}'"
        return f"({typed} >= timestamp '{day}' and {typed} < timestamp '{day}' + interval 1 day)"

    placeholder = " or ".join(on(d) for d in SENTINEL_DATES)
    # Placeholder days inside the range (9999-12-31 never is: no column allows thousands of years ahead).
    inside = [d for d in SENTINEL_DATES if (column.earliest or ctx.earliest) <= d < "9999"]
    clean = " and ".join(f"not {on(d)}" for d in inside) or "true"
    return (
        f"case when {typed} is null then 0 when {typed} >= {low} and {typed} <= {high} and {clean} then 0 "
        f"when {placeholder} then 1 when {typed} < {low} then 2 else 3 end"
    )


def _dst_checks(column: Column, tz: str) -> list[tuple[str, str]]:
    """Local times without an offset that a DST change makes ambiguous or non-existent."""
    raw = _raw(column)
    local = f"try_cast({raw} as timestamp)"
    naive = f"{_zone(column)}.zone = '' and {local} is not null"
    utc = f"timezone({quote_literal(tz)}, {local})"
    back = f"timezone({quote_literal(tz)}, {utc})"
    twin = (
        f"(timezone({quote_literal(tz)}, {utc} + interval '1 hour') = {local} "
        f"or timezone({quote_literal(tz)}, {utc} - interval '1 hour') = {local})"
    )
    return [
        (
            f"{naive} and {back} <> {local}",
            f"{column.name}: local time does not exist in {tz} (DST gap); add an offset",
        ),
        (
            f"{naive} and {twin}",
            f"{column.name}: local time is ambiguous in {tz} (DST change); add an offset",
        ),
    ]


def validation_sql(contract: Contract, batch_table: str, ctx: ValidationContext) -> str:
    """SELECT over ``batch_table`` giving typed columns plus ``_reason`` and ``_column`` (NULL = valid)."""
    raw_cols = ", ".join(f"{_text(c)} as {_raw(c)}" for c in contract.columns)
    zones = "".join(
        f", regexp_extract({_raw(c)}, {quote_literal(ZONE_PATTERN)}, ['zone', 'h', 'm']) as {_zone(c)}"
        for c in contract.columns
        if c.type == "timestamp"
    )
    # DuckDB parses 'infinity' and '-infinity': no point in time, so not a valid date or timestamp.
    finite = ", ".join(
        f"case when isfinite({quote_ident(c.target)}) then {quote_ident(c.target)} end "
        f"as {quote_ident(c.target)}"
        for c in contract.columns
        if c.type in {"date", "timestamp"}
    )
    ranges = "".join(
        f", {range_class(c, ctx)} as {_range(c)}" for c in contract.columns if c.type in {"date", "timestamp"}
    )
    typed_cols = ", ".join(
        f"{typed_expression(c, ctx.source_time_zone)} as {quote_ident(c.target)}" for c in contract.columns
    )
    # Each rule is evaluated once into a flag; the reasons and the first failing column read the flags.
    rules: list[tuple[str, str, str]] = [
        (condition, reason, column.name)
        for column in contract.columns
        for condition, reason in _checks(column, contract, ctx)
    ]
    rules += [
        (f"not coalesce({rule.rule}, true)", f"{rule.column}: {rule.reason}", rule.column)
        for rule in contract.row_rules
    ]
    flags = ", ".join(
        f"coalesce({condition}, false) as __rule_{n}" for n, (condition, _, _) in enumerate(rules)
    )
    reasons = [
        f"case when __rule_{n} then {quote_literal(reason)} end" for n, (_, reason, _) in enumerate(rules)
    ]
    first_column = [f"when __rule_{n} then {quote_literal(col)}" for n, (_, _, col) in enumerate(rules)]
    row_reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')"
    row_column = f"case {' '.join(first_column)} end"
    # A key's first valid row in the delivery (by file, then line) stays; its later valid rows are
    # duplicates. The keys delivered twice are found by a grouping and joined back: a window over
    # every row sorted the whole batch with all its columns (the events' load at 10M: 56-67 s, 50 s).
    key_reason, key_column = "cast(null as varchar)", "cast(null as varchar)"
    repeated, repeated_join = "", ""
    if contract.key:
        keys = [quote_ident(contract.column(k).target) for k in contract.key]
        # A row's place in the delivery (unambiguous below: ``repeated`` has no file or line column).
        position = "struct_pack(f := _source_file, l := _source_line)"
        repeated = f""",
        repeated as (
            select _partition_date, {", ".join(keys)}, min({position}) as _first
            from checked where _row_reason is null
            group by _partition_date, {", ".join(keys)} having count(*) > 1
        )"""
        same = " and ".join(f"d.{k} is not distinct from c.{k}" for k in ["_partition_date", *keys])
        repeated_join = f"left join repeated as d on {same}"
        key_reason = (
            f"case when c._row_reason is null and d._first is not null "
            f"and d._first <> {position} then "
            f"'duplicate key (' || {quote_literal(', '.join(contract.key))} || ') within the delivery' end"
        )
        key_column = quote_literal(contract.key[0])
    typed_names = ", ".join(quote_ident(c.target) for c in contract.columns)
    # The delivered text of each column, for the quarantine record; JSON is built for rejected rows only.
    delivered = ", ".join(f"{quote_ident(c.name)} as {_delivered(c)}" for c in contract.columns)
    record_pairs = ", ".join(f"{quote_literal(c.name)}, {_delivered(c)}" for c in contract.columns)
    return f"""
        with texts as (
            select {raw_cols}, {delivered}, extra, _source_file, _source_line, _partition_date
            from {batch_table}
        ),
        zoned as (
            select *{zones} from texts
        ),
        typed_any as (
            select *, {typed_cols} from zoned
        ),
        typed as (
            select * {f"replace ({finite})" if finite else ""}{ranges} from typed_any
        ),
        flagged as (
            select *, {flags} from typed
        ),
        checked as (
            select *, {row_reason} as _row_reason, {row_column} as _row_column from flagged
        ){repeated},
        keyed as (
            select c.*, {key_reason} as _key_reason from checked as c {repeated_join}
        )
        select {typed_names}, extra, _source_file, _source_line, _partition_date,
               coalesce(_row_reason, _key_reason) as _reason,
               case when _row_reason is not null then _row_column
                    when _key_reason is not null then {key_column} end as _column,
               case when coalesce(_row_reason, _key_reason) is not null
                    then cast(json_object({record_pairs}) as varchar) end as _record
        from keyed
    """
