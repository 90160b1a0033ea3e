-- Business impact = improvement x exposure x unit value - action cost, with the unit value and the
-- cost those of the intermediate models (converted in SQL), and the interval bounds scaled alike.
with value_chain as (
    select * from {{ ref('value_chain') }}
),

inputs as (
    select * from {{ ref('int_value_chains') }}
)

select
    value_chain.value_chain_id,
    value_chain.business_impact,
    value_chain.action_cost_reporting,
    inputs.action_cost_reporting as input_action_cost
from value_chain
inner join inputs on value_chain.value_chain_id = inputs.value_chain_id
where
    not {{ approx_equal('value_chain.action_cost_reporting', 'inputs.action_cost_reporting') }}
    or not {{ approx_equal('value_chain.unit_value_reporting', 'inputs.unit_value_reporting') }}
    or (
        value_chain.business_impact is not null
        and (
            not {{ approx_equal(
                'value_chain.business_impact',
                'value_chain.improvement * value_chain.exposure * value_chain.unit_value_reporting'
                ~ ' - value_chain.action_cost_reporting'
            ) }}
            or not {{ approx_equal(
                'value_chain.business_impact_ci_low',
                'value_chain.improvement_ci_low * value_chain.exposure * value_chain.unit_value_reporting'
                ~ ' - value_chain.action_cost_reporting'
            ) }}
            or not {{ approx_equal(
                'value_chain.business_impact_ci_high',
                'value_chain.improvement_ci_high * value_chain.exposure * value_chain.unit_value_reporting'
                ~ ' - value_chain.action_cost_reporting'
            ) }}
        )
    )
