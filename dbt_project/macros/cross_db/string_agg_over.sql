{#- A window expression whose value on the last row of each partition (in `order_by`, a column unique
    in the partition) is the partition's values joined in that order. A window, not a grouped ordered
    aggregate: DuckDB cannot spill an ordered aggregate's groups (9 million cases ran out of 2 GB),
    while a window sorts on disk. DuckDB, PostgreSQL and BigQuery add up a running frame in window
    order; Snowflake's listagg and Spark's sorted collect_list give every row the whole partition. -#}
{% macro string_agg_over(measure, partition_by, order_by, delimiter) -%}
    {{ return(adapter.dispatch('string_agg_over', 'value_pipeline')(measure, partition_by, order_by, delimiter)) }}
{%- endmacro %}

{% macro default__string_agg_over(measure, partition_by, order_by, delimiter) -%}
    string_agg({{ measure }}, '{{ delimiter }}') over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{% macro snowflake__string_agg_over(measure, partition_by, order_by, delimiter) -%}
    listagg({{ measure }}, '{{ delimiter }}') within group (order by {{ order_by }}) over (partition by {{ partition_by }})
{%- endmacro %}

{% macro spark__string_agg_over(measure, partition_by, order_by, delimiter) -%}
    concat_ws(
        '{{ delimiter }}',
        transform(
            array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ measure }})) over (partition by {{ partition_by }})),
            pair -> pair.v
        )
    )
{%- endmacro %}
