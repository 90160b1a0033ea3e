with source as (
    select * from {{ source('registry', 'settings') }}
),

renamed as (
    select
        -- ids
        cast(setting_key as {{ dbt.type_string() }}) as setting_key,

        -- attributes
        cast(setting_value as {{ dbt.type_string() }}) as setting_value
    from source
)

select * from renamed
