{#- The one place money is converted to the reporting currency. Money benefits are amount x FX
    rate of their currency; hours saved are hours x hourly cost x FX rate of the cost's currency.
    A missing rate or hourly cost yields NULL (never a silently smaller total: tests catch it). -#}
{% macro to_reporting_currency(benefit_type, amount, hourly_cost, fx_rate) -%}
    case
        when {{ benefit_type }} = 'hours_saved'
            then {{ amount }} * {{ hourly_cost }} * {{ fx_rate }}
        else {{ amount }} * {{ fx_rate }}
    end
{%- endmacro %}
