-- The evidence of every value chain at one grain (value chain x unit x group x period x metric x
-- observed_on):
-- rows supplied through the observations landing source, plus rows derived from the warehouse's
-- own cases for chains whose evidence is 'warehouse'.
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

-- One row per resolved case of the design's use case, owned by a treatment or control team and
-- opened (UTC date) in the pre or post window; a case opened in overlapping windows counts as pre.
derived as (
    select
        value_chains.value_chain_id,
        cases.case_id as unit_id,
        cases.team as cluster_id,
        value_chain_teams.group_name,
        case
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
    inner join value_chain_teams on value_chains.value_chain_id = value_chain_teams.value_chain_id
    inner join cases
        on
            value_chains.use_case_id = cases.use_case_id
            and value_chain_teams.team_id = cases.team
    where
        value_chains.evidence_source = 'warehouse'
        and value_chains.metric = 'cycle_hours'
        and cases.is_resolved
        and (
            cases.opened_date between value_chains.pre_window_start and value_chains.pre_window_end
            or cases.opened_date between value_chains.post_window_start and value_chains.post_window_end
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
