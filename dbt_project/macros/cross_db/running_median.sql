{#- For each partition and each distinct value of `step`: the count and the median (interpolated,
    as percentile_cont) of `value` over the rows whose step is at or before it. Selects the
    partition columns, `step`, running_count and running_median from `relation` (a CTE name). -#}
{% macro running_median(relation, partition_by, step, value) -%}
    {{ return(adapter.dispatch('running_median', 'value_pipeline')(relation, partition_by, step, value)) }}
{%- endmacro %}

{#- Every step joined to the rows before it: rows x steps, as percentile_cont is not a window
    function on PostgreSQL, Snowflake or BigQuery. -#}
{% macro default__running_median(relation, partition_by, step, value) -%}
    {%- set keys = partition_by + [step] -%}
    {%- set step_keys = [] -%}
    {%- set same_partition = [] -%}
    {%- for column in keys -%}
        {%- do step_keys.append('steps.' ~ column) -%}
    {%- endfor -%}
    {%- for column in partition_by -%}
        {%- do same_partition.append('steps.' ~ column ~ ' = rows_before.' ~ column ~ ' and ') -%}
    {%- endfor -%}

select
    {{ step_keys | join(', ') }},
    count(*) as running_count,
    percentile_cont(0.5) within group (order by rows_before.{{ value }}) as running_median
from (select distinct {{ keys | join(', ') }} from {{ relation }}) as steps
inner join {{ relation }} as rows_before
    on {{ same_partition | join('') }}rows_before.{{ step }} <= steps.{{ step }}
group by {{ step_keys | join(', ') }}
{% endmacro %}

{#- DuckDB's windowed quantile over a growing frame (a merge-sort tree): n log n, where the join
    above is rows x steps and does not fit in memory at tens of millions of events. -#}
{% macro duckdb__running_median(relation, partition_by, step, value) %}
select distinct
    {{ (partition_by + [step]) | join(', ') }},
    count(*) over running as running_count,
    quantile_cont({{ value }}, 0.5) over running as running_median
from {{ relation }}
window running as (
    partition by {{ partition_by | join(', ') }}
    order by {{ step }}
    range between unbounded preceding and current row
)
{% endmacro %}
