with source as (
    select * from {{ source('registry', 'teams') }}
),

renamed as (
    select
        -- ids
        cast(team_id as {{ dbt.type_string() }}) as team_id,
        cast(business_unit_id as {{ dbt.type_string() }}) as business_unit_id,

        -- attributes
        cast(team_name as {{ dbt.type_string() }}) as team_name
    from source
)

select * from renamed
