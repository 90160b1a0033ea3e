"""Row-level contract validation as one SQL statement over a whole batch.

Each text column is typed with ``try_cast``; every broken rule contributes a reason, and a row with
any reason goes to quarantine with the first failing column. Rules: required value present, type
parses, enum member, minimum, first-of-month dates, currency codes, known registry ids, no future
timestamps, no DST-ambiguous or non-existent local times, the contract's row rules, and no duplicate
key within a delivery (a dt= partition).
"""

from __future__ import annotations

from dataclasses import dataclass

from value_pipeline.contracts import Column, Contract
from value_pipeline.landing.readers import quote_ident, quote_literal

CURRENCY_PATTERN = "^[A-Z]{3}$"
# A time of day followed by an offset or Z: the timestamp carries its own zone.
OFFSET_PATTERN = r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*([zZ]|[+-]\d{2}(:?\d{2})?)$"
TRUE_VALUES = ("true", "t", "1", "yes", "y")
FALSE_VALUES = ("false", "f", "0", "no", "n")


@dataclass(frozen=True)
class ValidationContext:
    """What row validation needs beyond the contract."""

    source_time_zone: str = "UTC"
    # Registry id lists, by the name a contract column ``references`` (``use_cases``, ``value_chains``).
    reference_tables: dict[str, str] | None = None
    # Timestamps later than this SQL expression are rejected as future events.
    now_sql: str = "current_timestamp"


def _raw(column: Column) -> str:
    return quote_ident("__raw_" + column.name)


def _delivered(column: Column) -> str:
    return quote_ident("__delivered_" + column.name)


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
        has_offset = f"regexp_matches({v}, {quote_literal(OFFSET_PATTERN)})"
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
    if column.type == "timestamp":
        checks.append(
            (f"{typed} > cast({ctx.now_sql} as timestamp) + interval '1 day'", f"{name}: in the future")
        )
        if ctx.source_time_zone.upper() != "UTC":
            checks.extend(_dst_checks(column, ctx.source_time_zone))
    return checks


def _dst_checks(column: Column, tz: str) -> list[tuple[str, str]]:
    """Local times without an offset that a DST change makes ambiguous or non-existent."""
    raw = _raw(column)
    local = f"try_cast({raw} as timestamp)"
    naive = f"not regexp_matches({raw}, {quote_literal(OFFSET_PATTERN)}) and {local} is not null"
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
    typed_cols = ", ".join(
        f"{typed_expression(c, ctx.source_time_zone)} as {quote_ident(c.target)}" for c in contract.columns
    )
    reasons: list[str] = []
    first_column: list[str] = []
    for column in contract.columns:
        for condition, reason in _checks(column, contract, ctx):
            reasons.append(f"case when {condition} then {quote_literal(reason)} end")
            first_column.append(f"when {condition} then {quote_literal(column.name)}")
    for rule in contract.row_rules:
        condition = f"not coalesce({rule.rule}, true)"
        reasons.append(f"case when {condition} then {quote_literal(rule.column + ': ' + rule.reason)} end")
        first_column.append(f"when {condition} then {quote_literal(rule.column)}")
    row_reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')"
    row_column = f"case {' '.join(first_column)} end"
    key_reason, key_column = "cast(null as varchar)", "cast(null as varchar)"
    if contract.key:
        keys = ", ".join(quote_ident(contract.column(k).target) for k in contract.key)
        key_reason = (
            f"case when _row_reason is null and row_number() over (partition by _partition_date, {keys}, "
            f"_row_reason is null order by _source_file, _source_line) > 1 then "
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
        typed as (
            select *, {typed_cols} from texts
        ),
        checked as (
            select *, {row_reason} as _row_reason, {row_column} as _row_column from typed
        ),
        keyed as (
            select *, {key_reason} as _key_reason from checked
        )
        select {typed_names}, extra, _source_file, _source_line, _partition_date,
               coalesce(_row_reason, _key_reason) as _reason,
               case when _row_reason is not null then _row_column
                    when _key_reason is not null then {key_column} end as _column,
               case when coalesce(_row_reason, _key_reason) is not null
                    then cast(json_object({record_pairs}) as varchar) end as _record
        from keyed
    """
