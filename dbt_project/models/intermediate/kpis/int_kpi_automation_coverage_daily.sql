-- automation_coverage (stock): automated use cases live by the day / use cases not retired and
-- identified by the day; portfolio and business unit. A row exists when the denominator is > 0.
with days as (
    select * from {{ ref('int_reporting_days') }}
),

use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

use_case_days as (
    select
        days.date_day,
        use_cases.business_unit_id,
        case
            when use_cases.use_case_status = 'automated' and use_cases.go_live_date <= days.date_day
                then 1
            else 0
        end as is_automated_live,
        case
            when use_cases.use_case_status <> 'retired' and use_cases.identified_date <= days.date_day
                then 1
            else 0
        end as is_in_scope
    from days
    cross join use_cases
),

scoped as (
    select
        date_day,
        'portfolio' as scope_type,
        'portfolio' as scope_id,
        is_automated_live,
        is_in_scope
    from use_case_days

    union all

    select
        date_day,
        'business_unit' as scope_type,
        business_unit_id as scope_id,
        is_automated_live,
        is_in_scope
    from use_case_days
)

select
    'automation_coverage' as kpi_id,
    date_day,
    scope_type,
    scope_id,
    cast(sum(is_automated_live) as {{ type_double() }}) as numerator,
    cast(sum(is_in_scope) as {{ type_double() }}) as denominator
from scoped
group by date_day, scope_type, scope_id
having sum(is_in_scope) > 0
