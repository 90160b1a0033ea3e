with source as (
    select * from {{ source('registry', 'business_units') }}
),

renamed as (
    select
        -- ids
        cast(business_unit_id as {{ dbt.type_string() }}) as business_unit_id,

        -- attributes
        cast(business_unit_name as {{ dbt.type_string() }}) as business_unit_name,
        cast(owner as {{ dbt.type_string() }}) as owner
    from source
)

select * from renamed
