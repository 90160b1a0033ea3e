-- One row per commitment in force on the as-of date: committed, realized to date, % of promise,
-- glide path and variance alert, forecast at the deadline, leakage, status and the update sentences.
with commitments as (
    select * from {{ ref('int_commitments_as_of') }}
),

realized as (
    select
        commitment_id,
        sum(value_tracked) as value_tracked,
        sum(value_validated) as value_validated,
        sum(action_cost) as action_cost,
        sum(net_value) as realized_value
    from {{ ref('int_commitment_use_case_months') }}
    group by commitment_id
),

leakage as (
    select
        commitment_id,
        sum(leakage_value) as leakage_value
    from {{ ref('int_commitment_leakage') }}
    group by commitment_id
),

cycle_times as (
    select
        monthly.scope_type,
        monthly.scope_id,
        monthly.value as cycle_time_reduction,
        row_number() over (
            partition by monthly.scope_type, monthly.scope_id order by monthly.period_start desc
        ) as recency
    from {{ ref('fct_kpi_monthly') }} as monthly
    cross join {{ ref('int_reporting_period') }} as period
    where
        monthly.kpi_id = 'cycle_time_reduction'
        and monthly.period_start <= period.as_of_date
        and monthly.value is not null
),

forecasts as (
    select * from {{ source('lifecycle_stats', 'commitment_forecasts') }}
    where projection_kind = 'deadline'
),

figures as (
    select
        commitments.*,
        coalesce(realized.value_tracked, 0) as value_tracked,
        coalesce(realized.value_validated, 0) as value_validated,
        coalesce(realized.action_cost, 0) as action_cost,
        coalesce(realized.realized_value, 0) as realized_value,
        coalesce(leakage.leakage_value, 0) as leakage_value,
        forecasts.forecast_value,
        forecasts.forecast_low,
        forecasts.forecast_high,
        forecasts.interval_level,
        forecasts.probability_reaching_target,
        forecasts.value_at_risk,
        forecasts.note as forecast_note,
        cycle_times.cycle_time_reduction,
        cast(floor(
            cast(
                {{ days_between('commitments.commitment_start_date', 'commitments.as_of_date') }}
                as {{ type_double() }}
            ) / 7.0
        ) + 1 as {{ dbt.type_int() }}) as week_number
    from commitments
    left join realized on commitments.commitment_id = realized.commitment_id
    left join leakage on commitments.commitment_id = leakage.commitment_id
    left join forecasts on commitments.commitment_id = forecasts.commitment_id
    left join cycle_times
        on
            commitments.scope_type = cycle_times.scope_type
            and commitments.scope_id = cycle_times.scope_id
            and cycle_times.recency = 1
),

assessed as (
    select
        figures.*,
        figures.realized_value / nullif(figures.target_value, 0) as pct_of_promise,
        (figures.realized_value - figures.glide_path_value) / nullif(figures.glide_path_value, 0) as variance_to_glide,
        coalesce(
            (figures.realized_value - figures.glide_path_value) / nullif(figures.glide_path_value, 0)
            < -figures.tolerance,
            false
        )
            as is_variance_alert,
        case
            when figures.realized_value >= figures.target_value then 'achieved'
            when figures.as_of_date >= figures.deadline then 'missed'
            when figures.value_tracked = 0 then 'not_started'
            when figures.probability_reaching_target >= 0.5 then 'on_track'
            when figures.probability_reaching_target < 0.5 then 'at_risk'
            else 'no_forecast'
        end as status
    from figures
)

