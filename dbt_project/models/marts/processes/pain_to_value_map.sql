-- Pain to value: where each use case's time and money go, from its event log, and what automating
-- a share of it could be worth (docs/processes.md). Over the 12 calendar months to the as-of date's
-- month, per use case and subject: a transition (the waiting between two steps) or an activity (the
-- handling between its start and complete, where the log records both), from the daily sums of
-- int_process_hours_daily. Hours are valued at the hourly cost of the step's team in force on its
-- day, converted at the month's FX rate; the opportunity is that cost times the registry's
-- automation share (low, base, high).
with reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

daily_hours as (
    select daily.*
    from {{ ref('int_process_hours_daily') }} as daily
    cross join reporting_period
    where
        {{ month_start('daily.event_date') }}
        >= {{ dbt.dateadd('month', -11, month_start('reporting_period.as_of_date')) }}
),

-- Months in the window with steps of the use case: monthly figures are averages over them.
use_case_months as (
    select
        use_case_id,
        count(distinct {{ month_start('event_date') }}) as months_observed
    from daily_hours
    group by use_case_id
),

subjects as (
    select
        use_case_id,
        subject_kind,
        from_activity,
        activity,
        sum(step_count) as volume,
        sum(hours) as hours,
        sum(rework_count) as rework_count,
        sum(handoff_count) as handoff_count
    from daily_hours
    group by use_case_id, subject_kind, from_activity, activity
),

rate_candidates as (
    select
        daily_hours.*,
        cost_rates.hourly_cost,
        cost_rates.currency,
        row_number() over (
            partition by
                daily_hours.use_case_id,
                daily_hours.subject_kind,
                daily_hours.from_activity,
                daily_hours.activity,
                daily_hours.team,
                daily_hours.event_date
            order by cost_rates.valid_from desc
        ) as rate_rank
    from daily_hours
    left join {{ ref('stg_finance__cost_rates') }} as cost_rates
        on
            daily_hours.team = cost_rates.team
            and daily_hours.event_date >= cost_rates.valid_from
),

costed as (
    select
        rate_candidates.use_case_id,
        rate_candidates.subject_kind,
        rate_candidates.from_activity,
        rate_candidates.activity,
        rate_candidates.step_count,
        rate_candidates.hours,
        -- the reporting currency converts at exactly 1, whatever the FX file says
        rate_candidates.hours * rate_candidates.hourly_cost
        * case
            when rate_candidates.currency = reporting_period.reporting_currency then 1.0
            else fx_rates.rate_to_reporting
        end as step_cost
    from rate_candidates
    cross join reporting_period
    left join {{ ref('int_fx_rates_monthly') }} as fx_rates
        on
            rate_candidates.currency = fx_rates.currency
            and {{ month_start('rate_candidates.event_date') }} = fx_rates.month_start
    where rate_candidates.rate_rank = 1
),

subject_costs as (
    select
        use_case_id,
        subject_kind,
        from_activity,
        activity,
        sum(step_cost) as cost_total,
        sum(case when step_cost is null then step_count else 0 end) as uncosted_steps,
        sum(case when step_cost is null then hours else 0 end) as uncosted_hours
    from costed
    group by use_case_id, subject_kind, from_activity, activity
),

-- The most specific automation share: use case and activity, then use case, then activity, then any.
share_candidates as (
    select
        subjects.use_case_id,
        subjects.subject_kind,
        subjects.from_activity,
        subjects.activity,
        assumptions.share_low,
        assumptions.share_base,
        assumptions.share_high,
        row_number() over (
            partition by subjects.use_case_id, subjects.subject_kind, subjects.from_activity, subjects.activity
            order by
                case when assumptions.use_case_id is null then 1 else 0 end,
                case when assumptions.activity is null then 1 else 0 end
        ) as share_rank
    from subjects
    inner join {{ ref('stg_registry__assumptions') }} as assumptions
        on
            assumptions.assumption = 'automation_share'
            and (subjects.use_case_id = assumptions.use_case_id or assumptions.use_case_id is null)
            and (subjects.activity = assumptions.activity or assumptions.activity is null)
),

