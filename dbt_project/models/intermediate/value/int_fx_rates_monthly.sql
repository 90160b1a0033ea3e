-- The FX rate of each delivered currency for each month of the reporting span: the latest rate
-- dated on or before the month's first day (no row for a month before the currency's first rate).
with months as (
    select distinct month_start from {{ ref('int_reporting_days') }}
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
