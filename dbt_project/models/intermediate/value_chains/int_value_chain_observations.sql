-- The evidence of every value chain at one grain (value chain x unit x group x period x metric x
-- observed_on):
-- rows supplied through the observations landing source, plus rows derived from the warehouse's
-- own cases for chains whose evidence is 'warehouse' (one row per case; the designs that compare
-- series, staggered_adoption, synthetic_control and interrupted_time_series, take every month of
-- their windows and label each case by its team's first treated month).
with value_chains as (
    select * from {{ ref('stg_registry__value_chains') }}
),

value_chain_teams as (
    select * from {{ ref('stg_registry__value_chain_teams') }}
),

observations as (
    select * from {{ ref('stg_observations__observations') }}
),

cases as (
    select * from {{ ref('int_cases') }}
),

rollouts as (
    select * from {{ ref('stg_registry__value_chain_rollouts') }}
),

eligible_users_daily as (
    select * from {{ ref('int_eligible_users_daily') }}
),

-- Only rows of the chain's own metric count: another metric in the same delivery is not evidence
-- for this chain's claim.
supplied as (
    select
        value_chains.value_chain_id,
        observations.unit_id,
        observations.unit_id as cluster_id,
        observations.group_name,
        observations.period,
        observations.metric,
        observations.metric_value,
        observations.weight,
        observations.observed_on,
        observations.source_file,
        observations.source_line,
        'observations' as evidence_source
    from observations
    inner join value_chains
        on
            observations.value_chain_id = value_chains.value_chain_id
            and observations.metric = value_chains.metric
    where value_chains.evidence_source = 'observations'
),

-- Each team's first AI-tool usage: the first day one of its AI-eligible employees was active.
team_first_ai_usage as (
    select
        team as team_id,
        min(date_day) as first_usage_date
    from eligible_users_daily
    where is_active
    group by team
),

-- The teams of the warehouse chains (metric cycle_hours). The designs that compare monthly series
-- (staggered_adoption, synthetic_control, interrupted_time_series) label a case by its team's first
-- treated month: the month holding its rollout date (registry) or else its first AI-tool usage for
-- staggered adoption, the month holding the post window's first day for the others; NULL for
-- control teams (never treated).
warehouse_teams as (
    select
        value_chains.value_chain_id,
        value_chain_teams.team_id,
        value_chain_teams.group_name,
        value_chains.design_type in ('staggered_adoption', 'synthetic_control', 'interrupted_time_series')
            as is_monthly_design,
        case
            when value_chain_teams.group_name = 'treatment' and value_chains.design_type = 'staggered_adoption'
                then {{ month_start('coalesce(rollouts.rollout_date, team_first_ai_usage.first_usage_date)') }}
            when
                value_chain_teams.group_name = 'treatment'
                and value_chains.design_type in ('synthetic_control', 'interrupted_time_series')
                then {{ month_start('value_chains.post_window_start') }}
        end as first_treated_month
    from value_chains
    inner join value_chain_teams on value_chains.value_chain_id = value_chain_teams.value_chain_id
    left join rollouts
        on
            value_chain_teams.value_chain_id = rollouts.value_chain_id
            and value_chain_teams.team_id = rollouts.team_id
    left join team_first_ai_usage on value_chain_teams.team_id = team_first_ai_usage.team_id
    where value_chains.evidence_source = 'warehouse' and value_chains.metric = 'cycle_hours'
),

-- One row per resolved case of the design's use case owned by one of its teams. Monthly designs:
-- every case opened (UTC date) from the pre window's first day to the post window's last, 'post' from
-- its team's first treated month on. The others: cases opened in the pre or post window (a case in
-- overlapping windows counts as pre).
derived as (
    select
        value_chains.value_chain_id,
        cases.case_id as unit_id,
        cases.team as cluster_id,
        warehouse_teams.group_name,
        case
            when warehouse_teams.is_monthly_design
                then
                    case
                        when {{ month_start('cases.opened_date') }} >= warehouse_teams.first_treated_month
                            then 'post'
                        else 'pre'
                    end
            when cases.opened_date between value_chains.pre_window_start and value_chains.pre_window_end
                then 'pre'
            else 'post'
        end as period,
        value_chains.metric,
        cases.cycle_hours as metric_value,
        cast(null as {{ type_double() }}) as weight,
        cases.opened_date as observed_on,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as source_line,
        'warehouse' as evidence_source
    from value_chains
    inner join warehouse_teams on value_chains.value_chain_id = warehouse_teams.value_chain_id
    inner join cases
        on
            value_chains.use_case_id = cases.use_case_id
            and warehouse_teams.team_id = cases.team
    where
        cases.is_resolved
        and (
            cases.opened_date between value_chains.pre_window_start and value_chains.pre_window_end
            or cases.opened_date between value_chains.post_window_start and value_chains.post_window_end
            or (
                warehouse_teams.is_monthly_design
                and cases.opened_date between value_chains.pre_window_start and value_chains.post_window_end
            )
        )
),

unioned as (
    select * from supplied
    union all
    select * from derived
)

select
    -- ids
    cast(value_chain_id as {{ dbt.type_string() }}) as value_chain_id,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(cluster_id as {{ dbt.type_string() }}) as cluster_id,

    -- attributes
    cast(group_name as {{ dbt.type_string() }}) as group_name,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(metric as {{ dbt.type_string() }}) as metric,
    cast(evidence_source as {{ dbt.type_string() }}) as evidence_source,

    -- numerics
    cast(metric_value as {{ type_double() }}) as metric_value,
    cast(weight as {{ type_double() }}) as weight,

    -- dates
    cast(observed_on as date) as observed_on,

    -- lineage
    cast(source_file as {{ dbt.type_string() }}) as source_file,
    cast(source_line as {{ dbt.type_bigint() }}) as source_line
from unioned
