-- The FX rate of each delivered currency for each month a figure is converted in (the months of the
-- reporting span, of the Finance benefits, of the action costs and of the value chains' action
-- starts): the latest rate dated on or before the month's first day (no row for a month before the
-- currency's first rate). The one place the FX rule lives: value tracked, action costs, the value
-- chains' unit values and the pain-to-value map all read it.
with months as (
    select distinct month_start from {{ ref('int_reporting_days') }}
    union
    select distinct {{ month_start('period_month') }} as month_start from {{ ref('stg_finance__benefits') }}
    union
    select distinct {{ month_start('incurred_on') }} as month_start from {{ ref('stg_finance__action_costs') }}
    union
    select distinct {{ month_start('action_start_date') }} as month_start
    from {{ ref('stg_registry__value_chains') }}
    where action_start_date is not null
),

fx_rates as (
    select * from {{ ref('stg_finance__fx_rates') }}
),

candidates as (
    select
        fx_rates.currency,
        months.month_start,
        fx_rates.rate_to_reporting,
        fx_rates.rate_date,
        row_number() over (
            partition by fx_rates.currency, months.month_start
            order by fx_rates.rate_date desc
        ) as rate_rank
    from months
    inner join fx_rates on months.month_start >= fx_rates.rate_date
)

select
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(month_start as date) as month_start,
    cast(rate_to_reporting as {{ type_double() }}) as rate_to_reporting,
    cast(rate_date as date) as rate_date
from candidates
where rate_rank = 1
