-- The version of each commitment in force on the report's as-of date, with its glide path value on
-- that date: piecewise linear from the baseline on the commitment's start through the version's
-- milestones to the target on the deadline (the target after the deadline).
with period as (
    select
        as_of_date,
        reporting_currency
    from {{ ref('int_reporting_period') }}
),

in_force as (
    select
        versions.*,
        period.as_of_date,
        period.reporting_currency
    from {{ ref('int_commitment_versions') }} as versions
    cross join period
    where
        versions.valid_from <= period.as_of_date
        and (versions.valid_to is null or versions.valid_to >= period.as_of_date)
),

points as (
    select
        commitment_id,
        commitment_start_date as point_date,
        baseline_value as point_value
    from in_force
    union all
    select
        milestones.commitment_id,
        milestones.milestone_date,
        milestones.milestone_target
    from {{ ref('stg_registry__commitment_milestones') }} as milestones
    inner join in_force
        on
            milestones.commitment_id = in_force.commitment_id
            and milestones.valid_from = in_force.valid_from
    where milestones.milestone_date < in_force.deadline
    union all
    select
        commitment_id,
        deadline,
        target_value
    from in_force
),

segments as (
    select
        commitment_id,
        point_date,
        point_value,
        lead(point_date) over (partition by commitment_id order by point_date) as next_date,
        lead(point_value) over (partition by commitment_id order by point_date) as next_value
    from points
),

glide as (
    select
        segments.commitment_id,
        case
            when segments.next_date is null then segments.point_value
            else
                segments.point_value
                + (segments.next_value - segments.point_value)
                * cast({{ days_between('segments.point_date', 'in_force.as_of_date') }} as {{ type_double() }})
                / nullif(
                    cast({{ days_between('segments.point_date', 'segments.next_date') }} as {{ type_double() }}), 0
                )
        end as glide_path_value
    from segments
    inner join in_force on segments.commitment_id = in_force.commitment_id
    where
        segments.point_date <= in_force.as_of_date
        and (segments.next_date is null or segments.next_date > in_force.as_of_date)
)

select
    in_force.commitment_id,
    in_force.version_number,
    in_force.hypothesis_id,
    in_force.kpi_id,
    in_force.scope_type,
    in_force.scope_id,
    in_force.owner,
    in_force.terms,
    in_force.baseline_value,
    in_force.target_value,
    in_force.deadline,
    in_force.commitment_start_date,
    in_force.valid_from,
    in_force.is_restatement,
    in_force.previous_target_value,
    in_force.previous_deadline,
    in_force.restatement_reason,
    in_force.as_of_date,
    in_force.reporting_currency,
    coalesce(kpis.tolerance, 0.10) as tolerance,
    glide.glide_path_value,
    cast(
        {{ dbt.datediff(month_start('in_force.as_of_date'), month_start('in_force.deadline'), 'month') }}
        as {{ dbt.type_int() }}
    ) as months_to_deadline
from in_force
inner join glide on in_force.commitment_id = glide.commitment_id
left join {{ ref('stg_registry__kpis') }} as kpis on in_force.kpi_id = kpis.kpi_id
