-- One row per case, per docs/kpi_computation.md ("Cases"): the case's events as summarised by
-- int_case_events_summarised, with the business unit, SLA policy and window the registry gives it.
-- Incremental by case (macros/incremental/key_incremental.sql): a run rebuilds the cases whose
-- summary was recomputed since this table's last run, the cases new to or gone from the summary,
-- and every case of a use case whose registry attributes changed; the rest stay.
{{ config(**key_incremental('case_id', 'event_count = 0')) }}

-- Large tables are named in each CTE that reads them, not read through a shared CTE: DuckDB
-- materialises a CTE read more than once (a copy of every case, without the readers' filters).
{%- set summaries = ref('int_case_events_summarised') %}

with use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

sla_policies as (
    select * from {{ ref('stg_registry__sla_policies') }}
),

-- The registry attributes are resolved per use case and opening day, and per use case and
-- priority (a few thousand combinations), not per case.
case_days as (
    select distinct
        use_case_id,
        cast(opened_at as date) as opened_date
    from {{ summaries }}
    {% if is_incremental() %}
        union
        select distinct
            use_case_id,
            opened_date
        from {{ this }}
    {% endif %}
),

case_priorities as (
    select distinct
        use_case_id,
        priority
    from {{ summaries }}
    {% if is_incremental() %}
        union
        select distinct
            use_case_id,
            priority
        from {{ this }}
    {% endif %}
),

-- The window of a use case a case opened on a day falls in: post from go-live (to the as-of date:
-- later events were left out of the summary), baseline in the baseline_days before it.
use_case_days as (
    select
        case_days.use_case_id,
        case_days.opened_date,
        use_cases.business_unit_id,
        case
            when use_cases.go_live_date is null then null
            when case_days.opened_date >= use_cases.go_live_date then 'post'
            when
                case_days.opened_date < use_cases.go_live_date
                and case_days.opened_date
                >= {{ add_days('use_cases.go_live_date', '-1 * use_cases.baseline_days') }}
                then 'baseline'
        end as case_window
    from case_days
    left join use_cases on case_days.use_case_id = use_cases.use_case_id
),

-- A use-case-specific SLA policy wins over the generic policy of the priority; a case without a
-- priority has no SLA.
use_case_priorities as (
    select
        case_priorities.use_case_id,
        case_priorities.priority,
        coalesce(specific_policies.sla_hours, generic_policies.sla_hours) as sla_hours
    from case_priorities
    left join sla_policies as specific_policies
        on
            case_priorities.priority = specific_policies.priority
            and case_priorities.use_case_id = specific_policies.use_case_id
    left join sla_policies as generic_policies
        on
            case_priorities.priority = generic_policies.priority
            and generic_policies.use_case_id is null
),

{% if is_incremental() %}
    -- Use cases whose registry attributes (business unit, go-live, baseline, SLA policies) differ
    -- from those their built cases were given: every case of theirs is rebuilt.
    registry_changed_use_cases as (
        select distinct built_attributes.use_case_id
        from (
            select distinct
                use_case_id,
                opened_date,
                priority,
                business_unit_id,
                case_window,
                sla_hours
            from {{ this }}
        ) as built_attributes
        left join use_case_days
            on
                built_attributes.use_case_id = use_case_days.use_case_id
                and built_attributes.opened_date = use_case_days.opened_date
        left join use_case_priorities
            on
                built_attributes.use_case_id = use_case_priorities.use_case_id
                and built_attributes.priority = use_case_priorities.priority
        where
            built_attributes.business_unit_id is distinct from use_case_days.business_unit_id
            or built_attributes.case_window is distinct from use_case_days.case_window
            or built_attributes.sla_hours is distinct from use_case_priorities.sla_hours
    ),

    changed_cases as (
        -- summaries recomputed since this table was built
        select summaries.case_id
        from {{ summaries }} as summaries
        where summaries.built_at > (select max(built.built_at) from {{ this }} as built)

        union

        -- cases new to the summary, or gone from it
        select coalesce(summaries.case_id, built.case_id) as case_id
        from {{ summaries }} as summaries
        full outer join {{ this }} as built on summaries.case_id = built.case_id
        where summaries.case_id is null or built.case_id is null

        union

        select built.case_id
        from {{ this }} as built
        where built.use_case_id in (select changed.use_case_id from registry_changed_use_cases as changed)
    ),

    cases as (
        select summaries.*
        from {{ summaries }} as summaries
        where summaries.case_id in (select changed.case_id from changed_cases as changed)
    ),
{% else %}
    cases as (
        select * from {{ summaries }}
    ),
{% endif %}

-- A reopening after the last resolution leaves the case open; otherwise the case is resolved at
-- its last resolution (so a reopened-then-resolved-again case counts once, at the end).
resolved as (
    select
        cases.*,
        case
            when cases.last_reopened_at is null or cases.last_reopened_at <= cases.last_resolution_at
                then cases.last_resolution_at
        end as resolved_at
    from cases
),

final as (
    select
        -- ids
        resolved.case_id,
        resolved.use_case_id,
        use_case_days.business_unit_id,
        resolved.team,
        resolved.priority,

        -- timestamps and dates
        resolved.opened_at,
        cast(resolved.opened_at as date) as opened_date,
        resolved.resolved_at,
        cast(resolved.resolved_at as date) as resolved_date,

        -- measures
        cast({{ seconds_between('resolved.opened_at', 'resolved.resolved_at') }} as {{ type_double() }})
        / 3600.0 as cycle_hours,
        use_case_priorities.sla_hours,
        resolved.event_count,

        -- flags
        resolved.resolved_at is not null as is_resolved,
        resolved.last_reopened_at is not null as was_reopened,
        resolved.human_event_count = 0 as is_touchless,

        -- window of the use case the case was opened in
        use_case_days.case_window
    from resolved
    left join use_case_days
        on
            resolved.use_case_id = use_case_days.use_case_id
            and cast(resolved.opened_at as date) = use_case_days.opened_date
    left join use_case_priorities
        on
            resolved.use_case_id = use_case_priorities.use_case_id
            and resolved.priority = use_case_priorities.priority
)

select
    final.*,
    final.cycle_hours <= final.sla_hours as is_sla_met,
    {{ run_started_timestamp() }} as built_at
from final
{% if is_incremental() %}
    -- A case gone from the summary: a tombstone that replaces its row, removed after the run.
    union all

    select
        changed.case_id,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as {{ dbt.type_string() }}) as business_unit_id,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as priority,
        cast(null as {{ dbt.type_timestamp() }}) as opened_at,
        cast(null as date) as opened_date,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at,
        cast(null as date) as resolved_date,
        cast(null as {{ type_double() }}) as cycle_hours,
        cast(null as {{ type_double() }}) as sla_hours,
        0 as event_count,
        cast(null as {{ dbt.type_boolean() }}) as is_resolved,
        cast(null as {{ dbt.type_boolean() }}) as was_reopened,
        cast(null as {{ dbt.type_boolean() }}) as is_touchless,
        cast(null as {{ dbt.type_string() }}) as case_window,
        cast(null as {{ dbt.type_boolean() }}) as is_sla_met,
        {{ run_started_timestamp() }} as built_at
    from changed_cases as changed
    where changed.case_id not in (select cases.case_id from cases)
{% endif %}
