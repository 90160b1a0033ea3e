-- The causes of a commitment's leakage add up to its leakage in value_realization exactly.
with causes as (
    select
        commitment_id,
        sum(leakage_value) as leakage_value
    from {{ ref('value_leakage') }}
    group by commitment_id
)

select realization.commitment_id
from {{ ref('value_realization') }} as realization
left join causes on realization.commitment_id = causes.commitment_id
where
    causes.commitment_id is null
    or abs(realization.leakage_value - causes.leakage_value) > 1e-6 * (1 + abs(realization.leakage_value))
    or abs(realization.leakage_value - (realization.glide_path_value - realization.realized_value))
    > 1e-6 * (1 + abs(realization.leakage_value))
