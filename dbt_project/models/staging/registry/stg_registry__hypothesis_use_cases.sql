with source as (
    select * from {{ source('registry', 'hypothesis_use_cases') }}
),

renamed as (
    select
        -- ids
        cast(hypothesis_id as {{ dbt.type_string() }}) as hypothesis_id,
        cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
        cast(cost_ref as {{ dbt.type_string() }}) as cost_ref,

        -- numerics
        cast(assumed_adoption as {{ type_double() }}) as assumed_adoption,
        cast(assumed_monthly_value as {{ type_double() }}) as assumed_monthly_value,
        cast(assumed_cost as {{ type_double() }}) as assumed_cost,

        -- dates
        cast(planned_go_live_date as date) as planned_go_live_date
    from source
)

select * from renamed
