{#- One row per case of `events` (a CTE name): the opening event's use case, team, priority and
    time (the first `opened` event, else the first event) and the first non-null team and
    priority in event order; ties on event_ts are broken by event_id. -#}
{% macro case_openings(events) -%}
    {{ return(adapter.dispatch('case_openings', 'value_pipeline')(events)) }}
{%- endmacro %}

{#- Three row_number windows, each a sort of every event by case. -#}
{% macro default__case_openings(events) %}
with events_ranked as (
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
    from {{ events }}
)

select
    opening_events.case_id,
    opening_events.use_case_id,
    opening_events.team as opening_team,
    opening_events.priority as opening_priority,
    opening_events.event_ts as opened_at,
    first_teams.team as first_team,
    first_priorities.priority as first_priority
from events_ranked as opening_events
inner join events_ranked as first_teams
    on opening_events.case_id = first_teams.case_id and first_teams.team_rank = 1
inner join events_ranked as first_priorities
    on opening_events.case_id = first_priorities.case_id and first_priorities.priority_rank = 1
where opening_events.opening_rank = 1
{% endmacro %}

{#- One hash aggregation: arg_min_null keeps the value of the row with the smallest key, NULL
    included (the sorts above spill at tens of millions of events: 250 s of a 50M build). -#}
{% macro duckdb__case_openings(events) %}
with openings as (
    select
        case_id,
        arg_min_null(
            struct_pack(use_case_id, team, priority, event_ts),
            struct_pack(rank := case when event_type = 'opened' then 0 else 1 end, event_ts, event_id)
        ) as opening_event,
        arg_min_null(
            team, struct_pack(rank := case when team is null then 1 else 0 end, event_ts, event_id)
        ) as first_team,
        arg_min_null(
            priority, struct_pack(rank := case when priority is null then 1 else 0 end, event_ts, event_id)
        ) as first_priority
    from {{ events }}
    group by case_id
)

select
    case_id,
    opening_event.use_case_id,
    opening_event.team as opening_team,
    opening_event.priority as opening_priority,
    opening_event.event_ts as opened_at,
    first_team,
    first_priority
from openings
{% endmacro %}
