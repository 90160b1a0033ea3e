-- One row per case: its variant, the activities of its steps in order (int_case_steps), joined by
-- ' > '. Incremental by case, driven by int_cases like int_case_steps: a run rebuilds the cases
-- int_cases rebuilt since this table's last run and removes the cases gone from it.
{{ config(**key_incremental('case_id', 'event_count = 0')) }}

-- depends_on: {{ ref('int_cases') }}

with
{% if is_incremental() %}
    changed_cases as (
        {{ cases_rebuilt_since_last_build() }}
    ),

    steps as (
        select case_steps.*
        from {{ ref('int_case_steps') }} as case_steps
        inner join changed_cases on case_steps.case_id = changed_cases.case_id
    ),
{% else %}
    steps as (
        select * from {{ ref('int_case_steps') }}
    ),
{% endif %}

-- The whole sequence is on each case's last step (macros/cross_db/string_agg_over.sql).
sequences as (
    select
        steps.case_id,
        steps.use_case_id,
        steps.case_month,
        steps.step_index,
        count(*) over (partition by steps.case_id) as event_count,
        {{ string_agg_over('steps.activity', 'steps.case_id', 'steps.step_index', ' > ') }} as variant
    from steps
),

variants as (
    select * from sequences
    where step_index = event_count
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
    from ({{ cases_gone_since_last_build('true') }}) as built
{% endif %}
