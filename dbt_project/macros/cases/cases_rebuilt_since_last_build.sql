{#- The cases int_cases rebuilt since the calling model's last build (every case while the model is
    empty): what a model incremental by case and driven by int_cases rebuilds (int_case_steps,
    int_case_variants). For `{% if is_incremental() %}` blocks. -#}
{% macro cases_rebuilt_since_last_build() -%}
    select rebuilt.case_id
    from {{ ref('int_cases') }} as rebuilt
    where
        rebuilt.built_at > coalesce(
            (select max(built.built_at) from {{ this }} as built),
            cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
        )
{%- endmacro %}
