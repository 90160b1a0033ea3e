-- Synthetic-control and interrupted-time-series chains per period (observed, counterfactual, gap):
-- stats.value_chain_period_gaps with the published column types.
select
    cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
    cast(estimator as {{ dbt.type_string() }}) as estimator,
    cast(period as date) as period,
    cast(observed as {{ type_double() }}) as observed,
    cast(counterfactual as {{ type_double() }}) as counterfactual,
    cast(gap as {{ type_double() }}) as gap,
    cast(is_post as {{ dbt.type_boolean() }}) as is_post
from {{ source('stats', 'value_chain_period_gaps') }}
