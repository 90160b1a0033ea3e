with source as (
    select * from {{ source('observations', 'observations') }}
),

renamed as (
    select
        -- ids
        value_chain_id,
        unit_id,

        -- attributes
        group_name,
        period,
        metric,

        -- numerics
        cast(metric_value as {{ type_double() }}) as metric_value,
        cast(weight as {{ type_double() }}) as weight,

        -- dates
        observed_on,

        -- lineage
        _partition_date as partition_date,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
