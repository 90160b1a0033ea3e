{#- Fails with one row per listed column that holds a NULL: the column's name and its NULL rows. One
    test for a model's not-null columns instead of one dbt node per column: each node costs dbt ~30 ms
    of its own whatever the rows (bench/analysis.md, twenty-first session). Each column is counted
    by its own scan (of that column alone on columnar engines, as one test per column read it); the
    last branch only closes the union. -#}
{% test not_null_columns(model, columns) %}

select
    column_name,
    null_rows
from (
    {% for column in columns %}
        select
            '{{ column }}' as column_name,
            count(*) as null_rows
        from {{ model }}
        where {{ column }} is null
        union all
    {% endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as column_name,
        0 as null_rows
) as counted
where null_rows > 0
{% endtest %}
