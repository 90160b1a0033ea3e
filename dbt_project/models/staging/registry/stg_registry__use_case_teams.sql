with source as (
    select * from {{ source('registry', 'use_case_teams') }}
),

renamed as (
    select
        -- ids
        cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
        cast(team_id as {{ dbt.type_string() }}) as team_id,

        -- numerics
        cast(team_order as {{ dbt.type_int() }}) as team_order
    from source
)

select * from renamed
