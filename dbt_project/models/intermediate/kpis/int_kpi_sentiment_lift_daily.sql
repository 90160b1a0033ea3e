-- sentiment_lift (stock): (mean of the current wave - mean of its comparison wave) / mean of the
-- comparison wave, per scope. The current wave is the latest wave on or before the day; days
-- without a comparison wave have no row. A group with fewer than `min_survey_group_size`
-- respondents in either wave is suppressed (figures NULL, is_suppressed true).
with days as (
    select * from {{ ref('int_reporting_days') }}
),

wave_stats as (
    select * from {{ ref('int_sentiment_waves') }}
),

wave_pairs as (
    select * from {{ ref('int_sentiment_wave_pairs') }}
),

waves as (
    select distinct
        survey_id,
        wave_date
    from wave_stats
),

current_waves as (
    select
        days.date_day,
        waves.survey_id,
        waves.wave_date,
        row_number() over (
            partition by days.date_day
            order by waves.wave_date desc, waves.survey_id desc
        ) as recency_rank
    from days
    inner join waves on days.date_day >= waves.wave_date
),

day_pairs as (
    select
        current_waves.date_day,
        wave_pairs.survey_id,
        wave_pairs.wave_date,
        wave_pairs.earlier_survey_id,
        wave_pairs.earlier_wave_date
    from current_waves
    inner join wave_pairs
        on
            current_waves.survey_id = wave_pairs.survey_id
            and current_waves.wave_date = wave_pairs.wave_date
    where current_waves.recency_rank = 1
),

-- Scopes seen in either wave of the pair.
pair_scopes as (
    select distinct
        wave_pairs.survey_id,
        wave_pairs.wave_date,
        wave_stats.scope_type,
        wave_stats.scope_id
    from wave_pairs
    inner join wave_stats
        on
            (wave_pairs.survey_id = wave_stats.survey_id and wave_pairs.wave_date = wave_stats.wave_date)
            or (
                wave_pairs.earlier_survey_id = wave_stats.survey_id
                and wave_pairs.earlier_wave_date = wave_stats.wave_date
            )
),

compared as (
    select
        day_pairs.date_day,
        pair_scopes.scope_type,
        pair_scopes.scope_id,
        current_stats.mean_normalised_score as current_mean,
        earlier_stats.mean_normalised_score as earlier_mean,
        coalesce(current_stats.respondents, 0) < {{ var('min_survey_group_size') }}
        or coalesce(earlier_stats.respondents, 0) < {{ var('min_survey_group_size') }} as is_suppressed
    from day_pairs
    inner join pair_scopes
        on
            day_pairs.survey_id = pair_scopes.survey_id
            and day_pairs.wave_date = pair_scopes.wave_date
    left join wave_stats as current_stats
        on
            day_pairs.survey_id = current_stats.survey_id
            and day_pairs.wave_date = current_stats.wave_date
            and pair_scopes.scope_type = current_stats.scope_type
            and pair_scopes.scope_id = current_stats.scope_id
    left join wave_stats as earlier_stats
        on
            day_pairs.earlier_survey_id = earlier_stats.survey_id
            and day_pairs.earlier_wave_date = earlier_stats.wave_date
            and pair_scopes.scope_type = earlier_stats.scope_type
            and pair_scopes.scope_id = earlier_stats.scope_id
)

select
    'sentiment_lift' as kpi_id,
    date_day,
    scope_type,
    scope_id,
    cast(case when not is_suppressed then current_mean - earlier_mean end as {{ type_double() }}) as numerator,
    cast(case when not is_suppressed then earlier_mean end as {{ type_double() }}) as denominator,
    is_suppressed
from compared
