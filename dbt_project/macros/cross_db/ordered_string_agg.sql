{#- The values of a group joined into one string in the order of `order_by` (a column unique in the
    group): dbt.listagg drops the order on Spark, which sorts an array of (order, value) pairs. -#}
{% macro ordered_string_agg(measure, order_by, delimiter) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'value_pipeline')(measure, order_by, delimiter)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(measure, order_by, delimiter) -%}
    {{ dbt.listagg(measure, "'" ~ delimiter ~ "'", 'order by ' ~ order_by) }}
{%- endmacro %}

{% macro spark__ordered_string_agg(measure, order_by, delimiter) -%}
    concat_ws(
        '{{ delimiter }}',
        transform(
            array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ measure }}))),
            pair -> pair.v
        )
    )
{%- endmacro %}
