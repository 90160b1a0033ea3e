{#- The incremental configuration of a model with rows per key (a case) whose run emits the rows of
    the keys that changed: the emitted rows replace the rows of their key (one row per key, or
    several with `rows_per_key='many'`). A key whose source rows
    are gone is emitted as a tombstone (`tombstone_condition` true) and removed after the run
    (no tombstones without a condition).
    - DuckDB, PostgreSQL, Snowflake and the rest: `delete+insert` by the key;
    - BigQuery: `merge` by the key (one row per key; a model with several is rebuilt every run, as
      a merge must match one source row per target row);
    - Spark/Databricks without Delta: a table rebuilt every run (Parquet tables cannot delete rows
      by key), so `is_incremental()` is false there.
    Usage: {{ config(**key_incremental('case_id', 'event_count = 0')) }} -#}
{% macro key_incremental(unique_key, tombstone_condition=none, rows_per_key='one') -%}
    {{ return(adapter.dispatch('key_incremental', 'value_pipeline')(unique_key, tombstone_condition, rows_per_key)) }}
{%- endmacro %}

{% macro default__key_incremental(unique_key, tombstone_condition, rows_per_key) -%}
    {%- set config = {
        'materialized': 'incremental',
        'on_schema_change': 'fail',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
    } -%}
    {%- if tombstone_condition is not none -%}
        {%- do config.update({'post_hook': ['delete from {{ this }} where ' ~ tombstone_condition]}) -%}
    {%- endif -%}
    {{ return(config) }}
{%- endmacro %}

{% macro bigquery__key_incremental(unique_key, tombstone_condition, rows_per_key) -%}
    {%- if rows_per_key == 'many' -%}
        {{ return({'materialized': 'table'}) }}
    {%- endif -%}
    {%- set config = default__key_incremental(unique_key, tombstone_condition, rows_per_key) -%}
    {%- do config.update({'incremental_strategy': 'merge'}) -%}
    {{ return(config) }}
{%- endmacro %}

{% macro spark__key_incremental(unique_key, tombstone_condition, rows_per_key) -%}
    {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
{%- endmacro %}
