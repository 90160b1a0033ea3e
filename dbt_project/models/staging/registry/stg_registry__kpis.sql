with source as (
    select * from {{ source('registry', 'kpis') }}
),

renamed as (
    select
        -- ids
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(question_id as {{ dbt.type_string() }}) as question_id,

        -- attributes
        cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
        cast(definition as {{ dbt.type_string() }}) as definition,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(owner as {{ dbt.type_string() }}) as owner,

        -- numerics
        cast(baseline as {{ type_double() }}) as baseline_value,
        cast(target as {{ type_double() }}) as target_value,
        cast(tolerance as {{ type_double() }}) as tolerance,

        -- dates
        cast(baseline_date as date) as baseline_date,
        cast(target_date as date) as target_date
    from source
)

select * from renamed
