-- One row per workflow event up to the as-of date, with its predecessor in the case: the step of
-- the directly-follows relation (docs/processes.md). A case's events are ordered by time, then by
-- the order they were delivered in (partition, file, line), as process-mining tools order a trace.
-- Incremental by case (macros/incremental/key_incremental.sql): a run rebuilds the steps of the
-- cases int_cases rebuilt since this table's last run (new or changed events, a moved as-of date,
-- changed registry windows) and removes the cases gone from int_cases; the rest stay.
{{ config(**key_incremental('case_id', 'event_id is null', rows_per_key='many')) }}

-- Events after the as-of date are ignored, as in int_case_events_summarised
-- (macros/cases/events_to_as_of_date.sql; an incremental run reads the rebuilt cases' events).
{%- set as_of_events = events_to_as_of_date() %}

-- The cases int_cases rebuilt since this table was built are read inline where needed, not as a
-- CTE: DuckDB materialises a CTE read more than once, and then builds its hash join on the events'
-- side (every event of the as-of date in a hash table, to find the events of a few cases).
with
{% if is_incremental() %}
    -- Cases gone from int_cases.
    gone_cases as (
        {{ cases_gone_since_last_build('built.step_index = 1') }}
    ),

{% endif %}

case_events as (
    select
        events.event_id,
        events.case_id,
        events.use_case_id,
        events.team,
        events.actor_type,
        events.activity,
        events.lifecycle,
        events.event_ts,
        events.event_date,
        events.partition_date,
        events.source_file,
        events.source_line
    {% if is_incremental() %}
        from {{ case_events_to_as_of_date(cases_rebuilt_since_last_build()) }} as events
    {% else %}
        from {{ as_of_events }} as events
    {% endif %}
),

-- A case's events in order: time, then delivered order (unique within a case). The step index,
-- the predecessor and the case's start share this one order (one sort); the case's start is the
-- running minimum of the times it is ordered by, that is their first.
{%- set case_order -%}
    partition by case_events.case_id
    order by case_events.event_ts, case_events.partition_date, case_events.source_file, case_events.source_line
{%- endset %}

ordered as (
    select
        case_events.*,
        row_number() over ({{ case_order }}) as step_index,
        lag(case_events.activity) over ({{ case_order }}) as from_activity,
        lag(case_events.team) over ({{ case_order }}) as from_team,
        lag(case_events.event_ts) over ({{ case_order }}) as from_event_ts,
        min(case_events.event_ts) over ({{ case_order }}) as case_started_at
    from case_events
),

-- Earlier events of the same activity in the case: how many, the latest start and complete.
with_predecessor as (
    select
        ordered.*,
        count(*) over (
            partition by ordered.case_id, ordered.activity
            order by ordered.step_index
            rows between unbounded preceding and 1 preceding
        ) as earlier_occurrences,
        max(case when ordered.lifecycle = 'start' then ordered.step_index end) over (
            partition by ordered.case_id, ordered.activity
            order by ordered.step_index
            rows between unbounded preceding and 1 preceding
        ) as last_start_step,
        max(case when ordered.lifecycle = 'start' then ordered.event_ts end) over (
            partition by ordered.case_id, ordered.activity
            order by ordered.step_index
            rows between unbounded preceding and 1 preceding
        ) as last_start_ts,
        max(case when ordered.lifecycle = 'complete' then ordered.step_index end) over (
            partition by ordered.case_id, ordered.activity
            order by ordered.step_index
            rows between unbounded preceding and 1 preceding
        ) as last_complete_step
    from ordered
)

select
    -- ids
    with_predecessor.event_id,
    with_predecessor.case_id,
    with_predecessor.use_case_id,

    -- the event
    with_predecessor.team,
    with_predecessor.actor_type,
    with_predecessor.activity,
    with_predecessor.lifecycle,
    with_predecessor.event_ts,
    with_predecessor.event_date,
    cast(with_predecessor.step_index as {{ dbt.type_int() }}) as step_index,

    -- its predecessor in the case (NULL on the case's first event)
    with_predecessor.from_activity,
    with_predecessor.from_team,
    with_predecessor.from_event_ts,

    -- measures
    cast({{ seconds_between('with_predecessor.from_event_ts', 'with_predecessor.event_ts') }} as {{ type_double() }})
    / 3600.0 as wait_hours,
    -- a complete after an open start of the same activity: hours since that start
    case
        when
            with_predecessor.lifecycle = 'complete'
            and with_predecessor.last_start_step > coalesce(with_predecessor.last_complete_step, 0)
            then
                cast(
                    {{ seconds_between('with_predecessor.last_start_ts', 'with_predecessor.event_ts') }}
                    as {{ type_double() }}
                )
                / 3600.0
    end as handling_hours,

    -- flags
    case
        when with_predecessor.team is null or with_predecessor.from_team is null then null
        else with_predecessor.team <> with_predecessor.from_team
    end as is_handoff,
    with_predecessor.earlier_occurrences > 0 as is_rework,

    -- the case
    with_predecessor.case_started_at,
    {{ month_start('with_predecessor.case_started_at') }} as case_month,
    cases.case_window,
    {{ run_started_timestamp() }} as built_at
from with_predecessor
left join {{ ref('int_cases') }} as cases on with_predecessor.case_id = cases.case_id
{% if is_incremental() %}
    -- A case gone from int_cases: a tombstone that replaces its rows, removed after the run.
    union all

    select
        cast(null as {{ dbt.type_string() }}) as event_id,
        gone_cases.case_id,
        cast(null as {{ dbt.type_string() }}) as use_case_id,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as actor_type,
        cast(null as {{ dbt.type_string() }}) as activity,
        cast(null as {{ dbt.type_string() }}) as lifecycle,
        cast(null as {{ dbt.type_timestamp() }}) as event_ts,
        cast(null as date) as event_date,
        cast(null as {{ dbt.type_int() }}) as step_index,
        cast(null as {{ dbt.type_string() }}) as from_activity,
        cast(null as {{ dbt.type_string() }}) as from_team,
        cast(null as {{ dbt.type_timestamp() }}) as from_event_ts,
        cast(null as {{ type_double() }}) as wait_hours,
        cast(null as {{ type_double() }}) as handling_hours,
        cast(null as {{ dbt.type_boolean() }}) as is_handoff,
        cast(null as {{ dbt.type_boolean() }}) as is_rework,
        cast(null as {{ dbt.type_timestamp() }}) as case_started_at,
        cast(null as date) as case_month,
        cast(null as {{ dbt.type_string() }}) as case_window,
        {{ run_started_timestamp() }} as built_at
    from gone_cases
{% endif %}
