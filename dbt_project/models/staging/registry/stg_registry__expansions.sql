with source as (
    select * from {{ source('registry', 'expansions') }}
),

renamed as (
    select
        -- ids
        cast(expansion_id as {{ dbt.type_string() }}) as expansion_id,
        cast(commitment_id as {{ dbt.type_string() }}) as commitment_id,

        -- attributes
        cast(scope_name as {{ dbt.type_string() }}) as scope_name,
        cast(rationale as {{ dbt.type_string() }}) as rationale,

        -- numerics
        cast(scale as {{ type_double() }}) as scale,
        cast(horizon_months as {{ dbt.type_int() }}) as horizon_months
    from source
)

select * from renamed
