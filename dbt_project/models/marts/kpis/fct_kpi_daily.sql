-- One row per KPI x day x scope, with its target, glide path and status
-- (docs/kpi_computation.md, "Daily KPI rows" and "Targets, glide path and status").
with daily as (
    select * from {{ ref('int_kpi_daily_unioned') }}
),

kpis as (
    select * from {{ ref('stg_registry__kpis') }}
),

scope_targets as (
    select * from {{ ref('int_kpi_scope_targets') }}
),

with_targets as (
    select
        daily.*,
        case
            when daily.kpi_id = 'value_tracked' then daily.numerator
            else {{ safe_ratio('daily.numerator', 'daily.denominator') }}
        end as kpi_value,
        kpis.unit,
        kpis.direction,
        kpis.baseline_value,
        kpis.baseline_date,
        case
            when scope_targets.kpi_id is not null then scope_targets.target_value
            else kpis.target_value
        end as target_value,
        kpis.target_date,
        kpis.tolerance
    from daily
    inner join kpis on daily.kpi_id = kpis.kpi_id
    left join scope_targets
        on
            daily.kpi_id = scope_targets.kpi_id
            and daily.scope_type = scope_targets.scope_type
            and daily.scope_id = scope_targets.scope_id
),

with_glide_path as (
    select
        *,
        {{ glide_path_value('baseline_value', 'target_value', 'baseline_date', 'target_date', 'date_day') }}
            as glide_path_value
    from with_targets
)

select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(date_day as date) as date_day,
    cast(scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(kpi_kind as {{ dbt.type_string() }}) as kpi_kind,
    cast(numerator as {{ type_double() }}) as numerator,
    cast(denominator as {{ type_double() }}) as denominator,
    cast(kpi_value as {{ type_double() }}) as value,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(baseline_value as {{ type_double() }}) as baseline_value,
    cast(baseline_date as date) as baseline_date,
    cast(target_value as {{ type_double() }}) as target_value,
    cast(target_date as date) as target_date,
    cast(glide_path_value as {{ type_double() }}) as glide_path_value,
    cast(tolerance as {{ type_double() }}) as tolerance,
    cast(
        {{ kpi_status('kpi_value', 'target_value', 'glide_path_value', 'tolerance', 'direction') }}
        as {{ dbt.type_string() }}
    ) as status,
    cast(value_validated as {{ type_double() }}) as value_validated,
    cast(value_estimated as {{ type_double() }}) as value_estimated,
    cast(is_suppressed as {{ dbt.type_boolean() }}) as is_suppressed
from with_glide_path
