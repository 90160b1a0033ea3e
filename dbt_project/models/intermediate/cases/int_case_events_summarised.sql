-- One row per case: what int_cases takes from the case's events up to the as-of date (the opening
-- event, the first team and priority, the milestones and counts), per docs/kpi_computation.md.
-- Incremental by case (macros/incremental/key_incremental.sql): a run recomputes, over all of
-- their events, only the cases with an event built since the last run or whose number of events
-- changed (an event gone from a re-delivered day, or crossing a new as-of date); the rest stay.
-- Counts are compared for the cases that can have gained events, and for every case only when
-- the others' total shows that one lost some.
{{ config(**key_incremental('case_id', 'event_count = 0')) }}

-- Events after the as-of date are ignored (a later reopening does not reopen a case as it stood
-- that day): macros/cases/events_to_as_of_date.sql.
{%- set as_of_events = events_to_as_of_date() %}

with
{% if is_incremental() %}
    built as (
        select
            case_id,
            event_count
        from {{ this }}
    ),

    -- What the last run saw: the newest event build it read, the last day of a time it kept (no
    -- later than its as-of date, as every time kept is an event's) and how many events it counted.
    last_run as (
        select
            max(events_built_at) as events_built_at,
            cast(greatest(
                max(opened_at),
                coalesce(max(last_resolution_at), max(opened_at)),
                coalesce(max(last_reopened_at), max(opened_at))
            ) as date) as seen_through_date,
            coalesce(sum(event_count), 0) as event_count
        from {{ this }}
    ),

    -- Cases with an event (re)built after the last run.
    rebuilt_cases as (
        select distinct events.case_id
        from {{ as_of_events }} as events
        where events.built_at > (select last_run.events_built_at from last_run)
    ),

    -- The cases that can have gained or changed events: those, and those with an event dated after
    -- the last day the last run saw (counted now if the as-of date moved forward).
    candidate_cases as (
        select rebuilt.case_id from rebuilt_cases as rebuilt

        union

        select events.case_id
        from {{ as_of_events }} as events
        where events.event_date > (select last_run.seen_through_date from last_run)
    ),

    candidate_counts as (
        select
            events.case_id,
            count(*) as event_count
        from {{ as_of_events }} as events
        where events.case_id in (select candidate.case_id from candidate_cases as candidate)
        group by events.case_id
    ),

    -- Any other case can only have lost events (gone from a re-delivered day, or after an as-of
    -- date moved back). When the other cases' total fell, every case's count is compared;
    -- otherwise only the candidates' (counting every case's events took most of a nightly run).
    other_cases_lost_events as (
        select
            coalesce(
                (select count(*) from {{ as_of_events }} as events)
                - (select coalesce(sum(counts.event_count), 0) from candidate_counts as counts)
                <> (select last_run.event_count from last_run)
                - (
                    select coalesce(sum(built.event_count), 0)
                    from built
                    where built.case_id in (select candidate.case_id from candidate_cases as candidate)
                ),
                true
            ) as has_lost
    ),

    event_counts as (
        select
            case_id,
            event_count
        from candidate_counts

        union all

        select
            events.case_id,
            count(*) as event_count
        from {{ as_of_events }} as events
        where
            (select lost.has_lost from other_cases_lost_events as lost)
            and events.case_id not in (select candidate.case_id from candidate_cases as candidate)
        group by events.case_id
    ),

    -- Cases with an event (re)built after the last run, a different number of events, or none left.
    changed_cases as (
        select rebuilt.case_id from rebuilt_cases as rebuilt

        union

        select event_counts.case_id
        from event_counts
        left join built on event_counts.case_id = built.case_id
        where built.case_id is null or event_counts.event_count <> built.event_count

        union

        select built.case_id
        from built
        where
            (select lost.has_lost from other_cases_lost_events as lost)
            and built.case_id not in (select event_counts.case_id from event_counts)
    ),

    case_events as (
        select events.*
        from {{ as_of_events }} as events
        where events.case_id in (select changed.case_id from changed_cases as changed)
    ),
{% else %}
    case_events as (
        select * from {{ as_of_events }} as events
    ),
{% endif %}

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
    from case_events
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
        sum(case when actor_type = 'human' then 1 else 0 end) as human_event_count,
        max(built_at) as events_built_at
    from case_events
    group by case_id
),

summaries as (
    select
        opening_events.case_id,
        opening_events.use_case_id,
        coalesce(opening_events.team, first_teams.team) as team,
        coalesce(opening_events.priority, first_priorities.priority) as priority,
        opening_events.opened_at,
        coalesce(case_milestones.last_resolved_at, case_milestones.last_closed_at) as last_resolution_at,
        case_milestones.last_reopened_at,
        case_milestones.event_count,
        case_milestones.human_event_count,
        case_milestones.events_built_at,
        {{ run_started_timestamp() }} as built_at
    from opening_events
    inner join case_milestones on opening_events.case_id = case_milestones.case_id
    left join first_teams on opening_events.case_id = first_teams.case_id
    left join first_priorities on opening_events.case_id = first_priorities.case_id
)

select * from summaries
{% if is_incremental() %}
    -- A case whose events are all gone: a tombstone that replaces its row, removed after the run.
    union all

    select
        changed.case_id,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as priority,
        cast(null as {{ dbt.type_timestamp() }}) as opened_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_resolution_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_reopened_at,
        0 as event_count,
        0 as human_event_count,
        cast(null as {{ dbt.type_timestamp() }}) as events_built_at,
        {{ run_started_timestamp() }} as built_at
    from changed_cases as changed
    where changed.case_id not in (select summaries.case_id from summaries)
{% endif %}
