-- One row per business case (registry hypothesis): its stage on the as-of date and the key figures
-- of every stage, define (projection) -> commit (target) -> execute (realized, forecast, leakage) ->
-- prove and grow (evidence grade, renewal case, expansion projection).
with realization as (
    select * from {{ ref('value_realization') }}
),

expansions as (
    select * from {{ source('lifecycle_stats', 'commitment_forecasts') }}
    where projection_kind = 'expansion'
),

grades as (
    select
        months.commitment_id,
        -- Strongest first; diff_in_diff, staggered_adoption and synthetic_control are one tier, ranked
        -- in that order when a scope has several.
        min(case chains.evidence_grade
            when 'randomised' then 1
            when 'diff_in_diff' then 2
            when 'staggered_adoption' then 3
            when 'synthetic_control' then 4
            when 'interrupted_time_series' then 5
            when 'before_after' then 6
            else 7
        end) as grade_rank
    from (
        select distinct
            commitment_id,
            use_case_id
        from {{ ref('int_commitment_use_case_months') }}
    ) as months
    inner join {{ ref('value_chain') }} as chains
        on months.use_case_id = chains.use_case_id and chains.status = 'estimated'
    group by months.commitment_id
),

-- Planning: the first value chain (by id) on the business case's use cases that has pre-period
-- evidence and no measurement yet, with its minimum detectable effect.
planned_chains as (
    select
        planned_use_cases.hypothesis_id,
        min(chains.value_chain_id) as value_chain_id
    from {{ ref('stg_registry__hypothesis_use_cases') }} as planned_use_cases
    inner join {{ ref('value_chain') }} as chains
        on planned_use_cases.use_case_id = chains.use_case_id and chains.planned_mde is not null
    group by planned_use_cases.hypothesis_id
),

planning as (
    select
        planned_chains.hypothesis_id,
        chains.value_chain_id as planned_value_chain_id,
        chains.planned_mde,
        chains.result_sentence as planning_sentence
    from planned_chains
    inner join {{ ref('value_chain') }} as chains on planned_chains.value_chain_id = chains.value_chain_id
),

cases as (
    select
        hypotheses.*,
        planning.planned_value_chain_id,
        planning.planned_mde,
        planning.planning_sentence,
        realization.commitment_id,
        realization.committed_value,
        realization.deadline,
        realization.is_restated,
        realization.realized_value,
        realization.pct_of_promise,
        realization.forecast_value,
        realization.forecast_low,
        realization.forecast_high,
        realization.probability_on_track,
        realization.leakage_value,
        realization.status,
        realization.update_sentence,
        realization.outlook_sentence,
        realization.reporting_currency,
        expansions.expansion_id,
        expansions.scope_name as expansion_scope,
        expansions.forecast_value as expansion_value,
        expansions.forecast_low as expansion_low,
        expansions.forecast_high as expansion_high,
        expansions.interval_level as expansion_interval_level,
        case grades.grade_rank
            when 1 then 'randomised'
            when 2 then 'diff_in_diff'
            when 3 then 'staggered_adoption'
            when 4 then 'synthetic_control'
            when 5 then 'interrupted_time_series'
            when 6 then 'before_after'
            when 7 then 'self_reported'
        end as evidence_grade,
        case
            when realization.commitment_id is null then 'define'
            when realization.status = 'not_started' then 'commit'
            when realization.status = 'achieved' then 'prove_and_grow'
            else 'execute'
        end as lifecycle_stage
    from {{ ref('stg_registry__hypotheses') }} as hypotheses
    left join realization on hypotheses.hypothesis_id = realization.hypothesis_id
    left join expansions on realization.commitment_id = expansions.commitment_id
    left join grades on realization.commitment_id = grades.commitment_id
    left join planning on hypotheses.hypothesis_id = planning.hypothesis_id
)

select
    cast(hypothesis_id as {{ dbt.type_string() }}) as hypothesis_id,
    cast(scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
    cast(pain_points as {{ dbt.type_string() }}) as pain_points,
    cast(value_drivers as {{ dbt.type_string() }}) as value_drivers,
    cast(projected_value as {{ type_double() }}) as projected_value,
    cast(projected_roi as {{ type_double() }}) as projected_roi,
    cast(commitment_id as {{ dbt.type_string() }}) as commitment_id,
    cast(committed_value as {{ type_double() }}) as committed_value,
    cast(deadline as date) as deadline,
    cast(is_restated as boolean) as is_restated,
    cast(realized_value as {{ type_double() }}) as realized_value,
    cast(pct_of_promise as {{ type_double() }}) as pct_of_promise,
    cast(forecast_value as {{ type_double() }}) as forecast_value,
    cast(forecast_low as {{ type_double() }}) as forecast_low,
    cast(forecast_high as {{ type_double() }}) as forecast_high,
    cast(probability_on_track as {{ type_double() }}) as probability_on_track,
    cast(leakage_value as {{ type_double() }}) as leakage_value,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(case when status = 'achieved' then realized_value end as {{ type_double() }}) as proven_value,
    cast(case when status = 'achieved' then evidence_grade end as {{ dbt.type_string() }}) as evidence_grade,
    cast(expansion_id as {{ dbt.type_string() }}) as expansion_id,
    cast(expansion_scope as {{ dbt.type_string() }}) as expansion_scope,
    cast(expansion_value as {{ type_double() }}) as expansion_value,
    cast(expansion_low as {{ type_double() }}) as expansion_low,
    cast(expansion_high as {{ type_double() }}) as expansion_high,
    cast(case when lifecycle_stage in ('define', 'commit') then planned_value_chain_id end as {{ dbt.type_string() }})
        as planned_value_chain_id,
    cast(case when lifecycle_stage in ('define', 'commit') then planned_mde end as {{ type_double() }}) as planned_mde,
    cast(case when lifecycle_stage in ('define', 'commit') then planning_sentence end as {{ dbt.type_string() }})
        as planning_sentence,
    cast(update_sentence as {{ dbt.type_string() }}) as update_sentence,
    cast(outlook_sentence as {{ dbt.type_string() }}) as outlook_sentence,
    cast(case
        when status = 'achieved' and expansion_value is not null then {{ dbt.concat([
            "'You have realized '", money_text('realized_value', 'reporting_currency'), "' ('",
            percent_text('pct_of_promise'), "' of target); expanding to '", "expansion_scope",
            "' would add an estimated '", money_text('expansion_value', 'reporting_currency'), "' ('",
            percent_text('expansion_interval_level'), "' interval '",
            money_text('expansion_low', 'reporting_currency'), "' to '",
            money_text('expansion_high', 'reporting_currency'), "')'"
        ]) }}
        when status = 'achieved' then {{ dbt.concat([
            "'You have realized '", money_text('realized_value', 'reporting_currency'), "' ('",
            percent_text('pct_of_promise'), "' of target)'"
        ]) }}
    end as {{ dbt.type_string() }}) as renewal_sentence
from cases
