{#- The integers 0 .. upper_bound - 1 (upper_bound <= 100,000) as `n`, from a cross join of
    digits: generate_series and recursive CTEs are not portable. -#}
{% macro integer_range(upper_bound) -%}
    select n
    from (
        select
            ten_thousands.digit * 10000
            + thousands.digit * 1000
            + hundreds.digit * 100
            + tens.digit * 10
            + units.digit as n
        from ({{ _digits() }}) as units
        cross join ({{ _digits() }}) as tens
        cross join ({{ _digits() }}) as hundreds
        cross join ({{ _digits() }}) as thousands
        cross join ({{ _digits() }}) as ten_thousands
    ) as numbers
    where n < {{ upper_bound }}
{%- endmacro %}

{% macro _digits() -%}
    {%- for digit in range(10) -%}
        select {{ digit }} as digit{% if not loop.last %} union all {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- Every day from start_date to end_date (inclusive) as `date_day`; the bounds may be scalar
    subqueries. -#}
{% macro date_spine(start_date, end_date) -%}
    select {{ add_days(start_date, 'day_offsets.n') }} as date_day
    from ({{ integer_range(100000) }}) as day_offsets
    where day_offsets.n <= {{ days_between(start_date, end_date) }}
{%- endmacro %}
