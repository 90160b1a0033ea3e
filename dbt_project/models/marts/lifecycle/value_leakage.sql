-- Value leakage per commitment, use case and cause on the as-of date (int_commitment_leakage): the
-- causes of a commitment add up to its leakage in value_realization exactly.
select
    cast(leakage.commitment_id as {{ dbt.type_string() }}) as commitment_id,
    cast(commitments.scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(commitments.scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(leakage.use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(use_cases.use_case_name as {{ dbt.type_string() }}) as use_case_name,
    cast(leakage.cause as {{ dbt.type_string() }}) as cause,
    cast(leakage.leakage_value as {{ type_double() }}) as leakage_value,
    cast(commitments.reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(commitments.as_of_date as date) as as_of_date,
    cast(leakage.planned_go_live_date as date) as planned_go_live_date,
    cast(leakage.go_live_date as date) as go_live_date,
    cast(leakage.planned_live_months as {{ dbt.type_int() }}) as planned_live_months,
    cast(leakage.actual_live_months as {{ dbt.type_int() }}) as actual_live_months,
    cast(leakage.assumed_monthly_value as {{ type_double() }}) as assumed_monthly_value,
    cast(leakage.assumed_adoption as {{ type_double() }}) as assumed_adoption,
    cast(leakage.actual_adoption as {{ type_double() }}) as actual_adoption,
    cast(leakage.assumed_cost as {{ type_double() }}) as assumed_cost,
    cast(leakage.action_cost as {{ type_double() }}) as action_cost,
    cast(leakage.value_tracked as {{ type_double() }}) as value_tracked
from {{ ref('int_commitment_leakage') }} as leakage
inner join {{ ref('int_commitments_as_of') }} as commitments on leakage.commitment_id = commitments.commitment_id
left join {{ ref('stg_registry__use_cases') }} as use_cases on leakage.use_case_id = use_cases.use_case_id
