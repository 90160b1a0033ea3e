-- Per use case and day from go-live: the median cycle time of the baseline-window cases resolved
-- by the day and of the post-window cases opened and resolved by the day (trailing mode: opened
-- in the baseline_days days ending on the day). A growing set (baseline, post to date) changes
-- only on the days cases join it: its running median is taken once per such day and holds until
-- the next one. A trailing set also loses cases, so each day is joined to its cases, at most
-- baseline_days days per case.
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
        int_cases.use_case_id,
        int_cases.case_window,
        use_cases.post_window_mode,
        int_cases.opened_date,
        int_cases.cycle_hours,
        -- the first day on which the case is both opened and resolved
        greatest(int_cases.opened_date, int_cases.resolved_date) as counted_from_date
    from {{ ref('int_cases') }} as int_cases
    inner join use_cases on int_cases.use_case_id = use_cases.use_case_id
    where int_cases.is_resolved and int_cases.case_window is not null
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

growing_set_cases as (
    select
        use_case_id,
        case_window,
        counted_from_date,
        cycle_hours
    from resolved_cases
    where case_window = 'baseline' or post_window_mode <> 'trailing'
),

growing_set_steps as (
    {{ running_median('growing_set_cases', ['use_case_id', 'case_window'], 'counted_from_date', 'cycle_hours') }}
),

growing_set_spans as (
    select
        use_case_id,
        case_window,
        counted_from_date as valid_from_date,
        running_count as resolved_cases,
        running_median as median_cycle_hours,
        lead(counted_from_date) over (
            partition by use_case_id, case_window order by counted_from_date
        ) as valid_until_date
    from growing_set_steps
),

growing_set_daily as (
    select
        use_case_days.use_case_id,
        use_case_days.date_day,
        growing_set_spans.case_window,
        growing_set_spans.resolved_cases,
        growing_set_spans.median_cycle_hours
    from use_case_days
    inner join growing_set_spans
        on
            use_case_days.use_case_id = growing_set_spans.use_case_id
            and use_case_days.date_day >= growing_set_spans.valid_from_date
            and (
                growing_set_spans.valid_until_date is null
                or use_case_days.date_day < growing_set_spans.valid_until_date
            )
),

trailing_daily as (
    select
        use_case_days.use_case_id,
        use_case_days.date_day,
        'post' as case_window,
        count(*) as resolved_cases,
        percentile_cont(0.5) within group (order by resolved_cases.cycle_hours) as median_cycle_hours
    from use_case_days
    inner join resolved_cases
        on
            use_case_days.use_case_id = resolved_cases.use_case_id
            and resolved_cases.case_window = 'post'
            and resolved_cases.post_window_mode = 'trailing'
            and use_case_days.date_day >= resolved_cases.counted_from_date
            and resolved_cases.opened_date
            >= {{ add_days('use_case_days.date_day', '1 - use_case_days.baseline_days') }}
    group by use_case_days.use_case_id, use_case_days.date_day
),

daily as (
    select * from growing_set_daily
    union all
    select * from trailing_daily
),

baseline as (
    select * from daily
    where case_window = 'baseline'
),

post as (
    select * from daily
    where case_window = 'post'
)

select
    baseline.use_case_id,
    baseline.date_day,
    cast(baseline.resolved_cases as {{ dbt.type_bigint() }}) as baseline_resolved_cases,
    cast(baseline.median_cycle_hours as {{ type_double() }}) as baseline_median_cycle_hours,
    cast(post.resolved_cases as {{ dbt.type_bigint() }}) as post_resolved_cases,
    cast(post.median_cycle_hours as {{ type_double() }}) as post_median_cycle_hours
from baseline
inner join post
    on
        baseline.use_case_id = post.use_case_id
        and baseline.date_day = post.date_day
