-- Per survey wave (survey_id, wave_date) of the sentiment_lift question and scope: distinct
-- respondents and mean normalised score ((score - scale_min) / (scale_max - scale_min)).
with sentiment_kpi as (
    select question_id from {{ ref('stg_registry__kpis') }}
    where kpi_id = 'sentiment_lift'
),

responses as (
    select
        responses.survey_id,
        responses.wave_date,
        responses.respondent_key,
        responses.team,
        teams.business_unit_id,
        (responses.score - responses.scale_min) / nullif(responses.scale_max - responses.scale_min, 0)
            as normalised_score
    from {{ ref('stg_survey_responses__responses') }} as responses
    inner join sentiment_kpi on responses.question_id = sentiment_kpi.question_id
    left join {{ ref('stg_registry__teams') }} as teams on responses.team = teams.team_id
),

scoped as (
    select
        survey_id,
        wave_date,
        'portfolio' as scope_type,
        'portfolio' as scope_id,
        respondent_key,
        normalised_score
    from responses

    union all

    select
        survey_id,
        wave_date,
        'business_unit' as scope_type,
        business_unit_id as scope_id,
        respondent_key,
        normalised_score
    from responses

    union all

    select
        survey_id,
        wave_date,
        'team' as scope_type,
        team as scope_id,
        respondent_key,
        normalised_score
    from responses
)

select
    survey_id,
    wave_date,
    scope_type,
    scope_id,
    cast(count(distinct respondent_key) as {{ dbt.type_bigint() }}) as respondents,
    cast(count(*) as {{ dbt.type_bigint() }}) as responses,
    cast(avg(normalised_score) as {{ type_double() }}) as mean_normalised_score
from scoped
where scope_id is not null
group by survey_id, wave_date, scope_type, scope_id
