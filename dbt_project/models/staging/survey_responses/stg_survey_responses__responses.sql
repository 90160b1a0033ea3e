-- A table, not a view: a view's stored definition would expose the pseudonymisation key.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('survey_responses', 'survey_responses') }}
),

renamed as (
    select
        -- ids
        response_id,
        {{ pseudonymise('respondent_id') }} as respondent_key,
        survey_id,
        question_id,
        team,

        -- numerics
        cast(score as {{ type_double() }}) as score,
        cast(scale_min as {{ type_double() }}) as scale_min,
        cast(scale_max as {{ type_double() }}) as scale_max,

        -- dates
        wave_date,

        -- lineage
        _partition_date as partition_date,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
