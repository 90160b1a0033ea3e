{#- Fails for every non-NULL value outside [min_value, max_value] (each bound optional; exclusive
    when inclusive is false). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{%- set lower_bound = [] if min_value is none else [column_name ~ (' < ' if inclusive else ' <= ') ~ min_value] %}
{%- set upper_bound = [] if max_value is none else [column_name ~ (' > ' if inclusive else ' >= ') ~ max_value] %}
{%- set out_of_range = lower_bound + upper_bound %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and ({{ out_of_range | join(' or ') if out_of_range else 'false' }})
{% endtest %}
