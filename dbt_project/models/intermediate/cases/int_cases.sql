-- One row per case, per docs/kpi_computation.md ("Cases").
with reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

-- Events after the as-of date are ignored, so a report for a past as-of date sees the cases as
-- they stood that day (a later reopening does not reopen them).
events as (
    select stg_events.*
    from {{ ref('stg_workflow_events__events') }} as stg_events
    cross join reporting_period
    where stg_events.event_date <= reporting_period.as_of_date
),

use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

sla_policies as (
    select * from {{ ref('stg_registry__sla_policies') }}
),

-- The opening event is the first `opened` event, else the first event; ties on event_ts are
-- broken by event_id so the choice is reproducible.
events_ranked as (
    select
        case_id,
        use_case_id,
        team,
        priority,
        event_ts,
        row_number() over (
            partition by case_id
            order by case when event_type = 'opened' then 0 else 1 end, event_ts, event_id
        ) as opening_rank,
        row_number() over (
            partition by case_id
            order by case when team is null then 1 else 0 end, event_ts, event_id
        ) as team_rank,
        row_number() over (
            partition by case_id
            order by case when priority is null then 1 else 0 end, event_ts, event_id
        ) as priority_rank
    from events
),

opening_events as (
    select
        case_id,
        use_case_id,
        team,
        priority,
        event_ts as opened_at
    from events_ranked
    where opening_rank = 1
),

-- When the opening event lacks a team or priority, the first non-null one in event order applies.
first_teams as (
    select
        case_id,
        team
    from events_ranked
    where team_rank = 1
),

first_priorities as (
    select
        case_id,
        priority
    from events_ranked
    where priority_rank = 1
),

case_milestones as (
    select
        case_id,
        count(*) as event_count,
        max(case when event_type = 'resolved' then event_ts end) as last_resolved_at,
        max(case when event_type = 'closed' then event_ts end) as last_closed_at,
        max(case when event_type = 'reopened' then event_ts end) as last_reopened_at,
        sum(case when actor_type = 'human' then 1 else 0 end) as human_event_count
    from events
    group by case_id
),

cases as (
    select
        opening_events.case_id,
        opening_events.use_case_id,
        opening_events.opened_at,
        case_milestones.event_count,
        case_milestones.human_event_count,
        case_milestones.last_reopened_at,
        coalesce(opening_events.team, first_teams.team) as team,
        coalesce(opening_events.priority, first_priorities.priority) as priority,
        coalesce(case_milestones.last_resolved_at, case_milestones.last_closed_at) as last_resolution_at
    from opening_events
    inner join case_milestones on opening_events.case_id = case_milestones.case_id
    left join first_teams on opening_events.case_id = first_teams.case_id
    left join first_priorities on opening_events.case_id = first_priorities.case_id
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
            -- post runs to the as-of date: later events were filtered out above
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
