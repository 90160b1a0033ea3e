-- The directly-follows relation of each use case's cases, per month the cases started: how often
-- one activity directly followed another, in how many cases, the wait between them and how often
-- it changed hands or repeated an activity (docs/processes.md). Summed over months, `transitions`
-- are the log's directly-follows counts as process-mining tools count them. Computed month by
-- month in int_process_transitions_monthly.
select
    cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(case_month as date) as case_month,
    cast(from_activity as {{ dbt.type_string() }}) as from_activity,
    cast(to_activity as {{ dbt.type_string() }}) as to_activity,
    cast(transitions as {{ dbt.type_int() }}) as transitions,
    cast(cases as {{ dbt.type_int() }}) as cases,
    cast(median_wait_hours as {{ type_double() }}) as median_wait_hours,
    cast(p90_wait_hours as {{ type_double() }}) as p90_wait_hours,
    cast(handoff_share as {{ type_double() }}) as handoff_share,
    cast(rework_transitions as {{ dbt.type_int() }}) as rework_transitions
from {{ ref('int_process_transitions_monthly') }}
