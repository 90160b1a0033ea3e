{#- The incremental configuration of a model with one row per key (a case) whose run emits the rows
    of the keys that changed: each emitted row replaces the row of its key. A key whose source rows
    are gone is emitted as a tombstone (`tombstone_condition` true) and removed after the run
    (no tombstones without a condition).
    - DuckDB, PostgreSQL, Snowflake and the rest: `delete+insert` by the key;
    - BigQuery: `merge` by the key;
    - Spark/Databricks without Delta: a table rebuilt every run (Parquet tables cannot delete rows
      by key), so `is_incremental()` is false there.
    Usage: {{ config(**key_incremental('case_id', 'event_count = 0')) }} -#}
{% macro key_incremental(unique_key, tombstone_condition=none) -%}
    {{ return(adapter.dispatch('key_incremental', 'value_pipeline')(unique_key, tombstone_condition)) }}
{%- endmacro %}

{% macro default__key_incremental(unique_key, tombstone_condition) -%}
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

{% macro bigquery__key_incremental(unique_key, tombstone_condition) -%}
    {%- set config = default__key_incremental(unique_key, tombstone_condition) -%}
    {%- do config.update({'incremental_strategy': 'merge'}) -%}
    {{ return(config) }}
{%- endmacro %}

{% macro spark__key_incremental(unique_key, tombstone_condition) -%}
    {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
{%- endmacro %}
