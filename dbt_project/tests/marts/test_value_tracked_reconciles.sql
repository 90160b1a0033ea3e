-- Value tracked reconciles three ways, every day: the portfolio equals the sum over use cases
-- and the sum over business units, equals the converted benefits of fct_value_tracked up to the
-- day's month, and its validated and estimated parts add up to it.
with daily as (
    select * from {{ ref('fct_kpi_daily') }}
    where kpi_id = 'value_tracked'
),

portfolio as (
    select
        date_day,
        numerator,
        value_validated,
        value_estimated
    from daily
    where scope_type = 'portfolio'
),

scope_sums as (
    select
        date_day,
        sum(case when scope_type = 'use_case' then numerator end) as use_case_total,
        sum(case when scope_type = 'business_unit' then numerator end) as business_unit_total
    from daily
    group by date_day
),

reporting_days as (
    select distinct date_day from daily
),

benefits as (
    select
        reporting_days.date_day,
        sum(benefits.amount_reporting) as benefit_total
    from reporting_days
    inner join {{ ref('fct_value_tracked') }} as benefits
        on {{ month_start('reporting_days.date_day') }} >= benefits.period_month
    group by reporting_days.date_day
)

select
    portfolio.date_day,
    portfolio.numerator,
    scope_sums.use_case_total,
    scope_sums.business_unit_total,
    benefits.benefit_total
from portfolio
inner join scope_sums on portfolio.date_day = scope_sums.date_day
left join benefits on portfolio.date_day = benefits.date_day
where
    not {{ approx_equal('portfolio.numerator', 'scope_sums.use_case_total') }}
    or not {{ approx_equal('portfolio.numerator', 'scope_sums.business_unit_total') }}
    or not {{ approx_equal('portfolio.numerator', 'benefits.benefit_total') }}
    or not {{ approx_equal('portfolio.numerator', 'portfolio.value_validated + portfolio.value_estimated') }}
