{#- A model's custom schema (staging, intermediate, marts) is used as-is, not prefixed with the
    target schema, so every engine and every developer sees the same schema names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
