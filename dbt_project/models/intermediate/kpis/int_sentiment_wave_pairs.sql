-- Pairs each wave with its comparison wave: the wave whose date is closest to one year (365
-- days) earlier, among waves at least 180 days earlier; ties go to the earlier wave.
with waves as (
    select distinct
        survey_id,
        wave_date
    from {{ ref('int_sentiment_waves') }}
),

candidates as (
    select
        current_waves.survey_id,
        current_waves.wave_date,
        earlier_waves.survey_id as earlier_survey_id,
        earlier_waves.wave_date as earlier_wave_date,
        row_number() over (
            partition by current_waves.survey_id, current_waves.wave_date
            order by
                abs({{ days_between('earlier_waves.wave_date', 'current_waves.wave_date') }} - 365),
                earlier_waves.wave_date,
                earlier_waves.survey_id
        ) as closeness_rank
    from waves as current_waves
    inner join waves as earlier_waves
        on earlier_waves.wave_date <= {{ add_days('current_waves.wave_date', -180) }}
)

select
    survey_id,
    wave_date,
    earlier_survey_id,
    earlier_wave_date
from candidates
where closeness_rank = 1
