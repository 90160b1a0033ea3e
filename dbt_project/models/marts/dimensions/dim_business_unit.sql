-- Business units of the registry with how many teams and use cases each has.
with business_units as (
    select * from {{ ref('stg_registry__business_units') }}
),

teams as (
    select
        business_unit_id,
        count(*) as team_count
    from {{ ref('stg_registry__teams') }}
    group by business_unit_id
),

use_cases as (
    select
        business_unit_id,
        count(*) as use_case_count,
        sum(value_target) as value_target
    from {{ ref('stg_registry__use_cases') }}
    group by business_unit_id
)

select
    cast(business_units.business_unit_id as {{ dbt.type_string() }}) as business_unit_id,
    cast(business_units.business_unit_name as {{ dbt.type_string() }}) as business_unit_name,
    cast(business_units.owner as {{ dbt.type_string() }}) as owner,
    cast(coalesce(teams.team_count, 0) as {{ dbt.type_bigint() }}) as team_count,
    cast(coalesce(use_cases.use_case_count, 0) as {{ dbt.type_bigint() }}) as use_case_count,
    cast(use_cases.value_target as {{ type_double() }}) as value_target
from business_units
left join teams on business_units.business_unit_id = teams.business_unit_id
left join use_cases on business_units.business_unit_id = use_cases.business_unit_id
