with source as (
    select * from {{ source('registry', 'commitment_milestones') }}
),

renamed as (
    select
        -- ids
        cast(commitment_id as {{ dbt.type_string() }}) as commitment_id,

        -- numerics
        cast(milestone_target as {{ type_double() }}) as milestone_target,

        -- dates
        cast(valid_from as date) as valid_from,
        cast(milestone_date as date) as milestone_date
    from source
)

select * from renamed
