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

{#- The events up to the as-of date of the cases a subquery selects (its `case_id`), as a subquery:
    the same rule, with the as-of date a condition of the join rather than a filter of the events,
    so that the optimiser sees every event on one side and hashes the few cases (DuckDB estimates
    the as-of filter to keep a small share of the events and hashed them all instead).
    Usage: from {{ case_events_to_as_of_date(cases_subquery) }} as events -#}
{% macro case_events_to_as_of_date(cases_subquery) -%}
    (
        select stg_events.*
        from {{ ref('stg_workflow_events__events') }} as stg_events
        inner join (
            select
                selected_cases.case_id,
                reporting_period.as_of_date
            from ({{ cases_subquery }}) as selected_cases
            cross join {{ ref('int_reporting_period') }} as reporting_period
        ) as selected
            on
                stg_events.case_id = selected.case_id
                and stg_events.event_date <= selected.as_of_date
    )
{%- endmacro %}
