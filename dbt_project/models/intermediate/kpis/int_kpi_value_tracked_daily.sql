-- value_tracked (stock): cumulative value in reporting currency of the benefit months up to the
-- day's month (a month counts from its first day), split by benefit status. A row exists once
-- the scope has a benefit month.
with days as (
    select * from {{ ref('int_reporting_days') }}
),

benefits as (
    select * from {{ ref('int_value_tracked_monthly') }}
),

use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

benefit_amounts as (
    select
        benefits.period_month,
        benefits.use_case_id,
        use_cases.business_unit_id,
        benefits.amount_reporting,
        case when benefits.benefit_status = 'validated' then benefits.amount_reporting end as amount_validated,
        case when benefits.benefit_status = 'estimated' then benefits.amount_reporting end as amount_estimated
    from benefits
    left join use_cases on benefits.use_case_id = use_cases.use_case_id
),

scoped_months as (
    select
        period_month,
        'use_case' as scope_type,
        use_case_id as scope_id,
        amount_reporting,
        amount_validated,
        amount_estimated
    from benefit_amounts

    union all

    select
        period_month,
        'business_unit' as scope_type,
        business_unit_id as scope_id,
        amount_reporting,
        amount_validated,
        amount_estimated
    from benefit_amounts

    union all

    select
        period_month,
        'portfolio' as scope_type,
        'portfolio' as scope_id,
        amount_reporting,
        amount_validated,
        amount_estimated
    from benefit_amounts
),

monthly as (
    select
        period_month,
        scope_type,
        scope_id,
        sum(amount_reporting) as amount_reporting,
        sum(amount_validated) as amount_validated,
        sum(amount_estimated) as amount_estimated
    from scoped_months
    where scope_id is not null
    group by period_month, scope_type, scope_id
)

select
    'value_tracked' as kpi_id,
    days.date_day,
    monthly.scope_type,
    monthly.scope_id,
    cast(sum(monthly.amount_reporting) as {{ type_double() }}) as numerator,
    cast(null as {{ type_double() }}) as denominator,
    cast(coalesce(sum(monthly.amount_validated), 0) as {{ type_double() }}) as value_validated,
    cast(coalesce(sum(monthly.amount_estimated), 0) as {{ type_double() }}) as value_estimated
from days
inner join monthly on days.month_start >= monthly.period_month
group by days.date_day, monthly.scope_type, monthly.scope_id
