-- One row per registry value chain (rejected chains are not here): the registry design with its
-- team counts, the unit value in reporting currency (int_fx_rates_monthly: the FX rate with the
-- latest rate_date on or before the first day of the action's start month) and the action's total
-- cost in reporting currency.
with value_chains as (
    select * from {{ ref('stg_registry__value_chains') }}
),

value_chain_teams as (
    select * from {{ ref('stg_registry__value_chain_teams') }}
),

action_costs as (
    select * from {{ ref('int_value_chain_action_costs') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_monthly') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

team_counts as (
    select
        value_chain_id,
        sum(case when group_name = 'treatment' then 1 else 0 end) as treatment_teams,
        sum(case when group_name = 'control' then 1 else 0 end) as control_teams
    from value_chain_teams
    group by value_chain_id
),

-- A total is only as good as its worst line: one cost without an FX rate makes it unknown (NULL),
-- never silently smaller.
cost_totals as (
    select
        value_chain_id,
        count(*) as action_cost_lines,
        count(amount_reporting) as action_cost_lines_converted,
        sum(amount_reporting) as action_cost_converted_sum
    from action_costs
    group by value_chain_id
),

joined as (
    select
        value_chains.*,
        reporting_period.reporting_currency,
        coalesce(team_counts.treatment_teams, 0) as treatment_teams,
        coalesce(team_counts.control_teams, 0) as control_teams,
        coalesce(cost_totals.action_cost_lines, 0) as action_cost_lines,
        case
            when cost_totals.action_cost_lines = cost_totals.action_cost_lines_converted
                then cost_totals.action_cost_converted_sum
        end as action_cost_reporting,
        case
            when value_chains.unit_value_currency is null then null
            when value_chains.unit_value_currency = reporting_period.reporting_currency then 1.0
            else fx_rates.rate_to_reporting
        end as unit_value_fx_rate
    from value_chains
    cross join reporting_period
    left join team_counts on value_chains.value_chain_id = team_counts.value_chain_id
    left join cost_totals on value_chains.value_chain_id = cost_totals.value_chain_id
    left join fx_rates
        on
            value_chains.unit_value_currency = fx_rates.currency
            and {{ month_start('value_chains.action_start_date') }} = fx_rates.month_start
)

select
    -- ids
    cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
    cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(action_cost_ref as {{ dbt.type_string() }}) as action_cost_ref,

    -- the framework: insight -> action -> metric
    cast(value_chain_name as {{ dbt.type_string() }}) as value_chain_name,
    cast(insight_text as {{ dbt.type_string() }}) as insight_text,
    cast(insight_evidence_source as {{ dbt.type_string() }}) as insight_evidence_source,
    cast(action_text as {{ dbt.type_string() }}) as action_text,
    cast(action_kind as {{ dbt.type_string() }}) as action_kind,
    cast(action_owner as {{ dbt.type_string() }}) as action_owner,
    cast(action_start_date as date) as action_start_date,
    cast(metric as {{ dbt.type_string() }}) as metric,
    cast(metric_class as {{ dbt.type_string() }}) as metric_class,
    cast(direction as {{ dbt.type_string() }}) as direction,

    -- design
    cast(design_type as {{ dbt.type_string() }}) as design_type,
    cast(evidence_source as {{ dbt.type_string() }}) as evidence_source,
    cast(design_control_group as {{ dbt.type_string() }}) as design_control_group,
    cast(design_min_pre_periods as {{ dbt.type_int() }}) as design_min_pre_periods,
    cast(pre_window_start as date) as pre_window_start,
    cast(pre_window_end as date) as pre_window_end,
    cast(post_window_start as date) as post_window_start,
    cast(post_window_end as date) as post_window_end,
    cast(treatment_teams as {{ dbt.type_int() }}) as treatment_teams,
    cast(control_teams as {{ dbt.type_int() }}) as control_teams,

    -- money
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(exposure as {{ type_double() }}) as exposure,
    cast(exposure_unit as {{ dbt.type_string() }}) as exposure_unit,
    cast(unit_value as {{ type_double() }}) as unit_value,
    cast(unit_value_currency as {{ dbt.type_string() }}) as unit_value_currency,
    cast(unit_value_fx_rate as {{ type_double() }}) as unit_value_fx_rate,
    cast(unit_value * unit_value_fx_rate as {{ type_double() }}) as unit_value_reporting,
    cast(action_cost_lines as {{ dbt.type_int() }}) as action_cost_lines,
    cast(action_cost_reporting as {{ type_double() }}) as action_cost_reporting
from joined
