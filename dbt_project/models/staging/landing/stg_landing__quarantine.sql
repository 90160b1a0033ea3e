with source as (
    select * from {{ source('landing', 'quarantine') }}
),

renamed as (
    select
        -- ids
        source as contract_name,
        source_file,
        source_line,
        _batch_id as batch_id,

        -- attributes
        column_name,
        reason,
        record as record_json,

        -- dates
        _partition_date as partition_date,
        _loaded_at as loaded_at
    from source
)

select * from renamed
