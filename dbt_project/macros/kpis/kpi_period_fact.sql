{#- Rolls fct_kpi_daily up to periods of `grain` (week, month, quarter) per
    docs/kpi_computation.md: flow KPIs add their daily numerators and denominators, stock KPIs
    take the numerator and denominator of the period's last day with a row; value is always
    numerator / denominator (never an average of ratios). period_end is the period's last day,
    or the as-of date for the running period; glide path and status are evaluated on period_end. -#}
{% macro kpi_period_fact(grain) -%}
    {%- set period_start = {
        'week': iso_week_start('date_day'),
        'month': month_start('date_day'),
        'quarter': quarter_start('date_day'),
    }[grain] -%}
    {%- set period_last_day = {
        'week': add_days('periods.period_start', 6),
        'month': 'cast(' ~ dbt.last_day('periods.period_start', 'month') ~ ' as date)',
        'quarter': 'cast(' ~ dbt.last_day('periods.period_start', 'quarter') ~ ' as date)',
    }[grain] -%}

with daily as (
    select
        *,
        {{ period_start }} as period_start
    from {{ ref('fct_kpi_daily') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

periods as (
    select
        kpi_id,
        scope_type,
        scope_id,
        period_start,
        max(date_day) as last_row_day,
        sum(numerator) as period_numerator,
        sum(denominator) as period_denominator
    from daily
    group by kpi_id, scope_type, scope_id, period_start
),

rolled_up as (
    select
        daily.kpi_id,
        daily.scope_type,
        daily.scope_id,
        daily.kpi_kind,
        periods.period_start,
        least({{ period_last_day }}, reporting_period.as_of_date) as period_end,
        case when daily.kpi_kind = 'flow' then periods.period_numerator else daily.numerator end as numerator,
        case when daily.kpi_kind = 'flow' then periods.period_denominator else daily.denominator end as denominator,
        daily.value_validated,
        daily.value_estimated,
        daily.is_suppressed,
        daily.unit,
        daily.direction,
        daily.baseline_value,
        daily.baseline_date,
        daily.target_value,
        daily.target_date,
        daily.tolerance
    from periods
    inner join daily
        on
            periods.kpi_id = daily.kpi_id
            and periods.scope_type = daily.scope_type
            and periods.scope_id = daily.scope_id
            and periods.last_row_day = daily.date_day
    cross join reporting_period
),

valued as (
    select
        *,
        case
            when kpi_id = 'value_tracked' then numerator
            else {{ safe_ratio('numerator', 'denominator') }}
        end as kpi_value,
        {{ glide_path_value('baseline_value', 'target_value', 'baseline_date', 'target_date', 'period_end') }}
            as glide_path_value
    from rolled_up
)

select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
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
from valued
{%- endmacro %}
