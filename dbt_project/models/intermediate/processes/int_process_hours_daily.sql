-- The hours of every step per use case, day, team and subject, the daily sums pain_to_value_map
-- values and adds up over its 12 months. A subject is a transition (the waiting between two steps)
-- or an activity (the handling between its start and its complete, where the log records both);
-- each step counts once: a step with handling hours in its activity's row, any other step in its
-- transition's row. Incremental by use case and day: a run recomputes only the days whose steps
-- int_case_steps rebuilt or removed since (macros/incremental/groups_changed_since_last_build.sql).
{{ config(**key_incremental(['use_case_id', 'event_date'], 'step_count = 0', rows_per_key='many')) }}

with
{% if is_incremental() %}
    changed_days as (
        {{ groups_changed_since_last_build(
            ref('int_case_steps'), 'from_activity is not null', ['use_case_id', 'event_date'], 'step_count'
        ) }}
    ),
{% endif %}

steps as (
    select
        case_steps.use_case_id,
        case_steps.event_date,
        case_steps.team,
        case_steps.activity,
        case_steps.is_rework,
        case_steps.is_handoff,
        case when case_steps.handling_hours is null then 'transition' else 'activity' end as subject_kind,
        case when case_steps.handling_hours is null then case_steps.from_activity end as from_activity,
        coalesce(case_steps.handling_hours, case_steps.wait_hours) as hours
    from {{ ref('int_case_steps') }} as case_steps
    {% if is_incremental() %}
        inner join changed_days
            on
                case_steps.use_case_id = changed_days.use_case_id
                and case_steps.event_date = changed_days.event_date
    {% endif %}
    where case_steps.from_activity is not null
)

select
    use_case_id,
    event_date,
    team,
    subject_kind,
    from_activity,
    activity,
    count(*) as step_count,
    sum(hours) as hours,
    sum(case when is_rework then 1 else 0 end) as rework_count,
    sum(case when is_handoff then 1 else 0 end) as handoff_count,
    {{ run_started_timestamp() }} as built_at
from steps
group by use_case_id, event_date, team, subject_kind, from_activity, activity
{% if is_incremental() %}
    -- A day left without steps: a tombstone that replaces its rows, removed after the run.
    union all

    select
        changed_days.use_case_id,
        changed_days.event_date,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as subject_kind,
        cast(null as {{ dbt.type_string() }}) as from_activity,
        cast(null as {{ dbt.type_string() }}) as activity,
        0 as step_count,
        cast(null as {{ type_double() }}) as hours,
        0 as rework_count,
        0 as handoff_count,
        {{ run_started_timestamp() }} as built_at
    from changed_days
    where not exists (
            select 1 from steps
            where
                steps.use_case_id = changed_days.use_case_id
                and steps.event_date = changed_days.event_date
        )
{% endif %}
