with source as (
    select * from {{ source('registry', 'value_chains') }}
),

renamed as (
    select
        -- ids
        cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
        cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,

        -- attributes
        cast(value_chain_name as {{ dbt.type_string() }}) as value_chain_name,
        cast(insight_text as {{ dbt.type_string() }}) as insight_text,
        cast(insight_evidence_source as {{ dbt.type_string() }}) as insight_evidence_source,
        cast(action_text as {{ dbt.type_string() }}) as action_text,
        cast(action_kind as {{ dbt.type_string() }}) as action_kind,
        cast(action_owner as {{ dbt.type_string() }}) as action_owner,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(metric_class as {{ dbt.type_string() }}) as metric_class,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(design_type as {{ dbt.type_string() }}) as design_type,
        cast(evidence_source as {{ dbt.type_string() }}) as evidence_source,
        cast(design_control_group as {{ dbt.type_string() }}) as design_control_group,
        cast(unit_value_currency as {{ dbt.type_string() }}) as unit_value_currency,
        cast(exposure_unit as {{ dbt.type_string() }}) as exposure_unit,
        cast(action_cost_ref as {{ dbt.type_string() }}) as action_cost_ref,

        -- numerics
        cast(unit_value as {{ type_double() }}) as unit_value,
        cast(exposure as {{ type_double() }}) as exposure,
        cast(design_min_pre_periods as {{ dbt.type_int() }}) as design_min_pre_periods,

        -- dates
        cast(action_start_date as date) as action_start_date,
        cast(pre_window_start as date) as pre_window_start,
        cast(pre_window_end as date) as pre_window_end,
        cast(post_window_start as date) as post_window_start,
        cast(post_window_end as date) as post_window_end
    from source
)

select * from renamed
