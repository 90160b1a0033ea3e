-- Every estimate, improvement and business impact lies inside its own 95% interval, and an
-- impact comes with both bounds (or none of the three).
select
    value_chain_id,
    estimate,
    ci_low,
    ci_high,
    business_impact,
    business_impact_ci_low,
    business_impact_ci_high
from {{ ref('value_chain') }}
where
    status = 'estimated'
    and (
        not (ci_low <= estimate and estimate <= ci_high)
        or not (improvement_ci_low <= improvement and improvement <= improvement_ci_high)
        or (business_impact is null) != (business_impact_ci_low is null)
        or (business_impact is null) != (business_impact_ci_high is null)
        or not (
            business_impact is null
            or (business_impact_ci_low <= business_impact and business_impact <= business_impact_ci_high)
        )
    )
