-- One row per case: its variant, the activities of its steps in order (int_case_steps), joined by
-- ' > '. Incremental by case, driven by int_cases like int_case_steps: a run rebuilds the cases
-- int_cases rebuilt since this table's last run and removes the cases gone from it.
{{ config(**key_incremental('case_id', 'event_count = 0')) }}

with cases as (
    select
        case_id,
        built_at
    from {{ ref('int_cases') }}
),

{% if is_incremental() %}
    changed_cases as (
        select cases.case_id
        from cases
        where
            cases.built_at > (select max(built.built_at) from {{ this }} as built)
            or (select max(built.built_at) from {{ this }} as built) is null
    ),

    steps as (
        select case_steps.*
        from {{ ref('int_case_steps') }} as case_steps
        where case_steps.case_id in (select changed.case_id from changed_cases as changed)
    ),
{% else %}
    steps as (
        select * from {{ ref('int_case_steps') }}
    ),
{% endif %}

variants as (
    select
        steps.case_id,
        min(steps.use_case_id) as use_case_id,
        min(steps.case_month) as case_month,
        {{ ordered_string_agg('steps.activity', 'steps.step_index', ' > ') }} as variant,
        count(*) as event_count
    from steps
    group by steps.case_id
)

select
    cast(variants.case_id as {{ dbt.type_string() }}) as case_id,
    cast(variants.use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(variants.case_month as date) as case_month,
    cast(variants.variant as {{ dbt.type_string() }}) as variant,
    cast(variants.event_count as {{ dbt.type_int() }}) as event_count,
    {{ run_started_timestamp() }} as built_at
from variants
{% if is_incremental() %}
    -- A case gone from int_cases: a tombstone that replaces its row, removed after the run.
    union all

    select
        cast(built.case_id as {{ dbt.type_string() }}) as case_id,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as date) as case_month,
        cast(null as {{ dbt.type_string() }}) as variant,
        cast(0 as {{ dbt.type_int() }}) as event_count,
        {{ run_started_timestamp() }} as built_at
    from {{ this }} as built
    where not exists (
            select 1 from cases
            where cases.case_id = built.case_id
        )
{% endif %}
