-- % of promise is realized over committed, and realized is value tracked net of action costs.
select commitment_id
from {{ ref('value_realization') }}
where
    abs(pct_of_promise * committed_value - realized_value) > 1e-6 * (1 + abs(realized_value))
    or abs(value_tracked - action_cost - realized_value) > 1e-6 * (1 + abs(realized_value))
