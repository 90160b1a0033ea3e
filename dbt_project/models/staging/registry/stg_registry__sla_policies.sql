with source as (
    select * from {{ source('registry', 'sla_policies') }}
),

renamed as (
    select
        -- ids
        cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,

        -- attributes
        cast(priority as {{ dbt.type_string() }}) as priority,

        -- numerics
        cast(sla_hours as {{ type_double() }}) as sla_hours
    from source
)

select * from renamed
