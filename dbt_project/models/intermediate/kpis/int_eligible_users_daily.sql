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

trailing_offsets as (
    {{ integer_range(28) }}
),

-- A usage day keeps its user active on that day and the 27 days after it.
active_user_days as (
    select distinct
        usage_days.user_key,
        {{ add_days('usage_days.usage_date', 'trailing_offsets.n') }} as date_day
    from usage_days
    cross join trailing_offsets
)

select
    employees.user_key,
    days.date_day,
    employees.team,
    teams.business_unit_id,
    active_user_days.user_key is not null as is_active
from employees
inner join days
    on
        employees.start_date <= days.date_day
        and (employees.end_date is null or employees.end_date >= days.date_day)
left join teams on employees.team = teams.team_id
left join active_user_days
    on
        employees.user_key = active_user_days.user_key
        and days.date_day = active_user_days.date_day
