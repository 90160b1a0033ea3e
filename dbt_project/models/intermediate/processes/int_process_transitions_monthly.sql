-- The directly-follows relation per use case and case month (the month its cases started), with
-- each case window's share: what marts.process_transitions publishes and process_wait_changes
-- sums. Incremental by use case and case month: a run recomputes, from all of their steps, only the
-- months whose steps int_case_steps rebuilt or removed since (macros/incremental/
-- groups_changed_since_last_build.sql), so a nightly run reads the months of the cases it changed.
{{ config(**key_incremental(['use_case_id', 'case_month'], 'from_activity is null', rows_per_key='many')) }}

with
{% if is_incremental() %}
    changed_months as (
        {{ groups_changed_since_last_build(
            ref('int_case_steps'), 'from_activity is not null', ['use_case_id', 'case_month'], 'transitions'
        ) }}
    ),
{% endif %}

steps as (
    select
        case_steps.use_case_id,
        case_steps.case_month,
        case_steps.from_activity,
        case_steps.activity,
        case_steps.case_id,
        case_steps.case_window,
        case_steps.wait_hours,
        case_steps.is_handoff,
        case_steps.is_rework
    from {{ ref('int_case_steps') }} as case_steps
    {% if is_incremental() %}
        inner join changed_months
            on
                case_steps.use_case_id = changed_months.use_case_id
                and case_steps.case_month = changed_months.case_month
    {% endif %}
    where case_steps.from_activity is not null
)

select
    use_case_id,
    case_month,
    from_activity,
    activity as to_activity,
    count(*) as transitions,
    count(distinct case_id) as cases,
    percentile_cont(0.5) within group (order by wait_hours) as median_wait_hours,
    percentile_cont(0.9) within group (order by wait_hours) as p90_wait_hours,
    sum(case when is_handoff then 1.0 else 0.0 end)
    / nullif(sum(case when is_handoff is not null then 1.0 else 0.0 end), 0) as handoff_share,
    sum(case when is_rework then 1 else 0 end) as rework_transitions,
    -- each case is in one window: these add up over months
    sum(case when case_window = 'baseline' then 1 else 0 end) as baseline_transitions,
    sum(case when case_window = 'post' then 1 else 0 end) as post_transitions,
    count(distinct case when case_window = 'baseline' then case_id end) as baseline_cases,
    count(distinct case when case_window = 'post' then case_id end) as post_cases,
    {{ run_started_timestamp() }} as built_at
from steps
group by use_case_id, case_month, from_activity, activity
{% if is_incremental() %}
    -- A month left without steps: a tombstone that replaces its rows, removed after the run.
    union all

    select
        changed_months.use_case_id,
        changed_months.case_month,
        cast(null as {{ dbt.type_string() }}) as from_activity,
        cast(null as {{ dbt.type_string() }}) as to_activity,
        0 as transitions,
        0 as cases,
        cast(null as {{ type_double() }}) as median_wait_hours,
        cast(null as {{ type_double() }}) as p90_wait_hours,
        cast(null as {{ type_double() }}) as handoff_share,
        0 as rework_transitions,
        0 as baseline_transitions,
        0 as post_transitions,
        0 as baseline_cases,
        0 as post_cases,
        {{ run_started_timestamp() }} as built_at
    from changed_months
    where not exists (
            select 1 from steps
            where
                steps.use_case_id = changed_months.use_case_id
                and steps.case_month = changed_months.case_month
        )
{% endif %}
