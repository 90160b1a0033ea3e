-- Use cases of the registry with their business unit, primary team and windows.
with use_cases as (
    select * from {{ ref('stg_registry__use_cases') }}
),

business_units as (
    select * from {{ ref('stg_registry__business_units') }}
),

teams as (
    select * from {{ ref('stg_registry__teams') }}
),

team_counts as (
    select
        use_case_id,
        count(*) as team_count
    from {{ ref('stg_registry__use_case_teams') }}
    group by use_case_id
)

select
    cast(use_cases.use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(use_cases.use_case_name as {{ dbt.type_string() }}) as use_case_name,
    cast(use_cases.process as {{ dbt.type_string() }}) as process,
    cast(use_cases.owner as {{ dbt.type_string() }}) as owner,
    cast(use_cases.business_unit_id as {{ dbt.type_string() }}) as business_unit_id,
    cast(business_units.business_unit_name as {{ dbt.type_string() }}) as business_unit_name,
    cast(use_cases.primary_team_id as {{ dbt.type_string() }}) as primary_team_id,
    cast(teams.team_name as {{ dbt.type_string() }}) as primary_team_name,
    cast(coalesce(team_counts.team_count, 0) as {{ dbt.type_bigint() }}) as team_count,
    cast(use_cases.use_case_status as {{ dbt.type_string() }}) as use_case_status,
    cast(use_cases.identified_date as date) as identified_date,
    cast(use_cases.go_live_date as date) as go_live_date,
    cast(use_cases.baseline_days as {{ dbt.type_int() }}) as baseline_days,
    cast(coalesce(use_cases.post_window_mode, 'to_date') as {{ dbt.type_string() }}) as post_window_mode,
    cast(use_cases.value_target as {{ type_double() }}) as value_target
from use_cases
left join business_units on use_cases.business_unit_id = business_units.business_unit_id
left join teams on use_cases.primary_team_id = teams.team_id
left join team_counts on use_cases.use_case_id = team_counts.use_case_id
