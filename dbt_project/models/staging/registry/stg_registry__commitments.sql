with source as (
    select * from {{ source('registry', 'commitments') }}
),

renamed as (
    select
        -- ids
        cast(commitment_id as {{ dbt.type_string() }}) as commitment_id,
        cast(hypothesis_id as {{ dbt.type_string() }}) as hypothesis_id,
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(scope_id as {{ dbt.type_string() }}) as scope_id,

        -- attributes
        cast(scope_type as {{ dbt.type_string() }}) as scope_type,
        cast(owner as {{ dbt.type_string() }}) as owner,
        cast(terms as {{ dbt.type_string() }}) as terms,
        cast(restatement_reason as {{ dbt.type_string() }}) as restatement_reason,

        -- numerics
        cast(baseline as {{ type_double() }}) as baseline_value,
        cast(target as {{ type_double() }}) as target_value,

        -- dates
        cast(deadline as date) as deadline,
        cast(valid_from as date) as valid_from
    from source
)

select * from renamed
