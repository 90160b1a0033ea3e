with source as (
    select * from {{ source('registry', 'assumptions') }}
),

renamed as (
    select
        -- ids
        cast(assumption as {{ dbt.type_string() }}) as assumption,
        cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
        cast(activity as {{ dbt.type_string() }}) as activity,

        -- numerics
        cast(low as {{ type_double() }}) as share_low,
        cast(base as {{ type_double() }}) as share_base,
        cast(high as {{ type_double() }}) as share_high,

        -- attributes
        cast(rationale as {{ dbt.type_string() }}) as rationale
    from source
)

select * from renamed
