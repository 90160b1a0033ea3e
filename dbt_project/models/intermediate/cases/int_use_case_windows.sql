-- The baseline and post windows of every use case with a go-live date, as dates.
with use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
    where go_live_date is not null
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

windows as (
    select
        use_cases.use_case_id,
        'baseline' as case_window,
        {{ add_days('use_cases.go_live_date', '-1 * use_cases.baseline_days') }} as window_start_date,
        {{ add_days('use_cases.go_live_date', -1) }} as window_end_date
    from use_cases

    union all

    -- The trailing mode keeps only the last baseline_days days, never before go-live.
    {%- set trailing_start = add_days('reporting_period.as_of_date', '1 - use_cases.baseline_days') %}
    select
        use_cases.use_case_id,
        'post' as case_window,
        case
            when coalesce(use_cases.post_window_mode, 'to_date') = 'trailing'
                then greatest(use_cases.go_live_date, {{ trailing_start }})
            else use_cases.go_live_date
        end as window_start_date,
        reporting_period.as_of_date as window_end_date
    from use_cases
    cross join reporting_period
    where use_cases.go_live_date <= reporting_period.as_of_date
)

select * from windows
