with source as (
    select * from {{ source('registry', 'use_cases') }}
),

renamed as (
    select
        -- ids
        cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
        cast(business_unit_id as {{ dbt.type_string() }}) as business_unit_id,
        cast(primary_team_id as {{ dbt.type_string() }}) as primary_team_id,

        -- attributes
        cast(use_case_name as {{ dbt.type_string() }}) as use_case_name,
        cast(process as {{ dbt.type_string() }}) as process,
        cast(owner as {{ dbt.type_string() }}) as owner,
        cast(status as {{ dbt.type_string() }}) as use_case_status,
        cast(post_window_mode as {{ dbt.type_string() }}) as post_window_mode,

        -- numerics
        cast(baseline_days as {{ dbt.type_int() }}) as baseline_days,
        cast(value_target as {{ type_double() }}) as value_target,

        -- dates
        cast(identified_date as date) as identified_date,
        cast(go_live_date as date) as go_live_date
    from source
)

select * from renamed