select
    cast(commitment_id as {{ dbt.type_string() }}) as commitment_id,
    cast(hypothesis_id as {{ dbt.type_string() }}) as hypothesis_id,
    cast(scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(owner as {{ dbt.type_string() }}) as owner,
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(as_of_date as date) as as_of_date,
    cast(commitment_start_date as date) as commitment_start_date,
    cast(valid_from as date) as valid_from,
    cast(deadline as date) as deadline,
    cast(version_number as {{ dbt.type_int() }}) as version_number,
    cast(is_restatement as boolean) as is_restated,
    cast(previous_target_value as {{ type_double() }}) as previous_target_value,
    cast(previous_deadline as date) as previous_deadline,
    cast(case when is_restatement then valid_from end as date) as restated_on,
    cast(restatement_reason as {{ dbt.type_string() }}) as restatement_reason,
    cast(case
        when is_restatement then {{ dbt.concat([
            "'Restated on '", "cast(valid_from as " ~ dbt.type_string() ~ ")", "': target '",
            money_text('previous_target_value', 'reporting_currency'), "' -> '",
            money_text('target_value', 'reporting_currency'), "', deadline '",
            "cast(previous_deadline as " ~ dbt.type_string() ~ ")", "' -> '",
            "cast(deadline as " ~ dbt.type_string() ~ ")", "' ('", "restatement_reason", "')'"
        ]) }}
    end as {{ dbt.type_string() }}) as restatement_sentence,
    cast(target_value as {{ type_double() }}) as committed_value,
    cast(glide_path_value as {{ type_double() }}) as glide_path_value,
    cast(value_tracked as {{ type_double() }}) as value_tracked,
    cast(value_validated as {{ type_double() }}) as value_validated,
    cast(action_cost as {{ type_double() }}) as action_cost,
    cast(realized_value as {{ type_double() }}) as realized_value,
    cast(pct_of_promise as {{ type_double() }}) as pct_of_promise,
    cast(variance_to_glide as {{ type_double() }}) as variance_to_glide,
    cast(tolerance as {{ type_double() }}) as tolerance,
    cast(is_variance_alert as boolean) as is_variance_alert,
    cast(case
        when is_variance_alert then {{ dbt.concat([
            "'realized value is '", percent_text('-variance_to_glide'), "' below the glide path ('",
            money_text('realized_value', 'reporting_currency'), "' vs '",
            money_text('glide_path_value', 'reporting_currency'), "'; tolerance '", percent_text('tolerance'), "')'"
        ]) }}
    end as {{ dbt.type_string() }}) as alert_text,
    cast(forecast_value as {{ type_double() }}) as forecast_value,
    cast(forecast_low as {{ type_double() }}) as forecast_low,
    cast(forecast_high as {{ type_double() }}) as forecast_high,
    cast(interval_level as {{ type_double() }}) as interval_level,
    cast(probability_reaching_target as {{ type_double() }}) as probability_on_track,
    cast(value_at_risk as {{ type_double() }}) as value_at_risk,
    cast(forecast_note as {{ dbt.type_string() }}) as forecast_note,
    cast(leakage_value as {{ type_double() }}) as leakage_value,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(cycle_time_reduction as {{ type_double() }}) as cycle_time_reduction,
    cast(week_number as {{ dbt.type_int() }}) as week_number,
    cast({{ dbt.concat([
        "'Week '", "cast(week_number as " ~ dbt.type_string() ~ ")", "' update: '",
        money_text('realized_value', 'reporting_currency'), "' in net value ('",
        percent_text('pct_of_promise'), "' of target)'",
        "case when cycle_time_reduction > 0 then " ~ dbt.concat([
            "'; automation cut cycle time by '", percent_text('cycle_time_reduction')
        ]) ~ " else '' end"
    ]) }} as {{ dbt.type_string() }}) as update_sentence,
    cast(case
        when status = 'achieved' then {{ dbt.concat([
            "'You have realized '", money_text('realized_value', 'reporting_currency'), "' ('",
            percent_text('pct_of_promise'), "' of target)'"
        ]) }}
        when forecast_low is not null then {{ dbt.concat([
            "'Forecast at the deadline: '", money_text('forecast_value', 'reporting_currency'),
            "' ('", percent_text('interval_level'), "' interval '", money_text('forecast_low', 'reporting_currency'),
            "' to '", money_text('forecast_high', 'reporting_currency'), "'), '",
            percent_text('probability_reaching_target'), "' probability of reaching the '",
            money_text('target_value', 'reporting_currency'), "' target; '",
            money_text('value_at_risk', 'reporting_currency'), "' at risk'"
        ]) }}
        else {{ dbt.concat(["'No forecast yet: '", "coalesce(forecast_note, 'no months of value')"]) }}
    end as {{ dbt.type_string() }}) as outlook_sentence
from assessed
