-- The directly-follows relation of each use case's cases, per month the cases started: how often
-- one activity directly followed another, in how many cases, the wait between them and how often
-- it changed hands or repeated an activity (docs/processes.md). Summed over months, `transitions`
-- are the log's directly-follows counts as process-mining tools count them.
with steps as (
    select * from {{ ref('int_case_steps') }}
    where from_activity is not null
)

select
    cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(case_month as date) as case_month,
    cast(from_activity as {{ dbt.type_string() }}) as from_activity,
    cast(activity as {{ dbt.type_string() }}) as to_activity,
    cast(count(*) as {{ dbt.type_int() }}) as transitions,
    cast(count(distinct case_id) as {{ dbt.type_int() }}) as cases,
    cast(percentile_cont(0.5) within group (order by wait_hours) as {{ type_double() }}) as median_wait_hours,
    cast(percentile_cont(0.9) within group (order by wait_hours) as {{ type_double() }}) as p90_wait_hours,
    cast(
        sum(case when is_handoff then 1.0 else 0.0 end)
        / nullif(sum(case when is_handoff is not null then 1.0 else 0.0 end), 0)
        as {{ type_double() }}
    ) as handoff_share,
    cast(sum(case when is_rework then 1 else 0 end) as {{ dbt.type_int() }}) as rework_transitions
from steps
group by use_case_id, case_month, from_activity, activity
