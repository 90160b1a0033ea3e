-- ai_tool_adoption (stock): active eligible users / eligible users; team from the roster,
-- business unit through the team.
with eligible_users as (
    select * from {{ ref('int_eligible_users_daily') }}
),

scoped as (
    select
        date_day,
        'portfolio' as scope_type,
        'portfolio' as scope_id,
        is_active
    from eligible_users

    union all

    select
        date_day,
        'business_unit' as scope_type,
        business_unit_id as scope_id,
        is_active
    from eligible_users

    union all

    select
        date_day,
        'team' as scope_type,
        team as scope_id,
        is_active
    from eligible_users
)

select
    'ai_tool_adoption' as kpi_id,
    date_day,
    scope_type,
    scope_id,
    cast(sum(case when is_active then 1 else 0 end) as {{ type_double() }}) as numerator,
    cast(count(*) as {{ type_double() }}) as denominator
from scoped
where scope_id is not null
group by date_day, scope_type, scope_id
