{#- The groups (e.g. use case and month) whose source rows changed since the calling model built
    them: for an aggregate incremental by group, whose source is incremental by another key (the
    case) and stamps every row it rebuilds with `built_at`. A group changed when a source row of it
    was built after the group (a rebuilt case's rows landed in it) or when it holds fewer source rows
    than the group counted (a rebuilt case's rows left it, or a case is gone); new and vanished
    groups change too. Every change shows as one of those: rows that stay were built before the group
    and are still counted. Costs one grouped count over the source (no join of row keys).
    - source: the relation; source_filter: which of its rows the model aggregates;
    - group_columns: the group key, in both relations;
    - built_count_column: the model's column whose sum over a group is its number of source rows.
    For `{% if is_incremental() %}` blocks; selects the group columns. -#}
{% macro groups_changed_since_last_build(source, source_filter, group_columns, built_count_column) -%}
    select
    {%- for column in group_columns %}
            coalesce(source_groups.{{ column }}, built_groups.{{ column }}) as {{ column }},
    {%- endfor %}
        1 as changed
    from (
        select
            {{ group_columns | join(', ') }},
            count(*) as source_rows,
            max(built_at) as source_built_at
        from {{ source }}
        where {{ source_filter }}
        group by {{ group_columns | join(', ') }}
    ) as source_groups
    full outer join (
        select
            {{ group_columns | join(', ') }},
            sum({{ built_count_column }}) as built_rows,
            max(built_at) as built_at
        from {{ this }}
        group by {{ group_columns | join(', ') }}
    ) as built_groups
        on
    {%- for column in group_columns %}
        {% if not loop.first %}and {% endif %}source_groups.{{ column }} = built_groups.{{ column }}
    {%- endfor %}
    where
        source_groups.source_rows is null
        or built_groups.built_rows is null
        or source_groups.source_built_at > built_groups.built_at
        or source_groups.source_rows <> built_groups.built_rows
{%- endmacro %}
