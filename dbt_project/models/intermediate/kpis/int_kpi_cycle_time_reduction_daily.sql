-- cycle_time_reduction (stock): per use case post_n x (1 - post median / baseline median) over
-- post_n, so business unit and portfolio re-add the use-case numerators and denominators and
-- weight use cases by their post-window resolved cases.
with cycle_times as (
    select * from {{ ref('int_use_case_cycle_times_daily') }}
),

use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

use_case_rows as (
    select
        cycle_times.date_day,
        cycle_times.use_case_id,
        use_cases.business_unit_id,
        cast(cycle_times.post_resolved_cases as {{ type_double() }})
        * (1 - cycle_times.post_median_cycle_hours / nullif(cycle_times.baseline_median_cycle_hours, 0))
            as numerator,
        cast(cycle_times.post_resolved_cases as {{ type_double() }}) as denominator
    from cycle_times
    left join use_cases on cycle_times.use_case_id = use_cases.use_case_id
),

scoped as (
    select
        date_day,
        'use_case' as scope_type,
        use_case_id as scope_id,
        numerator,
        denominator
    from use_case_rows

    union all

    select
        date_day,
        'business_unit' as scope_type,
        business_unit_id as scope_id,
        numerator,
        denominator
    from use_case_rows

    union all

    select
        date_day,
        'portfolio' as scope_type,
        'portfolio' as scope_id,
        numerator,
        denominator
    from use_case_rows
)

select
    'cycle_time_reduction' as kpi_id,
    date_day,
    scope_type,
    scope_id,
    cast(sum(numerator) as {{ type_double() }}) as numerator,
    cast(sum(denominator) as {{ type_double() }}) as denominator
from scoped
where scope_id is not null
group by date_day, scope_type, scope_id
