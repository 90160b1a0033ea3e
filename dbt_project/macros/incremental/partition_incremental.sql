{#- The incremental configuration of a model whose rows belong to one partition (a day) and are
    rebuilt a whole partition at a time: every partition present in a run's new rows replaces that
    partition in the table. One strategy per adapter, because the default `append` strategy
    silently duplicates rows when a day is re-run:
    - DuckDB, PostgreSQL, Snowflake and the rest: `delete+insert` with the partition column as
      the key (delete the partitions the new rows carry, then insert them);
    - Spark/Databricks without Delta: `insert_overwrite` of Parquet partitions;
    - BigQuery: `insert_overwrite` of date partitions.
    `on_schema_change: fail` stops a run whose columns changed instead of mixing shapes (rebuild
    with --full-refresh).
    Usage: {{ config(**partition_incremental('partition_date')) }} -#}
{% macro partition_incremental(partition_column) -%}
    {{ return(adapter.dispatch('partition_incremental', 'value_pipeline')(partition_column)) }}
{%- endmacro %}

{% macro default__partition_incremental(partition_column) -%}
    {{ return({
        'materialized': 'incremental',
        'on_schema_change': 'fail',
        'incremental_strategy': 'delete+insert',
        'unique_key': partition_column,
    }) }}
{%- endmacro %}

{% macro spark__partition_incremental(partition_column) -%}
    {{ return({
        'materialized': 'incremental',
        'on_schema_change': 'fail',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [partition_column],
        'file_format': 'parquet',
    }) }}
{%- endmacro %}

{% macro bigquery__partition_incremental(partition_column) -%}
    {{ return({
        'materialized': 'incremental',
        'on_schema_change': 'fail',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': partition_column, 'data_type': 'date'},
    }) }}
{%- endmacro %}