valued as (
    select
        subjects.use_case_id,
        subjects.subject_kind,
        subjects.from_activity,
        subjects.activity,
        use_case_months.months_observed,
        cast(subjects.volume as {{ type_double() }}) / use_case_months.months_observed as monthly_volume,
        subjects.hours / use_case_months.months_observed as monthly_hours,
        subjects.hours / subjects.volume as mean_hours,
        subjects.rework_count,
        subjects.handoff_count,
        -- money only when every step of the subject has a rate (and an FX rate), even one of 0 hours
        case
            when subject_costs.uncosted_steps = 0 then subject_costs.cost_total / use_case_months.months_observed
        end as monthly_cost,
        1.0 - subject_costs.uncosted_hours / nullif(subjects.hours, 0) as costed_hours_share,
        share_candidates.share_low,
        share_candidates.share_base,
        share_candidates.share_high
    from subjects
    inner join use_case_months on subjects.use_case_id = use_case_months.use_case_id
    inner join subject_costs
        on
            subjects.use_case_id = subject_costs.use_case_id
            and subjects.subject_kind = subject_costs.subject_kind
            and subjects.activity = subject_costs.activity
            and coalesce(subjects.from_activity, '') = coalesce(subject_costs.from_activity, '')
    left join share_candidates
        on
            subjects.use_case_id = share_candidates.use_case_id
            and subjects.subject_kind = share_candidates.subject_kind
            and subjects.activity = share_candidates.activity
            and coalesce(subjects.from_activity, '') = coalesce(share_candidates.from_activity, '')
            and share_candidates.share_rank = 1
)

select
    cast(valued.use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(use_cases.use_case_name as {{ dbt.type_string() }}) as use_case_name,
    cast(valued.subject_kind as {{ dbt.type_string() }}) as subject_kind,
    cast(valued.from_activity as {{ dbt.type_string() }}) as from_activity,
    cast(valued.activity as {{ dbt.type_string() }}) as activity,
    cast(case when valued.subject_kind = 'activity' then 'handling' else 'waiting' end as {{ dbt.type_string() }})
        as hours_basis,
    cast(valued.months_observed as {{ dbt.type_int() }}) as months_observed,
    cast(valued.monthly_volume as {{ type_double() }}) as monthly_volume,
    cast(valued.monthly_hours as {{ type_double() }}) as monthly_hours,
    cast(valued.mean_hours as {{ type_double() }}) as mean_hours,
    cast(valued.rework_count as {{ dbt.type_int() }}) as rework_count,
    cast(valued.handoff_count as {{ dbt.type_int() }}) as handoff_count,
    cast(reporting_period.reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(valued.monthly_cost as {{ type_double() }}) as monthly_cost,
    cast(valued.costed_hours_share as {{ type_double() }}) as costed_hours_share,
    cast(valued.share_low as {{ type_double() }}) as automation_share_low,
    cast(valued.share_base as {{ type_double() }}) as automation_share_base,
    cast(valued.share_high as {{ type_double() }}) as automation_share_high,
    cast(valued.monthly_cost * valued.share_low as {{ type_double() }}) as opportunity_low,
    cast(valued.monthly_cost * valued.share_base as {{ type_double() }}) as opportunity_base,
    cast(valued.monthly_cost * valued.share_high as {{ type_double() }}) as opportunity_high,
    cast(row_number() over (
        partition by valued.use_case_id
        order by
            case when valued.monthly_cost * valued.share_base is null then 1 else 0 end,
            valued.monthly_cost * valued.share_base desc,
            valued.monthly_hours desc,
            valued.activity asc,
            valued.from_activity asc
    ) as {{ dbt.type_int() }}) as opportunity_rank
from valued
cross join reporting_period
left join {{ ref('stg_registry__use_cases') }} as use_cases on valued.use_case_id = use_cases.use_case_id
