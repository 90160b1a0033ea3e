-- Each Finance benefit row (use case x month x benefit type x status) converted to the reporting
-- currency: money at the FX rate in force on the month's first day (int_fx_rates_monthly), hours at the hourly cost of
-- the use case's primary team in force on that day, converted from the cost's currency.
with benefits as (
    select
        *,
        {{ month_start('period_month') }} as month_start
    from {{ ref('stg_finance__benefits') }}
),

use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

cost_rates as (
    select * from {{ ref('stg_finance__cost_rates') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_monthly') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

hours_benefit_months as (
    select distinct
        use_case_id,
        month_start
    from benefits
    where benefit_type = 'hours_saved'
),

-- Effective-dated cost rate: the latest valid_from on or before the month start.
cost_rate_candidates as (
    select
        benefits.use_case_id,
        benefits.month_start,
        cost_rates.team,
        cost_rates.hourly_cost,
        cost_rates.currency,
        cost_rates.valid_from,
        row_number() over (
            partition by benefits.use_case_id, benefits.month_start
            order by cost_rates.valid_from desc
        ) as rate_rank
    from hours_benefit_months as benefits
    inner join use_cases on benefits.use_case_id = use_cases.use_case_id
    inner join cost_rates
        on
            use_cases.primary_team_id = cost_rates.team
            and benefits.month_start >= cost_rates.valid_from
),

benefits_costed as (
    select
        benefits.*,
        cost_rate_candidates.team as cost_rate_team,
        cost_rate_candidates.hourly_cost,
        cost_rate_candidates.valid_from as cost_rate_valid_from,
        case
            when benefits.benefit_type = 'hours_saved' then cost_rate_candidates.currency
            else benefits.unit
        end as source_currency
    from benefits
    left join cost_rate_candidates
        on
            benefits.benefit_type = 'hours_saved'
            and benefits.use_case_id = cost_rate_candidates.use_case_id
            and benefits.month_start = cost_rate_candidates.month_start
            and cost_rate_candidates.rate_rank = 1
),

converted as (
    select
        benefits_costed.*,
        reporting_period.reporting_currency,
        -- The reporting currency converts at exactly 1, whatever the FX file says.
        case
            when benefits_costed.source_currency = reporting_period.reporting_currency then 1.0
            else fx_rates.rate_to_reporting
        end as fx_rate,
        case
            when benefits_costed.source_currency = reporting_period.reporting_currency then null
            else fx_rates.rate_date
        end as fx_rate_date
    from benefits_costed
    cross join reporting_period
    left join fx_rates
        on
            benefits_costed.source_currency = fx_rates.currency
            and benefits_costed.month_start = fx_rates.month_start
)

select
    -- ids
    use_case_id,
    month_start as period_month,
    benefit_type,
    benefit_status,

    -- original amount
    amount,
    unit,
    case when benefit_type = 'hours_saved' then amount end as hours_saved,

    -- valuation of hours
    cost_rate_team,
    hourly_cost,
    cost_rate_valid_from,

    -- conversion
    source_currency,
    cast(fx_rate as {{ type_double() }}) as fx_rate,
    fx_rate_date,
    reporting_currency,
    cast(
        {{ to_reporting_currency('benefit_type', 'amount', 'hourly_cost', 'fx_rate') }} as {{ type_double() }}
    ) as amount_reporting
from converted
