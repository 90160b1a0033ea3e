with source as (
    select * from {{ source('registry', 'value_chain_teams') }}
),

renamed as (
    select
        -- ids
        cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
        cast(team_id as {{ dbt.type_string() }}) as team_id,

        -- attributes
        cast(group_name as {{ dbt.type_string() }}) as group_name
    from source
)

select * from renamed
