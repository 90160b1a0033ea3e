-- Finance action costs of each registry value chain (rows whose value_chain_id is the chain's
-- action_cost_ref), converted to the reporting currency with the rule used for benefits
-- (int_fx_rates_monthly): the FX rate with the latest rate_date on or before the first day of the
-- month the cost was incurred in.
with value_chains as (
    select * from {{ ref('stg_registry__value_chains') }}
),

action_costs as (
    select
        *,
        {{ month_start('incurred_on') }} as cost_month
    from {{ ref('stg_finance__action_costs') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_monthly') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

chain_costs as (
    select
        value_chains.value_chain_id,
        value_chains.action_cost_ref,
        action_costs.cost_type,
        action_costs.amount,
        action_costs.currency,
        action_costs.incurred_on,
        action_costs.cost_month,
        action_costs.source_file,
        action_costs.source_line
    from value_chains
    inner join action_costs on value_chains.action_cost_ref = action_costs.value_chain_id
),

converted as (
    select
        chain_costs.*,
        reporting_period.reporting_currency,
        -- The reporting currency converts at exactly 1, whatever the FX file says.
        case
            when chain_costs.currency = reporting_period.reporting_currency then 1.0
            else fx_rates.rate_to_reporting
        end as fx_rate,
        case
            when chain_costs.currency = reporting_period.reporting_currency then null
            else fx_rates.rate_date
        end as fx_rate_date
    from chain_costs
    cross join reporting_period
    left join fx_rates
        on
            chain_costs.currency = fx_rates.currency
            and chain_costs.cost_month = fx_rates.month_start
)

select
    -- ids
    cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
    cast(action_cost_ref as {{ dbt.type_string() }}) as action_cost_ref,

    -- attributes
    cast(cost_type as {{ dbt.type_string() }}) as cost_type,

    -- original amount
    cast(amount as {{ type_double() }}) as amount,
    cast(currency as {{ dbt.type_string() }}) as currency,

    -- dates
    cast(incurred_on as date) as incurred_on,
    cast(cost_month as date) as cost_month,

    -- conversion
    cast(fx_rate as {{ type_double() }}) as fx_rate,
    cast(fx_rate_date as date) as fx_rate_date,
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(
        {{ to_reporting_currency("'action_cost'", 'amount', 'null', 'fx_rate') }} as {{ type_double() }}
    ) as amount_reporting,

    -- lineage
    cast(source_file as {{ dbt.type_string() }}) as source_file,
    cast(source_line as {{ dbt.type_bigint() }}) as source_line
from converted
