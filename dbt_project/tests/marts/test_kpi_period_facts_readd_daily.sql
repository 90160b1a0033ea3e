-- Weekly, monthly and quarterly rows re-add the daily rows: flow KPIs sum the daily numerators
-- and denominators, stock KPIs carry those of the period's last day with a row; and every value
-- is numerator / denominator (value_tracked: the numerator), never an average of ratios.
with daily as (
    select * from {{ ref('fct_kpi_daily') }}
),

periods as (
    select
        'week' as grain,
        *
    from {{ ref('fct_kpi_weekly') }}
    union all
    select
        'month' as grain,
        *
    from {{ ref('fct_kpi_monthly') }}
    union all
    select
        'quarter' as grain,
        *
    from {{ ref('fct_kpi_quarterly') }}
),

daily_periods as (
    select
        'week' as grain,
        {{ iso_week_start('date_day') }} as period_start,
        *
    from daily
    union all
    select
        'month' as grain,
        {{ month_start('date_day') }} as period_start,
        *
    from daily
    union all
    select
        'quarter' as grain,
        {{ quarter_start('date_day') }} as period_start,
        *
    from daily
),

expected as (
    select
        grain,
        kpi_id,
        scope_type,
        scope_id,
        period_start,
        max(date_day) as last_row_day,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum
    from daily_periods
    group by grain, kpi_id, scope_type, scope_id, period_start
)

select
    periods.grain,
    periods.kpi_id,
    periods.scope_type,
    periods.scope_id,
    periods.period_start
from periods
left join expected
    on
        periods.grain = expected.grain
        and periods.kpi_id = expected.kpi_id
        and periods.scope_type = expected.scope_type
        and periods.scope_id = expected.scope_id
        and periods.period_start = expected.period_start
left join daily as last_day
    on
        expected.kpi_id = last_day.kpi_id
        and expected.scope_type = last_day.scope_type
        and expected.scope_id = last_day.scope_id
        and expected.last_row_day = last_day.date_day
where
    expected.kpi_id is null
    or (periods.kpi_kind = 'flow' and not {{ approx_equal('periods.numerator', 'expected.numerator_sum') }})
    or (periods.kpi_kind = 'flow' and not {{ approx_equal('periods.denominator', 'expected.denominator_sum') }})
    or (periods.kpi_kind = 'stock' and not {{ approx_equal('periods.numerator', 'last_day.numerator') }})
    or (periods.kpi_kind = 'stock' and not {{ approx_equal('periods.denominator', 'last_day.denominator') }})
    or (periods.kpi_id = 'value_tracked' and not {{ approx_equal('periods.value', 'periods.numerator') }})
    or (
        periods.kpi_id <> 'value_tracked'
        and not {{ approx_equal('periods.value', 'periods.numerator / nullif(periods.denominator, 0)') }}
    )
