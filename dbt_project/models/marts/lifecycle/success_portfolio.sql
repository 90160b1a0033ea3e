-- One row per scope (business unit, use case or customer account) of a business case: realized % of
-- promise, health and the expansion whitespace, for customer success.
with cases as (
    select * from {{ ref('value_lifecycle') }}
),

realization as (
    select
        commitment_id,
        is_variance_alert
    from {{ ref('value_realization') }}
),

scored as (
    select
        cases.*,
        case
            when cases.status is null then 4
            when cases.status in ('at_risk', 'missed') then 3
            when cases.status in ('not_started', 'no_forecast') or realization.is_variance_alert then 2
            else 1
        end as health_rank
    from cases
    left join realization on cases.commitment_id = realization.commitment_id
),

scopes as (
    select
        scope_type,
        scope_id,
        count(*) as business_cases,
        sum(committed_value) as committed_value,
        sum(realized_value) as realized_value,
        sum(projected_value) as projected_value,
        sum(coalesce(expansion_value, 0)) as expansion_whitespace,
        max(health_rank) as health_rank,
        max(renewal_sentence) as renewal_sentence
    from scored
    group by scope_type, scope_id
)

select
    cast(scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(business_cases as {{ dbt.type_int() }}) as business_cases,
    cast(projected_value as {{ type_double() }}) as projected_value,
    cast(committed_value as {{ type_double() }}) as committed_value,
    cast(realized_value as {{ type_double() }}) as realized_value,
    cast(realized_value / nullif(committed_value, 0) as {{ type_double() }}) as pct_of_promise,
    cast(
        case health_rank when 1 then 'green' when 2 then 'amber' when 3 then 'red' else 'prospect' end
        as {{ dbt.type_string() }}
    ) as health,
    cast(expansion_whitespace as {{ type_double() }}) as expansion_whitespace,
    cast(renewal_sentence as {{ dbt.type_string() }}) as renewal_sentence
from scopes
