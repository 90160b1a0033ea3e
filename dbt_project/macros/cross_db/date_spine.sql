{#- The integers 0 .. upper_bound - 1 (upper_bound <= 100,000) as `n`, from a cross join of
    digits: generate_series and recursive CTEs are not portable. Only as many digit positions as
    upper_bound needs are joined: PostgreSQL cannot push `n < upper_bound` below the cross join, so
    a 28-row range built from five digits made a join downstream 3,000 times larger. -#}
{% macro integer_range(upper_bound) -%}
    {%- set places = ['units', 'tens', 'hundreds', 'thousands', 'ten_thousands'] -%}
    {%- set width = ((upper_bound - 1) | string | length) if upper_bound > 1 else 1 -%}
    {%- if width > places | length -%}
        {{ exceptions.raise_compiler_error('integer_range: upper_bound above 100,000') }}
    {%- endif -%}
    {%- set terms = [] -%}
    {%- set joins = [] -%}
    {%- for place in places[:width] -%}
        {%- do terms.append(place ~ '.digit * ' ~ (10 ** loop.index0)) -%}
        {%- if not loop.first -%}
            {%- do joins.append('cross join (' ~ _digits() ~ ') as ' ~ place) -%}
        {%- endif -%}
    {%- endfor -%}
    select n
    from (
        select {{ terms | join(' + ') }} as n
        from ({{ _digits() }}) as units {{ joins | join(' ') }}
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
