{#- An 8-byte float on every engine: dbt.type_float() is 4 bytes on DuckDB and Spark, and
    `double precision` / `double` each fail on one engine. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'value_pipeline')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
