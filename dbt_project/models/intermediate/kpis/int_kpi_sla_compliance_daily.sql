-- sla_compliance (flow): cases resolved on the day within their SLA / cases resolved on the day
-- with a policy. Business unit through the case's use case, team through the case's team.
with cases as (
    select * from {{ ref('int_cases') }}
    where is_resolved and sla_hours is not null
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

counted as (
    select
        cases.resolved_date as date_day,
        cases.use_case_id,
        cases.business_unit_id,
        cases.team,
        case when cases.is_sla_met then 1 else 0 end as is_sla_met
    from cases
    cross join reporting_period
    where cases.resolved_date <= reporting_period.as_of_date
),

scoped as (
    select
        date_day,
        'portfolio' as scope_type,
        'portfolio' as scope_id,
        is_sla_met
    from counted

    union all

    select
        date_day,
        'business_unit' as scope_type,
        business_unit_id as scope_id,
        is_sla_met
    from counted

    union all

    select
        date_day,
        'use_case' as scope_type,
        use_case_id as scope_id,
        is_sla_met
    from counted

    union all

    select
        date_day,
        'team' as scope_type,
        team as scope_id,
        is_sla_met
    from counted
)

select
    'sla_compliance' as kpi_id,
    date_day,
    scope_type,
    scope_id,
    cast(sum(is_sla_met) as {{ type_double() }}) as numerator,
    cast(count(*) as {{ type_double() }}) as denominator
from scoped
where scope_id is not null
group by date_day, scope_type, scope_id
