-- Per use case and transition: the median wait in the cases of the baseline window against the
-- cases of the post window (opened before and after go-live, as in int_cases), and how much it rose.
-- A transition is judged when each window has at least min_cases_to_judge cases with it (registry
-- setting); the judged ones are ranked by rise. A judged rise above blocker_min_wait_rise (a share of
-- the baseline median) is a blocker; the first ranked blocker is the use case's in operator_tracker.
with settings as (
    select
        coalesce(
            max(case when setting_key = 'min_cases_to_judge' then cast(setting_value as {{ dbt.type_int() }}) end),
            20
        ) as min_cases_to_judge,
        coalesce(
            max(case when setting_key = 'blocker_min_wait_rise' then cast(setting_value as {{ type_double() }}) end),
            0.2
        ) as blocker_min_wait_rise
    from {{ ref('stg_registry__settings') }}
),

-- Occurrences and cases per window, summed over the case months (each case is in one window).
window_counts as (
    select
        use_case_id,
        from_activity,
        to_activity,
        sum(baseline_transitions) as baseline_transitions,
        sum(post_transitions) as post_transitions,
        sum(baseline_cases) as baseline_cases,
        sum(post_cases) as post_cases
    from {{ ref('int_process_transitions_monthly') }}
    group by use_case_id, from_activity, to_activity
    having sum(baseline_transitions) + sum(post_transitions) > 0
),

-- Medians need every wait of the window: read from the steps (no distinct count there).
window_medians as (
    select
        use_case_id,
        from_activity,
        activity as to_activity,
        percentile_cont(0.5) within group (
            order by case when case_window = 'baseline' then wait_hours end
        ) as baseline_median_wait_hours,
        percentile_cont(0.5) within group (
            order by case when case_window = 'post' then wait_hours end
        ) as post_median_wait_hours
    from {{ ref('int_case_steps') }}
    where from_activity is not null and case_window in ('baseline', 'post')
    group by use_case_id, from_activity, activity
),

paired as (
    select
        window_counts.*,
        window_medians.baseline_median_wait_hours,
        window_medians.post_median_wait_hours
    from window_counts
    inner join window_medians
        on
            window_counts.use_case_id = window_medians.use_case_id
            and window_counts.from_activity = window_medians.from_activity
            and window_counts.to_activity = window_medians.to_activity
),

judged as (
    select
        paired.*,
        settings.blocker_min_wait_rise,
        paired.post_median_wait_hours - paired.baseline_median_wait_hours as wait_rise_hours,
        paired.baseline_cases >= settings.min_cases_to_judge
        and paired.post_cases >= settings.min_cases_to_judge as is_judged
    from paired
    cross join settings
)

select
    cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(from_activity as {{ dbt.type_string() }}) as from_activity,
    cast(to_activity as {{ dbt.type_string() }}) as to_activity,
    cast(baseline_transitions as {{ dbt.type_int() }}) as baseline_transitions,
    cast(post_transitions as {{ dbt.type_int() }}) as post_transitions,
    cast(baseline_cases as {{ dbt.type_int() }}) as baseline_cases,
    cast(post_cases as {{ dbt.type_int() }}) as post_cases,
    cast(baseline_median_wait_hours as {{ type_double() }}) as baseline_median_wait_hours,
    cast(post_median_wait_hours as {{ type_double() }}) as post_median_wait_hours,
    cast(wait_rise_hours as {{ type_double() }}) as wait_rise_hours,
    is_judged,
    coalesce(
        is_judged and wait_rise_hours > blocker_min_wait_rise * baseline_median_wait_hours, false
    ) as is_blocker,
    cast(case
        when is_judged then row_number() over (
                partition by use_case_id
                order by
                    case when is_judged then 0 else 1 end,
                    wait_rise_hours desc,
                    from_activity asc,
                    to_activity asc
            )
    end as {{ dbt.type_int() }}) as rise_rank
from judged
