-- Per KPI, scope and month: actual vs target and glide path, change against the baseline and
-- the previous month, status, with the numerator and denominator to re-add it and display names.
with monthly as (
    select * from {{ ref('fct_kpi_monthly') }}
),

kpis as (
    select * from {{ ref('dim_kpi') }}
),

scope_names as (
    {{ kpi_scope_names() }}
)

select
    cast(monthly.kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(kpis.kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(monthly.scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(monthly.scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(coalesce(scope_names.scope_name, monthly.scope_id) as {{ dbt.type_string() }}) as scope_name,
    cast(monthly.period_start as date) as month_start,
    cast(monthly.period_end as date) as month_end,
    cast(monthly.value as {{ type_double() }}) as actual_value,
    cast(monthly.target_value as {{ type_double() }}) as target_value,
    cast(monthly.target_date as date) as target_date,
    cast(monthly.glide_path_value as {{ type_double() }}) as glide_path_value,
    cast(monthly.baseline_value as {{ type_double() }}) as baseline_value,
    cast(monthly.value - monthly.baseline_value as {{ type_double() }}) as delta_vs_baseline,
    cast(previous_month.value as {{ type_double() }}) as previous_month_value,
    cast(monthly.value - previous_month.value as {{ type_double() }}) as trend_vs_previous_month,
    cast(monthly.status as {{ dbt.type_string() }}) as status,
    cast(monthly.numerator as {{ type_double() }}) as numerator,
    cast(monthly.denominator as {{ type_double() }}) as denominator,
    cast(monthly.value_validated as {{ type_double() }}) as value_validated,
    cast(monthly.value_estimated as {{ type_double() }}) as value_estimated,
    cast(monthly.is_suppressed as {{ dbt.type_boolean() }}) as is_suppressed,
    cast(monthly.unit as {{ dbt.type_string() }}) as unit,
    cast(monthly.direction as {{ dbt.type_string() }}) as direction
from monthly
left join kpis on monthly.kpi_id = kpis.kpi_id
left join scope_names
    on
        monthly.scope_type = scope_names.scope_type
        and monthly.scope_id = scope_names.scope_id
left join monthly as previous_month
    on
        monthly.kpi_id = previous_month.kpi_id
        and monthly.scope_type = previous_month.scope_type
        and monthly.scope_id = previous_month.scope_id
        and previous_month.period_start = {{ add_months('monthly.period_start', -1) }}
