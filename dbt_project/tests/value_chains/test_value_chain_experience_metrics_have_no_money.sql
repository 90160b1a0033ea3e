-- Experience metrics (NPS, CSAT, eNPS, sentiment) are never converted to money: no impact, and
-- the reason is stated.
select
    value_chain_id,
    metric,
    business_impact,
    business_impact_null_reason
from {{ ref('value_chain') }}
where
    metric_class = 'experience'
    and (
        business_impact is not null
        or business_impact_ci_low is not null
        or business_impact_ci_high is not null
        or business_impact_null_reason is null
    )
