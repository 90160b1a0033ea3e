-- Every KPI x scope x day whose drift from the glide path exceeds the tolerance band
-- (|value - glide path| > tolerance x |glide path|). Ranked unfavourable first, then by relative
-- drift (comparable across ratio and currency KPIs), then absolute drift, most recent first.
with daily as (
    select * from {{ ref('fct_kpi_daily') }}
    where value is not null
),

kpis as (
    select * from {{ ref('dim_kpi') }}
),

scope_names as (
    {{ kpi_scope_names() }}
),

drifts as (
    select
        daily.*,
        daily.value - daily.glide_path_value as drift,
        {{ tolerance_band('daily.tolerance', 'daily.glide_path_value') }} as tolerance_band,
        {{ is_unfavourable('daily.value', 'daily.glide_path_value', 'daily.direction') }} as is_unfavourable
    from daily
),

alerts as (
    select
        drifts.*,
        (drifts.drift) / nullif(abs(drifts.glide_path_value), 0) as drift_relative
    from drifts
    where abs(drifts.drift) > drifts.tolerance_band
)

select
    cast(alerts.kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(kpis.kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(alerts.date_day as date) as date_day,
    cast(alerts.scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(alerts.scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(coalesce(scope_names.scope_name, alerts.scope_id) as {{ dbt.type_string() }}) as scope_name,
    cast(alerts.value as {{ type_double() }}) as value,
    cast(alerts.glide_path_value as {{ type_double() }}) as glide_path_value,
    cast(alerts.target_value as {{ type_double() }}) as target_value,
    cast(alerts.tolerance as {{ type_double() }}) as tolerance,
    cast(alerts.tolerance_band as {{ type_double() }}) as tolerance_band,
    cast(alerts.drift as {{ type_double() }}) as drift,
    cast(alerts.drift_relative as {{ type_double() }}) as drift_relative,
    cast(alerts.is_unfavourable as {{ dbt.type_boolean() }}) as is_unfavourable,
    cast(alerts.status as {{ dbt.type_string() }}) as status,
    cast(alerts.numerator as {{ type_double() }}) as numerator,
    cast(alerts.denominator as {{ type_double() }}) as denominator,
    cast(alerts.unit as {{ dbt.type_string() }}) as unit,
    cast(alerts.direction as {{ dbt.type_string() }}) as direction,
    cast(
        row_number() over (
            order by
                case when alerts.is_unfavourable then 0 else 1 end asc,
                abs(alerts.drift_relative) desc nulls last,
                abs(alerts.drift) desc,
                alerts.date_day desc,
                alerts.kpi_id asc,
                alerts.scope_type asc,
                alerts.scope_id asc
        ) as {{ dbt.type_bigint() }}
    ) as alert_rank
from alerts
left join kpis on alerts.kpi_id = kpis.kpi_id
left join scope_names
    on
        alerts.scope_type = scope_names.scope_type
        and alerts.scope_id = scope_names.scope_id
