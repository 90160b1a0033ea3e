-- Realized value of every use case in a commitment's scope, per month from the commitment's start to
-- the as-of month: value tracked (estimated and validated) and the use case's action costs, both in
-- reporting currency. Months without value are zero rows, so each series is complete.
with commitments as (
    select * from {{ ref('int_commitments_as_of') }}
),

scope_use_cases as (
    select
        commitments.commitment_id,
        use_cases.use_case_id
    from commitments
    inner join {{ ref('stg_registry__use_cases') }} as use_cases
        on
            commitments.scope_type = 'portfolio'
            or (commitments.scope_type = 'business_unit' and commitments.scope_id = use_cases.business_unit_id)
            or (commitments.scope_type = 'use_case' and commitments.scope_id = use_cases.use_case_id)
),

months as (
    select distinct month_start from {{ ref('int_reporting_days') }}
),

grid as (
    select
        scope_use_cases.commitment_id,
        scope_use_cases.use_case_id,
        months.month_start
    from scope_use_cases
    inner join commitments on scope_use_cases.commitment_id = commitments.commitment_id
    inner join months
        on
            months.month_start >= {{ month_start('commitments.commitment_start_date') }}
            and commitments.as_of_date >= months.month_start
),

value_tracked as (
    select
        use_case_id,
        period_month,
        sum(amount_reporting) as value_tracked,
        sum(case when benefit_status = 'validated' then amount_reporting else 0 end) as value_validated
    from {{ ref('fct_value_tracked') }}
    group by use_case_id, period_month
),

-- Each Finance cost line once, however many value chains name its reference (two chains may
-- measure one action).
cost_lines as (
    select distinct
        action_cost_ref,
        cost_month,
        amount_reporting,
        source_file,
        source_line
    from {{ ref('int_value_chain_action_costs') }}
),

costs as (
    select
        assumptions.hypothesis_id,
        assumptions.use_case_id,
        action_costs.cost_month,
        sum(action_costs.amount_reporting) as action_cost
    from {{ ref('stg_registry__hypothesis_use_cases') }} as assumptions
    inner join cost_lines as action_costs
        on assumptions.cost_ref = action_costs.action_cost_ref
    group by assumptions.hypothesis_id, assumptions.use_case_id, action_costs.cost_month
)

select
    grid.commitment_id,
    grid.use_case_id,
    grid.month_start,
    coalesce(value_tracked.value_tracked, 0) as value_tracked,
    coalesce(value_tracked.value_validated, 0) as value_validated,
    coalesce(costs.action_cost, 0) as action_cost,
    coalesce(value_tracked.value_tracked, 0) - coalesce(costs.action_cost, 0) as net_value
from grid
inner join commitments on grid.commitment_id = commitments.commitment_id
left join value_tracked
    on grid.use_case_id = value_tracked.use_case_id and grid.month_start = value_tracked.period_month
left join costs
    on
        commitments.hypothesis_id = costs.hypothesis_id
        and grid.use_case_id = costs.use_case_id
        and grid.month_start = costs.cost_month
