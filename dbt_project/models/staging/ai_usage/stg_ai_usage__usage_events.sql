-- A table, not a view: a view's stored definition would expose the pseudonymisation key.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('ai_usage', 'ai_usage') }}
),

renamed as (
    select
        -- ids
        {{ pseudonymise('user_id') }} as user_key,

        -- attributes
        tool,
        feature,

        -- numerics
        cast(duration_s as {{ type_double() }}) as duration_seconds,

        -- timestamps
        event_ts,
        cast(event_ts as date) as usage_date,

        -- lineage
        _partition_date as partition_date,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
