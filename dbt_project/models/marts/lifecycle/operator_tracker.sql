-- One row per commitment and use case for the operator: value against the plan to date, go-live and
-- adoption against the assumptions, the blocker and the largest leakage cause. The blocker is data's
-- where the log shows one: the transition whose median wait rose most since the baseline window.
with leakage as (
    select * from {{ ref('value_leakage') }}
    where use_case_id is not null
),

use_cases as (
    select
        commitment_id,
        use_case_id,
        max(use_case_name) as use_case_name,
        max(as_of_date) as as_of_date,
        max(planned_go_live_date) as planned_go_live_date,
        max(go_live_date) as go_live_date,
        max(assumed_adoption) as assumed_adoption,
        max(actual_adoption) as actual_adoption,
        max(value_tracked) as value_tracked,
        max(planned_live_months * assumed_monthly_value) as planned_value_to_date,
        sum(leakage_value) as leakage_value
    from leakage
    group by commitment_id, use_case_id
    -- Use cases of the scope that are neither planned nor producing value are not the operator's.
    having max(planned_go_live_date) is not null or max(value_tracked) <> 0
),

ranked_causes as (
    select
        commitment_id,
        use_case_id,
        cause,
        row_number() over (partition by commitment_id, use_case_id order by leakage_value desc, cause asc) as rank_
    from leakage
    where leakage_value > 0
),

-- The use case's blocker transition with the largest rise.
wait_rises as (
    select blockers.*
    from {{ ref('process_wait_changes') }} as blockers
    where
        blockers.is_blocker
        and blockers.rise_rank = (
            select min(other_blockers.rise_rank)
            from {{ ref('process_wait_changes') }} as other_blockers
            where other_blockers.is_blocker and other_blockers.use_case_id = blockers.use_case_id
        )
)

select
    cast(use_cases.commitment_id as {{ dbt.type_string() }}) as commitment_id,
    cast(use_cases.use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(use_cases.use_case_name as {{ dbt.type_string() }}) as use_case_name,
    cast(use_cases.as_of_date as date) as as_of_date,
    cast(use_cases.planned_go_live_date as date) as planned_go_live_date,
    cast(use_cases.go_live_date as date) as go_live_date,
    cast(
        {{ days_between('use_cases.planned_go_live_date', 'use_cases.go_live_date') }}
        as {{ dbt.type_int() }}
    ) as go_live_delay_days,
    cast(use_cases.assumed_adoption as {{ type_double() }}) as assumed_adoption,
    cast(use_cases.actual_adoption as {{ type_double() }}) as actual_adoption,
    cast(use_cases.value_tracked as {{ type_double() }}) as value_tracked,
    cast(use_cases.planned_value_to_date as {{ type_double() }}) as planned_value_to_date,
    cast(
        (use_cases.value_tracked - use_cases.planned_value_to_date) / nullif(use_cases.planned_value_to_date, 0)
        as {{ type_double() }}
    ) as variance_to_plan,
    cast(use_cases.leakage_value as {{ type_double() }}) as leakage_value,
    cast(ranked_causes.cause as {{ dbt.type_string() }}) as top_leakage_cause,
    cast(wait_rises.from_activity as {{ dbt.type_string() }}) as blocking_from_activity,
    cast(wait_rises.to_activity as {{ dbt.type_string() }}) as blocking_to_activity,
    cast(wait_rises.baseline_median_wait_hours as {{ type_double() }}) as baseline_wait_hours,
    cast(wait_rises.post_median_wait_hours as {{ type_double() }}) as post_wait_hours,
    cast(case
        when use_cases.go_live_date is null or use_cases.go_live_date > use_cases.as_of_date then 'not live yet'
        when wait_rises.use_case_id is not null then {{ dbt.concat([
            "'wait '", "wait_rises.from_activity", "' -> '", "wait_rises.to_activity", "' up '",
            hours_text('wait_rises.wait_rise_hours'),
            "' h (baseline '",
            hours_text('wait_rises.baseline_median_wait_hours'),
            "' h, now '",
            hours_text('wait_rises.post_median_wait_hours'),
            "' h)'"
        ]) }}
        when use_cases.go_live_date > use_cases.planned_go_live_date then {{ dbt.concat([
            "'went live '",
            "cast(" ~ days_between('use_cases.planned_go_live_date', 'use_cases.go_live_date') ~ " as "
                ~ dbt.type_string() ~ ")",
            "' days late'"
        ]) }}
        when use_cases.actual_adoption < use_cases.assumed_adoption then 'adoption below the assumption'
    end as {{ dbt.type_string() }}) as blocker
from use_cases
left join ranked_causes
    on
        use_cases.commitment_id = ranked_causes.commitment_id
        and use_cases.use_case_id = ranked_causes.use_case_id
        and ranked_causes.rank_ = 1
left join wait_rises on use_cases.use_case_id = wait_rises.use_case_id
