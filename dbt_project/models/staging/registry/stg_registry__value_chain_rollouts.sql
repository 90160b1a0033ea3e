with source as (
    select * from {{ source('registry', 'value_chain_rollouts') }}
),

renamed as (
    select
        -- ids
        cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
        cast(team_id as {{ dbt.type_string() }}) as team_id,

        -- dates
        cast(rollout_date as date) as rollout_date
    from source
)

select * from renamed
