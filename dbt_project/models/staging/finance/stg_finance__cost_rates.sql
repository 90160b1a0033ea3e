with source as (
    select * from {{ source('finance', 'finance_cost_rates') }}
),

-- Finance re-sends the full file: only the latest delivery counts.
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
        team,

        -- money
        cast(hourly_cost as {{ type_double() }}) as hourly_cost,
        currency,

        -- dates
        valid_from,

        -- lineage
        _partition_date as delivery_date,
        _source_file as source_file,
        _source_line as source_line
    from latest_delivery
)

select * from renamed
