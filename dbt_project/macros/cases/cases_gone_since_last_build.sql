{#- The cases of the calling model gone from int_cases (a re-delivered day without their events, an
    as-of date moved back): what a model incremental by case and driven by int_cases removes.
    `one_row_per_case` selects one row of each case in the model. Every case int_cases held when the
    model was last built is in the model, so cases are gone exactly when the model holds more cases
    than int_cases outside those rebuilt since (macros/cases/cases_rebuilt_since_last_build.sql);
    only then is every case compared, an anti-join over the whole model that most nights skip.
    For `{% if is_incremental() %}` blocks. -#}
{% macro cases_gone_since_last_build(one_row_per_case) -%}
    select built.case_id
    from {{ this }} as built
    where
        {{ one_row_per_case }}
        and (
            (select count(*) from {{ this }} as kept where {{ one_row_per_case | replace('built.', 'kept.') }})
            - (
                select count(*)
                from {{ this }} as kept
                inner join ({{ cases_rebuilt_since_last_build() }}) as changed on kept.case_id = changed.case_id
                where {{ one_row_per_case | replace('built.', 'kept.') }}
            )
            > (select count(*) from {{ ref('int_cases') }})
            - (select count(*) from ({{ cases_rebuilt_since_last_build() }}) as changed)
        )
        and not exists (
            select 1 from {{ ref('int_cases') }} as cases
            where cases.case_id = built.case_id
        )
{%- endmacro %}
