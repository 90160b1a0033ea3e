-- One row: the span of days the KPIs are computed for and the reporting currency.
with events as (
    select
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from {{ ref('stg_workflow_events__events') }}
),

settings as (
    select max(case when setting_key = 'reporting_currency' then setting_value end) as reporting_currency
    from {{ ref('stg_registry__settings') }}
)

select
    events.first_event_date,
    {% if var('as_of_date') -%}
        {{ date_literal(var('as_of_date')) }}
    {%- else -%}
        events.last_event_date
    {%- endif %} as as_of_date,
    settings.reporting_currency
from events
cross join settings
