-- Scope-specific targets that replace the registry KPI target: value_tracked at use-case scope
-- is the use case's value target, at business-unit scope the sum of its use cases' targets.
with use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
)

select
    'value_tracked' as kpi_id,
    'use_case' as scope_type,
    use_case_id as scope_id,
    cast(value_target as {{ type_double() }}) as target_value
from use_cases

union all

select
    'value_tracked' as kpi_id,
    'business_unit' as scope_type,
    business_unit_id as scope_id,
    cast(sum(value_target) as {{ type_double() }}) as target_value
from use_cases
group by business_unit_id
