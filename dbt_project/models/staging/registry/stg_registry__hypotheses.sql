with source as (
    select * from {{ source('registry', 'hypotheses') }}
),

renamed as (
    select
        -- ids
        cast(hypothesis_id as {{ dbt.type_string() }}) as hypothesis_id,
        cast(scope_id as {{ dbt.type_string() }}) as scope_id,

        -- attributes
        cast(scope_type as {{ dbt.type_string() }}) as scope_type,
        cast(pain_points as {{ dbt.type_string() }}) as pain_points,
        cast(value_drivers as {{ dbt.type_string() }}) as value_drivers,
        cast(assumptions as {{ dbt.type_string() }}) as assumptions,

        -- numerics
        cast(projected_roi as {{ type_double() }}) as projected_roi,
        cast(projected_value as {{ type_double() }}) as projected_value
    from source
)

select * from renamed
