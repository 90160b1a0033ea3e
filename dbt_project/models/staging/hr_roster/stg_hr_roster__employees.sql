-- A table, not a view: a view's stored definition would expose the pseudonymisation key.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('hr_roster', 'hr_roster') }}
),

-- The roster is a snapshot: only the latest delivery describes the workforce.
latest_delivery_date as (
    select max(_partition_date) as delivery_date from source
),

latest_delivery as (
    select source.*
    from source
    inner join latest_delivery_date on source._partition_date = latest_delivery_date.delivery_date
),

renamed as (
    select
        -- ids
        {{ pseudonymise('user_id') }} as user_key,
        team,

        -- attributes
        ai_eligible as is_ai_eligible,
        role,

        -- dates
        start_date,
        end_date,

        -- lineage
        _partition_date as delivery_date,
        _source_file as source_file,
        _source_line as source_line
    from latest_delivery
)

select * from renamed
