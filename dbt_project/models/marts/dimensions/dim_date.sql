-- Calendar from 1 January of the first workflow-event year to 31 December of the as-of year,
-- with the week (ISO, Monday start), month and quarter each day belongs to.
with reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('year', 'first_event_date') }} as date) as first_day,
        cast({{ dbt.last_day('as_of_date', 'year') }} as date) as last_day
    from reporting_period
),

days as (
    {{ date_spine('(select first_day from bounds)', '(select last_day from bounds)') }}
),

calendar as (
    select
        date_day,
        {{ iso_week_start('date_day') }} as week_start,
        {{ month_start('date_day') }} as month_start,
        {{ quarter_start('date_day') }} as quarter_start
    from days
)

select
    cast(calendar.date_day as date) as date_day,
    cast({{ date_part_integer('year', 'calendar.date_day') }} as {{ dbt.type_int() }}) as year_number,
    cast({{ date_part_integer('quarter', 'calendar.date_day') }} as {{ dbt.type_int() }}) as quarter_number,
    cast({{ date_part_integer('month', 'calendar.date_day') }} as {{ dbt.type_int() }}) as month_number,
    cast({{ date_part_integer('day', 'calendar.date_day') }} as {{ dbt.type_int() }}) as day_of_month,
    -- ISO day of week (Monday = 1), from the week start so every engine agrees
    cast({{ days_between('calendar.week_start', 'calendar.date_day') }} + 1 as {{ dbt.type_int() }})
        as iso_day_of_week,
    cast(calendar.week_start as date) as week_start,
    cast({{ add_days('calendar.week_start', 6) }} as date) as week_end,
    cast(calendar.month_start as date) as month_start,
    cast({{ dbt.last_day('calendar.month_start', 'month') }} as date) as month_end,
    cast(calendar.quarter_start as date) as quarter_start,
    cast({{ dbt.last_day('calendar.quarter_start', 'quarter') }} as date) as quarter_end,
    cast({{ days_between('calendar.week_start', 'calendar.date_day') }} >= 5 as {{ dbt.type_boolean() }})
        as is_weekend,
    cast(
        calendar.date_day between reporting_period.first_event_date and reporting_period.as_of_date
        as {{ dbt.type_boolean() }}
    ) as is_reporting_day
from calendar
cross join reporting_period
