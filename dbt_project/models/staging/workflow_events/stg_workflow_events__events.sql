-- A table, not a view: a view's stored definition would expose the pseudonymisation key.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('workflow_events', 'workflow_events') }}
),

-- A re-delivered event keeps the copy from the latest partition, then the highest line
-- (window + filter rather than `qualify`, which PostgreSQL and Spark 3.5 lack).
ranked as (
    select
        *,
        row_number() over (
            partition by event_id
            order by _partition_date desc, _source_line desc, _source_file desc
        ) as copy_rank
    from source
),

renamed as (
    select
        -- ids
        event_id,
        case_id,
        use_case_id,
        {{ pseudonymise('actor_id') }} as actor_key,

        -- attributes
        event_type,
        actor_type,
        team,
        priority,

        -- timestamps
        event_ts,
        cast(event_ts as date) as event_date,

        -- lineage
        _partition_date as partition_date,
        _source_file as source_file,
        _source_line as source_line,
        _batch_id as batch_id
    from ranked
    where copy_rank = 1
)

select * from renamed
