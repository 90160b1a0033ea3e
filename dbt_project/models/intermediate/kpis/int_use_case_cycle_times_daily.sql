-- Per use case and day from go-live: the median cycle time of the baseline-window cases resolved
-- by the day and of the post-window cases opened and resolved by the day (trailing mode: opened
-- in the baseline_days days ending on the day). The sets grow day by day, so each day is joined
-- to its cases and the median taken per (use case, day).
with days as (
    select * from {{ ref('int_reporting_days') }}
),

use_cases as (
    select
        use_case_id,
        go_live_date,
        baseline_days,
        coalesce(post_window_mode, 'to_date') as post_window_mode
    from {{ ref('stg_registry__use_cases') }}
    where go_live_date is not null
),

resolved_cases as (
    select
        use_case_id,
        case_window,
        opened_date,
        resolved_date,
        cycle_hours
    from {{ ref('int_cases') }}
    where is_resolved and case_window is not null
),

use_case_days as (
    select
        use_cases.use_case_id,
        use_cases.baseline_days,
        use_cases.post_window_mode,
        days.date_day
    from use_cases
    inner join days on use_cases.go_live_date <= days.date_day
),

baseline as (
    select
        use_case_days.use_case_id,
        use_case_days.date_day,
        count(*) as baseline_resolved_cases,
        percentile_cont(0.5) within group (order by resolved_cases.cycle_hours) as baseline_median_cycle_hours
    from use_case_days
    inner join resolved_cases
        on
            use_case_days.use_case_id = resolved_cases.use_case_id
            and resolved_cases.case_window = 'baseline'
            and use_case_days.date_day >= resolved_cases.resolved_date
    group by use_case_days.use_case_id, use_case_days.date_day
),

post as (
    select
        use_case_days.use_case_id,
        use_case_days.date_day,
        count(*) as post_resolved_cases,
        percentile_cont(0.5) within group (order by resolved_cases.cycle_hours) as post_median_cycle_hours
    from use_case_days
    inner join resolved_cases
        on
            use_case_days.use_case_id = resolved_cases.use_case_id
            and resolved_cases.case_window = 'post'
            and use_case_days.date_day >= resolved_cases.opened_date
            and use_case_days.date_day >= resolved_cases.resolved_date
            and (
                use_case_days.post_window_mode <> 'trailing'
                or resolved_cases.opened_date
                >= {{ add_days('use_case_days.date_day', '1 - use_case_days.baseline_days') }}
            )
    group by use_case_days.use_case_id, use_case_days.date_day
)

select
    baseline.use_case_id,
    baseline.date_day,
    cast(baseline.baseline_resolved_cases as {{ dbt.type_bigint() }}) as baseline_resolved_cases,
    cast(baseline.baseline_median_cycle_hours as {{ type_double() }}) as baseline_median_cycle_hours,
    cast(post.post_resolved_cases as {{ dbt.type_bigint() }}) as post_resolved_cases,
    cast(post.post_median_cycle_hours as {{ type_double() }}) as post_median_cycle_hours
from baseline
inner join post
    on
        baseline.use_case_id = post.use_case_id
        and baseline.date_day = post.date_day
