-- Teams of the registry with their business unit.
with teams as (
    select * from {{ ref('stg_registry__teams') }}
),

business_units as (
    select * from {{ ref('stg_registry__business_units') }}
)

select
    cast(teams.team_id as {{ dbt.type_string() }}) as team_id,
    cast(teams.team_name as {{ dbt.type_string() }}) as team_name,
    cast(teams.business_unit_id as {{ dbt.type_string() }}) as business_unit_id,
    cast(business_units.business_unit_name as {{ dbt.type_string() }}) as business_unit_name
from teams
left join business_units on teams.business_unit_id = business_units.business_unit_id
