-- A forecast's interval contains its point, its probability is a probability and the value at risk
-- is never negative.
select commitment_id
from {{ ref('value_realization') }}
where
    forecast_low > forecast_value
    or forecast_high < forecast_value
    or probability_on_track < 0
    or probability_on_track > 1
    or value_at_risk < 0
