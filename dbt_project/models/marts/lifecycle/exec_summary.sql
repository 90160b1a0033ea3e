-- One row for the executive: portfolio value committed, realized and forecast, the confidence of
-- the forecast, and the risks and decisions due.
with realization as (
    select * from {{ ref('value_realization') }}
),

cases as (
    select count(*) as business_cases from {{ ref('value_lifecycle') }}
),

totals as (
    select
        max(as_of_date) as as_of_date,
        max(reporting_currency) as reporting_currency,
        count(*) as commitments,
        sum(committed_value) as committed_value,
        sum(realized_value) as realized_value,
        sum(coalesce(forecast_value, realized_value)) as forecast_value,
        sum(coalesce(value_at_risk, committed_value - realized_value)) as value_at_risk,
        sum(committed_value * coalesce(probability_on_track, 0)) / nullif(sum(committed_value), 0) as confidence,
        sum(case when status in ('at_risk', 'missed') then 1 else 0 end) as commitments_at_risk,
        sum(case when is_variance_alert then 1 else 0 end) as variance_alerts,
        sum(case
            when status in ('achieved', 'missed') then 0
            when status = 'at_risk' or is_variance_alert or deadline <= {{ add_months('as_of_date', 6) }} then 1
            else 0
        end) as decisions_due
    from realization
)

select
    cast(totals.as_of_date as date) as as_of_date,
    cast(totals.reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(cases.business_cases as {{ dbt.type_int() }}) as business_cases,
    cast(totals.commitments as {{ dbt.type_int() }}) as commitments,
    cast(totals.committed_value as {{ type_double() }}) as committed_value,
    cast(totals.realized_value as {{ type_double() }}) as realized_value,
    cast(totals.realized_value / nullif(totals.committed_value, 0) as {{ type_double() }}) as pct_of_promise,
    cast(totals.forecast_value as {{ type_double() }}) as forecast_value,
    cast(totals.value_at_risk as {{ type_double() }}) as value_at_risk,
    cast(totals.confidence as {{ type_double() }}) as confidence,
    cast(totals.commitments_at_risk as {{ dbt.type_int() }}) as commitments_at_risk,
    cast(totals.variance_alerts as {{ dbt.type_int() }}) as variance_alerts,
    cast(totals.decisions_due as {{ dbt.type_int() }}) as decisions_due,
    cast({{ dbt.concat([
        "'Portfolio: '", money_text('totals.realized_value', 'totals.reporting_currency'), "' realized of '",
        money_text('totals.committed_value', 'totals.reporting_currency'), "' committed ('",
        percent_text('totals.realized_value / nullif(totals.committed_value, 0)'), "'); forecast '",
        money_text('totals.forecast_value', 'totals.reporting_currency'), "' at the deadlines, '",
        money_text('totals.value_at_risk', 'totals.reporting_currency'), "' at risk; '",
        "cast(totals.commitments_at_risk as " ~ dbt.type_string() ~ ")", "' commitment(s) at risk, '",
        "cast(totals.variance_alerts as " ~ dbt.type_string() ~ ")", "' variance alert(s), '",
        "cast(totals.decisions_due as " ~ dbt.type_string() ~ ")", "' decision(s) due'"
    ]) }} as {{ dbt.type_string() }}) as summary_sentence
from totals
cross join cases
