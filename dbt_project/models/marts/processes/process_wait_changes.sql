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

window_waits as (
    select
        use_case_id,
        from_activity,
        activity as to_activity,
        case_window,
        count(*) as transitions,
        count(distinct case_id) as cases,
        percentile_cont(0.5) within group (order by wait_hours) as median_wait_hours
    from {{ ref('int_case_steps') }}
    where from_activity is not null and case_window in ('baseline', 'post')
    group by use_case_id, from_activity, activity, case_window
),

baseline_waits as (
    select * from window_waits
    where case_window = 'baseline'
),

post_waits as (
    select * from window_waits
    where case_window = 'post'
),

paired as (
    select
        baseline.median_wait_hours as baseline_median_wait_hours,
        post.median_wait_hours as post_median_wait_hours,
        coalesce(baseline.use_case_id, post.use_case_id) as use_case_id,
        coalesce(baseline.from_activity, post.from_activity) as from_activity,
        coalesce(baseline.to_activity, post.to_activity) as to_activity,
        coalesce(baseline.transitions, 0) as baseline_transitions,
        coalesce(post.transitions, 0) as post_transitions,
        coalesce(baseline.cases, 0) as baseline_cases,
        coalesce(post.cases, 0) as post_cases
    from baseline_waits as baseline
    full outer join post_waits as post
        on
            baseline.use_case_id = post.use_case_id
            and baseline.from_activity = post.from_activity
            and baseline.to_activity = post.to_activity
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
