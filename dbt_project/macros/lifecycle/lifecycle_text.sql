{#- Short money text for the lifecycle sentences: $780K, $2.71M, $950 (the currency code and a space
    for currencies other than USD, EUR and GBP). Rounds by casting to a decimal, which every engine
    does the same way (round(double, n) fails on PostgreSQL). -#}
{% macro money_text(amount_expr, currency_expr) -%}
    case
        when {{ amount_expr }} is null then null
        else {{ dbt.concat([
            "case when " ~ amount_expr ~ " < 0 then '-' else '' end",
            "case " ~ currency_expr ~ " when 'USD' then '$' when 'EUR' then '€' when 'GBP' then '£' else "
                ~ dbt.concat([currency_expr, "' '"]) ~ " end",
            "case
                when abs(" ~ amount_expr ~ ") >= 1000000
                    then " ~ dbt.concat(["cast(cast(abs(" ~ amount_expr ~ ") / 1000000 as decimal(18, 2)) as " ~ dbt.type_string() ~ ")", "'M'"]) ~ "
                when abs(" ~ amount_expr ~ ") >= 1000
                    then " ~ dbt.concat(["cast(cast(abs(" ~ amount_expr ~ ") / 1000 as decimal(18, 0)) as " ~ dbt.type_string() ~ ")", "'K'"]) ~ "
                else cast(cast(abs(" ~ amount_expr ~ ") as decimal(18, 0)) as " ~ dbt.type_string() ~ ")
            end"
        ]) }}
    end
{%- endmacro %}

{#- A ratio as a whole percentage text: 1.17 -> '117%'. -#}
{% macro percent_text(ratio_expr) -%}
    case
        when {{ ratio_expr }} is null then null
        else {{ dbt.concat(["cast(cast(100 * " ~ ratio_expr ~ " as decimal(18, 0)) as " ~ dbt.type_string() ~ ")", "'%'"]) }}
    end
{%- endmacro %}

{#- Hours with one decimal as text: 12.345 -> '12.3'. -#}
{% macro hours_text(hours_expr) -%}
    cast(cast({{ hours_expr }} as decimal(18, 1)) as {{ dbt.type_string() }})
{%- endmacro %}
