{#- Exact elapsed seconds (with fractions) from one timestamp to another; dbt.datediff counts
    crossed second boundaries instead, and `extract(epoch ...)` is missing on Spark. -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'value_pipeline')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    extract(epoch from ({{ end_ts }} - {{ start_ts }}))
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }}))
{%- endmacro %}

{% macro spark__seconds_between(start_ts, end_ts) -%}
    (unix_micros({{ end_ts }}) - unix_micros({{ start_ts }})) / 1000000.0
{%- endmacro %}

{% macro snowflake__seconds_between(start_ts, end_ts) -%}
    timestampdiff(microsecond, {{ start_ts }}, {{ end_ts }}) / 1000000.0
{%- endmacro %}

{% macro bigquery__seconds_between(start_ts, end_ts) -%}
    timestamp_diff({{ end_ts }}, {{ start_ts }}, microsecond) / 1000000.0
{%- endmacro %}
