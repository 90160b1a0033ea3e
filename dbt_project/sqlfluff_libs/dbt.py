"""Stand-ins for dbt's cross-database macros (`dbt.<macro>`) when sqlfluff renders the models
with its plain jinja templater (fast; the dbt templater needs a full dbt parse). Each returns
SQL shaped like dbt-duckdb's rendering, only so the linter sees valid DuckDB SQL; dbt itself
never imports this module."""


def hash(field):
    return f"md5(cast({field} as varchar))"


def concat(fields):
    return " || ".join(fields)


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, cast({interval} as bigint) * interval 1 {datepart})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def last_day(date, datepart):
    return f"last_day({date})"


def type_string():
    return "varchar"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_boolean():
    return "boolean"


def type_timestamp():
    return "timestamp"
