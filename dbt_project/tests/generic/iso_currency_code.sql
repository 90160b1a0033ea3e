{#- Fails for every non-NULL value that is not three upper-case letters A-Z (an ISO 4217 code).
    translate() deleting the letters instead of a regular expression: each engine spells a regex
    match differently. -#}
{% test iso_currency_code(model, column_name) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and (
        length({{ column_name }}) <> 3
        or translate({{ column_name }}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') <> ''
    )
{% endtest %}
