-- Value leakage of each commitment on the as-of date (glide path value minus realized net value),
-- split by use case and cause so that the parts add up to the total exactly (docs/lifecycle.md):
--   late_go_live      = (planned live months - actual live months) x assumed monthly value
--   low_adoption      = actual live months x assumed monthly value x (1 - actual / assumed adoption)
--   smaller_effect    = actual live months x assumed monthly value x (actual / assumed adoption) - value tracked
--   higher_cost       = actual action cost - assumed cost (counted once the planned go-live has passed)
--   target_above_plan = glide path value - the use cases' planned net value (no use case)
-- A negative part is value gained against the plan on that cause.
with commitments as (
    select * from {{ ref('int_commitments_as_of') }}
),

realized as (
    select
        commitment_id,
        use_case_id,
        sum(value_tracked) as value_tracked,
        sum(action_cost) as action_cost
    from {{ ref('int_commitment_use_case_months') }}
    group by commitment_id, use_case_id
),

adoption_months as (
    select
        monthly.scope_id as team_id,
        monthly.period_start,
        monthly.value as adoption,
        row_number() over (partition by monthly.scope_id order by monthly.period_start desc) as recency
    from {{ ref('fct_kpi_monthly') }} as monthly
    cross join {{ ref('int_reporting_period') }} as period
    where
        monthly.kpi_id = 'ai_tool_adoption'
        and monthly.scope_type = 'team'
        and monthly.period_start <= period.as_of_date
        and monthly.value is not null
),

inputs as (
    select
        realized.commitment_id,
        realized.use_case_id,
        use_cases.go_live_date,
        assumptions.planned_go_live_date,
        assumptions.assumed_adoption,
        adoption_months.adoption as actual_adoption,
        realized.value_tracked,
        realized.action_cost,
        coalesce(assumptions.assumed_monthly_value, 0) as assumed_monthly_value,
        case
            when assumptions.planned_go_live_date <= commitments.as_of_date then coalesce(assumptions.assumed_cost, 0)
            else 0
        end as assumed_cost,
        case
            when assumptions.planned_go_live_date <= commitments.as_of_date
                then cast({{ dbt.datediff(
                    'greatest(' ~ month_start('assumptions.planned_go_live_date') ~ ', '
                    ~ month_start('commitments.commitment_start_date') ~ ')',
                    month_start('commitments.as_of_date'), 'month') }} as {{ dbt.type_int() }}) + 1
            else 0
        end as planned_live_months,
        case
            when use_cases.go_live_date <= commitments.as_of_date
                then cast({{ dbt.datediff(
                    'greatest(' ~ month_start('use_cases.go_live_date') ~ ', '
                    ~ month_start('commitments.commitment_start_date') ~ ')',
                    month_start('commitments.as_of_date'), 'month') }} as {{ dbt.type_int() }}) + 1
            else 0
        end as actual_live_months,
        case
            when assumptions.assumed_adoption is null or adoption_months.adoption is null then 1.0
            else adoption_months.adoption / assumptions.assumed_adoption
        end as adoption_factor
    from realized
    inner join commitments on realized.commitment_id = commitments.commitment_id
    inner join {{ ref('stg_registry__use_cases') }} as use_cases on realized.use_case_id = use_cases.use_case_id
    left join {{ ref('stg_registry__hypothesis_use_cases') }} as assumptions
        on commitments.hypothesis_id = assumptions.hypothesis_id and realized.use_case_id = assumptions.use_case_id
    left join adoption_months
        on use_cases.primary_team_id = adoption_months.team_id and adoption_months.recency = 1
),

planned as (
    select
        commitment_id,
        sum(planned_live_months * assumed_monthly_value - assumed_cost) as planned_net_value
    from inputs
    group by commitment_id
),

parts as (
    select
        commitment_id,
        use_case_id,
        'late_go_live' as cause,
        (planned_live_months - actual_live_months) * assumed_monthly_value as leakage_value
    from inputs
    union all
    select
        commitment_id,
        use_case_id,
        'low_adoption' as cause,
        actual_live_months * assumed_monthly_value * (1 - adoption_factor) as leakage_value
    from inputs
    union all
    select
        commitment_id,
        use_case_id,
        'smaller_effect' as cause,
        actual_live_months * assumed_monthly_value * adoption_factor - value_tracked as leakage_value
    from inputs
    union all
    select
        commitment_id,
        use_case_id,
        'higher_cost' as cause,
        action_cost - assumed_cost as leakage_value
    from inputs
    union all
    select
        commitments.commitment_id,
        null as use_case_id,
        'target_above_plan' as cause,
        commitments.glide_path_value - coalesce(planned.planned_net_value, 0) as leakage_value
    from commitments
    left join planned on commitments.commitment_id = planned.commitment_id
)

select
    parts.commitment_id,
    parts.use_case_id,
    parts.cause,
    cast(parts.leakage_value as {{ type_double() }}) as leakage_value,
    inputs.planned_go_live_date,
    inputs.go_live_date,
    inputs.planned_live_months,
    inputs.actual_live_months,
    inputs.assumed_monthly_value,
    inputs.assumed_adoption,
    inputs.actual_adoption,
    inputs.assumed_cost,
    inputs.action_cost,
    inputs.value_tracked
from parts
left join inputs on parts.commitment_id = inputs.commitment_id and parts.use_case_id = inputs.use_case_id
