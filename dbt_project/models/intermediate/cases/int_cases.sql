-- One row per case, per docs/kpi_computation.md ("Cases"): the case's events as summarised by
-- int_case_events_summarised (incremental), with the registry's use case and SLA policy.
with cases as (
    select * from {{ ref('int_case_events_summarised') }}
),

use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

sla_policies as (
    select * from {{ ref('stg_registry__sla_policies') }}
),

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

-- A use-case-specific SLA policy wins over the generic policy of the priority.
with_sla as (
    select
        resolved.*,
        coalesce(specific_policies.sla_hours, generic_policies.sla_hours) as sla_hours
    from resolved
    left join sla_policies as specific_policies
        on
            resolved.priority = specific_policies.priority
            and resolved.use_case_id = specific_policies.use_case_id
    left join sla_policies as generic_policies
        on
            resolved.priority = generic_policies.priority
            and generic_policies.use_case_id is null
),

final as (
    select
        -- ids
        with_sla.case_id,
        with_sla.use_case_id,
        use_cases.business_unit_id,
        with_sla.team,
        with_sla.priority,

        -- timestamps and dates
        with_sla.opened_at,
        cast(with_sla.opened_at as date) as opened_date,
        with_sla.resolved_at,
        cast(with_sla.resolved_at as date) as resolved_date,

        -- measures
        cast({{ seconds_between('with_sla.opened_at', 'with_sla.resolved_at') }} as {{ type_double() }})
        / 3600.0 as cycle_hours,
        with_sla.sla_hours,
        with_sla.event_count,

        -- flags
        with_sla.resolved_at is not null as is_resolved,
        with_sla.last_reopened_at is not null as was_reopened,
        with_sla.human_event_count = 0 as is_touchless,

        -- window of the use case the case was opened in
        case
            when use_cases.go_live_date is null then null
            -- post runs to the as-of date: later events were left out of the summary
            when cast(with_sla.opened_at as date) >= use_cases.go_live_date then 'post'
            when
                cast(with_sla.opened_at as date) < use_cases.go_live_date
                and cast(with_sla.opened_at as date)
                >= {{ add_days('use_cases.go_live_date', '-1 * use_cases.baseline_days') }}
                then 'baseline'
        end as case_window
    from with_sla
    left join use_cases on with_sla.use_case_id = use_cases.use_case_id
)

select
    final.*,
    final.cycle_hours <= final.sla_hours as is_sla_met
from final
