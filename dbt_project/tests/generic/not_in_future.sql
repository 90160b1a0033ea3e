{#- Fails for every non-NULL value later than a day after the start of the run (UTC): nothing dated
    in the future, with a day of clock skew allowed as the loader allows. A date passes up to the
    day after today (its midnight is compared). -#}
{% test not_in_future(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} > {{ dbt.dateadd('day', 1, run_started_timestamp()) }}
{% endtest %}
