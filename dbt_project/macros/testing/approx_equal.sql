{#- True when two floats agree to 1e-9 relative (floor 1 for values near 0): summation order
    changes the last bits between engines and between incremental and full runs. NULL = NULL. -#}
{% macro approx_equal(left, right) -%}
    (
        (({{ left }}) is null and ({{ right }}) is null)
        or abs(({{ left }}) - ({{ right }})) <= 1e-9 * greatest(abs({{ left }}), abs({{ right }}), 1)
    )
{%- endmacro %}
