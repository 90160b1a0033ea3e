-- Per use case and window (baseline, post): cases opened in the window and their touchless
-- share, and among those resolved by the as-of date the cycle-time median and mean and the SLA
-- compliance. One model
-- with a `case_window` column keeps baseline and post side by side with identical definitions.
with windows as (
    select * from {{ ref('int_use_case_windows') }}
),

cases as (
    select * from {{ ref('int_cases') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

window_cases as (
    select
        windows.use_case_id,
        windows.case_window,
        cases.case_id,
        cases.cycle_hours,
        cases.sla_hours,
        cases.is_sla_met,
        cases.is_touchless,
        cases.is_resolved and cases.resolved_date <= reporting_period.as_of_date as is_resolved
    from windows
    cross join reporting_period
    inner join cases
        on
            windows.use_case_id = cases.use_case_id
            and cases.opened_date between windows.window_start_date and windows.window_end_date
),

summary as (
    select
        use_case_id,
        case_window,
        count(*) as opened_cases,
        sum(case when is_resolved then 1 else 0 end) as resolved_cases,
        percentile_cont(0.5) within group (order by case when is_resolved then cycle_hours end)
            as median_cycle_hours,
        avg(case when is_resolved then cycle_hours end) as mean_cycle_hours,
        sum(case when is_resolved and sla_hours is not null then 1 else 0 end) as sla_cases,
        sum(case when is_resolved and is_sla_met then 1 else 0 end) as sla_met_cases,
        sum(case when is_touchless then 1 else 0 end) as touchless_cases
    from window_cases
    group by use_case_id, case_window
)

select
    cast(windows.use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(windows.case_window as {{ dbt.type_string() }}) as case_window,
    cast(windows.window_start_date as date) as window_start_date,
    cast(windows.window_end_date as date) as window_end_date,
    cast(coalesce(summary.opened_cases, 0) as {{ dbt.type_bigint() }}) as opened_cases,
    cast(coalesce(summary.resolved_cases, 0) as {{ dbt.type_bigint() }}) as resolved_cases,
    cast(summary.median_cycle_hours as {{ type_double() }}) as median_cycle_hours,
    cast(summary.mean_cycle_hours as {{ type_double() }}) as mean_cycle_hours,
    cast(coalesce(summary.sla_cases, 0) as {{ dbt.type_bigint() }}) as sla_cases,
    cast(coalesce(summary.sla_met_cases, 0) as {{ dbt.type_bigint() }}) as sla_met_cases,
    cast({{ safe_ratio('summary.sla_met_cases', 'summary.sla_cases') }} as {{ type_double() }}) as sla_compliance,
    cast(coalesce(summary.touchless_cases, 0) as {{ dbt.type_bigint() }}) as touchless_cases,
    cast(
        {{ safe_ratio('summary.touchless_cases', 'summary.opened_cases') }} as {{ type_double() }}
    ) as touchless_share
from windows
left join summary
    on
        windows.use_case_id = summary.use_case_id
        and windows.case_window = summary.case_window
