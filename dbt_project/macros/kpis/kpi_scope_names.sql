{#- Display name of every KPI scope (scope_type, scope_id, scope_name) from the dimensions. -#}
{% macro kpi_scope_names() -%}
    select
        'portfolio' as scope_type,
        'portfolio' as scope_id,
        'Portfolio' as scope_name

    union all

    select
        'business_unit' as scope_type,
        business_unit_id as scope_id,
        business_unit_name as scope_name
    from {{ ref('dim_business_unit') }}

    union all

    select
        'use_case' as scope_type,
        use_case_id as scope_id,
        use_case_name as scope_name
    from {{ ref('dim_use_case') }}

    union all

    select
        'team' as scope_type,
        team_id as scope_id,
        team_name as scope_name
    from {{ ref('dim_team') }}
{%- endmacro %}
