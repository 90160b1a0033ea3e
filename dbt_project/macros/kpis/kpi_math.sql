{#- numerator / denominator as an 8-byte float, NULL when the denominator is 0 or NULL (division
    by zero is an error on PostgreSQL and inf on DuckDB). -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0)
{%- endmacro %}

{#- Straight line from the baseline (at baseline_date) to the target (at target_date), flat
    before and after: baseline + (target - baseline) x clamp(elapsed share, 0, 1). -#}
{% macro glide_path_value(baseline, target, baseline_date, target_date, day) -%}
    case
        when {{ day }} <= {{ baseline_date }} then {{ baseline }}
        when {{ day }} >= {{ target_date }} then {{ target }}
        else {{ baseline }} + ({{ target }} - {{ baseline }})
            * cast({{ days_between(baseline_date, day) }} as {{ type_double() }})
            / cast({{ days_between(baseline_date, target_date) }} as {{ type_double() }})
    end
{%- endmacro %}

{#- Absolute tolerance band around the glide path: the KPI's relative tolerance x |glide path|. -#}
{% macro tolerance_band(tolerance, glide_path) -%}
    {{ tolerance }} * abs({{ glide_path }})
{%- endmacro %}

{#- Status against target and glide path; lower_is_better mirrors every comparison. -#}
{% macro kpi_status(value, target, glide_path, tolerance, direction) -%}
    case
        when {{ value }} is null then null
        when {{ direction }} = 'lower_is_better' then
            case
                when {{ value }} <= {{ target }} then 'achieved'
                when {{ value }} <= {{ glide_path }} then 'on_track'
                when {{ value }} <= {{ glide_path }} + {{ tolerance_band(tolerance, glide_path) }} then 'at_risk'
                else 'off_track'
            end
        else
            case
                when {{ value }} >= {{ target }} then 'achieved'
                when {{ value }} >= {{ glide_path }} then 'on_track'
                when {{ value }} >= {{ glide_path }} - {{ tolerance_band(tolerance, glide_path) }} then 'at_risk'
                else 'off_track'
            end
    end
{%- endmacro %}

{#- True when the value is worse than the glide path for the KPI's direction. -#}
{% macro is_unfavourable(value, glide_path, direction) -%}
    case
        when {{ direction }} = 'lower_is_better' then {{ value }} > {{ glide_path }}
        else {{ value }} < {{ glide_path }}
    end
{%- endmacro %}
