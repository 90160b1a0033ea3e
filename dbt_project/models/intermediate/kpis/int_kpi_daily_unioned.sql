-- The six KPIs' daily rows in one shape, with the aggregation kind the period facts need:
-- `flow` KPIs add up over days, `stock` KPIs take their last day.
{%- set kpi_models = [
    ('int_kpi_automation_coverage_daily', 'stock'),
    ('int_kpi_cycle_time_reduction_daily', 'stock'),
    ('int_kpi_sla_compliance_daily', 'flow'),
    ('int_kpi_ai_tool_adoption_daily', 'stock'),
    ('int_kpi_value_tracked_daily', 'stock'),
    ('int_kpi_sentiment_lift_daily', 'stock'),
] %}
{%- set split_by_status = ['int_kpi_value_tracked_daily'] %}
{%- set suppressible = ['int_kpi_sentiment_lift_daily'] %}

{% for model_name, kind in kpi_models %}
    select
        kpi_id,
        '{{ kind }}' as kpi_kind,
        date_day,
        scope_type,
        scope_id,
        numerator,
        denominator,
        {% if model_name in split_by_status -%}
            value_validated,
            value_estimated,
        {%- else -%}
            cast(null as {{ type_double() }}) as value_validated,
            cast(null as {{ type_double() }}) as value_estimated,
        {%- endif %}
        {% if model_name in suppressible -%}
            is_suppressed
        {%- else -%}
            false as is_suppressed
        {%- endif %}
    from {{ ref(model_name) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
