with source as (
    select * from {{ source('landing', 'load_audit') }}
),

renamed as (
    select
        -- ids
        source as contract_name,
        source_file,
        _batch_id as batch_id,

        -- numerics
        landed_rows,
        accepted_rows,
        quarantined_rows,

        -- dates
        _partition_date as partition_date,
        _loaded_at as loaded_at
    from source
)

select * from renamed
