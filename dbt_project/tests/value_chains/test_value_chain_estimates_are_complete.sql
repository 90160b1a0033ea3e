-- Every registry value chain is in the mart, and every estimate carries its estimator, evidence
-- grade, n of the cells it uses, standard error, 95% interval and four sentences.
with value_chain as (
    select * from {{ ref('value_chain') }}
),

registry as (
    select value_chain_id from {{ ref('int_value_chains') }}
)

select
    registry.value_chain_id,
    'missing from the mart' as problem
from registry
left join value_chain on registry.value_chain_id = value_chain.value_chain_id
where value_chain.value_chain_id is null

union all

select
    value_chain_id,
    'incomplete estimate' as problem
from value_chain
where
    status = 'estimated'
    and (
        estimator is null
        or evidence_grade is null
        or is_causal is null
        or n_treatment_post is null
        or (evidence_grade in ('randomised', 'diff_in_diff') and n_control_post is null)
        or (evidence_grade in ('diff_in_diff', 'before_after') and n_treatment_pre is null)
        or std_error is null
        or ci_low is null
        or ci_high is null
        or insight_sentence is null
        or action_sentence is null
        or result_sentence is null
        or impact_sentence is null
    )
