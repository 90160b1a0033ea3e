-- The KPIs whose business-unit and portfolio figures re-add use-case numerators and denominators
-- (cycle_time_reduction, sla_compliance, value_tracked) agree across the three scopes every day.
with daily as (
    select * from {{ ref('fct_kpi_daily') }}
    where kpi_id in ('cycle_time_reduction', 'sla_compliance', 'value_tracked')
),

totals as (
    select
        kpi_id,
        date_day,
        scope_type,
        sum(numerator) as numerator_total,
        sum(coalesce(denominator, 0)) as denominator_total
    from daily
    where scope_type in ('portfolio', 'business_unit', 'use_case')
    group by kpi_id, date_day, scope_type
)

select
    portfolio.kpi_id,
    portfolio.date_day,
    other_scopes.scope_type
from totals as portfolio
inner join totals as other_scopes
    on
        portfolio.kpi_id = other_scopes.kpi_id
        and portfolio.date_day = other_scopes.date_day
        and other_scopes.scope_type <> 'portfolio'
where
    portfolio.scope_type = 'portfolio'
    and (
        not {{ approx_equal('portfolio.numerator_total', 'other_scopes.numerator_total') }}
        or not {{ approx_equal('portfolio.denominator_total', 'other_scopes.denominator_total') }}
    )
