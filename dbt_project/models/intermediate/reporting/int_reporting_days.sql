-- The days the daily KPI rows are computed for: first event date to as-of date.
with days as (
    {{ date_spine(
        '(select first_event_date from ' ~ ref('int_reporting_period') ~ ')',
        '(select as_of_date from ' ~ ref('int_reporting_period') ~ ')'
    ) }}
)

select
    date_day,
    {{ month_start('date_day') }} as month_start
from days
