-- Staggered-adoption chains' group-time effects and their aggregations by cohort and by event time:
-- stats.value_chain_staggered_effects (the statistics asset) with the published column types.
select
    cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
    cast(aggregation as {{ dbt.type_string() }}) as aggregation,
    cast(cohort as date) as cohort,
    cast(period as date) as period,
    cast(event_time as {{ dbt.type_int() }}) as event_time,
    cast(estimate as {{ type_double() }}) as estimate,
    cast(std_error as {{ type_double() }}) as std_error,
    cast(ci_low as {{ type_double() }}) as ci_low,
    cast(ci_high as {{ type_double() }}) as ci_high,
    cast(n_treated as {{ dbt.type_int() }}) as n_treated,
    cast(n_control as {{ dbt.type_int() }}) as n_control
from {{ source('stats', 'value_chain_staggered_effects') }}
