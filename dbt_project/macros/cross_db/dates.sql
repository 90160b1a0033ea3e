{#- Date helpers that return a DATE on every engine: DuckDB's date + interval is a timestamp and
    date_trunc of a date can be a timestamp (a timestamptz in the session zone on PostgreSQL). -#}
{% macro add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro quarter_start(date_expr) -%}
    cast({{ dbt.date_trunc('quarter', date_expr) }} as date)
{%- endmacro %}

{#- ISO week start (Monday), from the days since Monday 1900-01-01: date_trunc('week') starts on
    Sunday on BigQuery and extract(dow) numbers days differently per engine. -#}
{% macro iso_week_start(date_expr) -%}
    {{ add_days(date_expr, '-1 * mod(' ~ days_between("cast('1900-01-01' as date)", date_expr) ~ ', 7)') }}
{%- endmacro %}

{% macro date_literal(iso_date) -%}
    cast('{{ iso_date }}' as date)
{%- endmacro %}

{#- A calendar part (year, quarter, month, day) as an integer; `extract` is portable for these
    parts (unlike dow and epoch). -#}
{% macro date_part_integer(part, date_expr) -%}
    extract({{ part }} from {{ date_expr }})
{%- endmacro %}

{% macro add_months(date_expr, months) -%}
    cast({{ dbt.dateadd('month', months, date_expr) }} as date)
{%- endmacro %}
