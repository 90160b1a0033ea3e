-- Synthetic-control chains' donor weights: stats.value_chain_synthetic_weights with the published
-- column types.
select
    cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(weight as {{ type_double() }}) as weight
from {{ source('stats', 'value_chain_synthetic_weights') }}
