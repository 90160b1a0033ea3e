-- One row per AI-eligible employee and day employed (roster: ai_eligible, start_date <= day,
-- end_date NULL or >= day), flagged active when they used an AI tool in the 28 days ending on
-- the day (day - 27 .. day).
with days as (
    select * from {{ ref('int_reporting_days') }}
),

employees as (
    select * from {{ ref('stg_hr_roster__employees') }}
    where is_ai_eligible
),

teams as (
    select * from {{ ref('stg_registry__teams') }}
),

usage_days as (
    select distinct
        user_key,
        usage_date
    from {{ ref('stg_ai_usage__usage_events') }}
),

-- A usage day keeps its user active on that day and the 27 days after it, so usage days at most
-- 28 days apart keep the user active without a break. Each run of such usage days is one active
-- span: from its first usage day to 27 days after its last. Spans of a user never overlap.
usage_days_numbered as (
    select
        user_key,
        usage_date,
        case
            when
                lag(usage_date) over (partition by user_key order by usage_date)
                >= {{ add_days('usage_date', '-28') }}
                then 0
            else 1
        end as starts_span
    from usage_days
),

usage_days_in_spans as (
    select
        user_key,
        usage_date,
        sum(starts_span) over (
            partition by user_key order by usage_date rows between unbounded preceding and current row
        ) as span_number
    from usage_days_numbered
),

active_spans as (
    select
        user_key,
        min(usage_date) as active_from_date,
        {{ add_days('max(usage_date)', '27') }} as active_until_date
    from usage_days_in_spans
    group by user_key, span_number
)

select
    employees.user_key,
    days.date_day,
    employees.team,
    teams.business_unit_id,
    active_spans.user_key is not null as is_active
from employees
inner join days
    on
        employees.start_date <= days.date_day
        and (employees.end_date is null or employees.end_date >= days.date_day)
left join teams on employees.team = teams.team_id
left join active_spans
    on
        employees.user_key = active_spans.user_key
        and days.date_day >= active_spans.active_from_date
        and days.date_day <= active_spans.active_until_date
