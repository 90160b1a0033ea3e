-- Benefits per use case x month x benefit type x status, with the original amount, the FX rate
-- and hourly cost used, and the amount in reporting currency (int_value_tracked_monthly).
select
    cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(period_month as date) as period_month,
    cast(benefit_type as {{ dbt.type_string() }}) as benefit_type,
    cast(benefit_status as {{ dbt.type_string() }}) as benefit_status,
    cast(amount as {{ type_double() }}) as original_amount,
    cast(unit as {{ dbt.type_string() }}) as original_unit,
    cast(hours_saved as {{ type_double() }}) as hours_saved,
    cast(cost_rate_team as {{ dbt.type_string() }}) as cost_rate_team,
    cast(hourly_cost as {{ type_double() }}) as hourly_cost,
    cast(cost_rate_valid_from as date) as cost_rate_valid_from,
    cast(source_currency as {{ dbt.type_string() }}) as source_currency,
    cast(fx_rate as {{ type_double() }}) as fx_rate,
    cast(fx_rate_date as date) as fx_rate_date,
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(amount_reporting as {{ type_double() }}) as amount_reporting
from {{ ref('int_value_tracked_monthly') }}
