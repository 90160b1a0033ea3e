{#- The workflow events up to the as-of date, as a subquery: events after it are ignored, so a report
    for a past as-of date sees the cases as they stood that day. Named in each CTE that reads it, not
    made a CTE: DuckDB materialises a CTE read several times, copying every event and hiding the
    filters. Usage: {%- set as_of_events = events_to_as_of_date() %} ... from {{ as_of_events }} as events -#}
{% macro events_to_as_of_date() -%}
    (
        select stg_events.*
        from {{ ref('stg_workflow_events__events') }} as stg_events
        cross join {{ ref('int_reporting_period') }} as reporting_period
        where stg_events.event_date <= reporting_period.as_of_date
    )
{%- endmacro %}
