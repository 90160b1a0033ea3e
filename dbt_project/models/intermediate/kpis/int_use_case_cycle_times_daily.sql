-- Per use case and day from go-live: the median cycle time of the baseline-window cases resolved
-- by the day and of the post-window cases opened and resolved by the day (trailing mode: opened
-- in the baseline_days days ending on the day). A growing set (baseline, post to date) changes
-- only on the days cases join it: its running median is taken once per such day and holds until
-- the next one. A trailing set also loses cases, so each day is joined to its cases, at most
-- baseline_days days per case.
-- Incremental by use case and day (macros/incremental/key_incremental.sql): a run recomputes each
-- use case from the earliest day a changed case counts or counted from
-- (int_cases_counted_in_cycle_times) or the first day not yet built, whichever is first; the days
-- before keep their rows, and a recomputed day left without both sets is removed.
{{ config(**key_incremental(['use_case_id', 'date_day'], 'baseline_resolved_cases is null')) }}

{%- set counted = ref('int_cases_counted_in_cycle_times') %}
{%- set before_any_run = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" %}
{%- set set_keys = ['use_case_id', 'case_window'] %}

with days as (
    select * from {{ ref('int_reporting_days') }}
),

use_cases as (
    select
        use_case_id,
        go_live_date,
        baseline_days,
        coalesce(post_window_mode, 'to_date') as post_window_mode
    from {{ ref('stg_registry__use_cases') }}
    where go_live_date is not null
),

{% if is_incremental() %}
    -- The first day each use case is recomputed from: the earliest day a case changed since the
    -- last run counts or counted from, the day after the last built day (new reporting days), or
    -- the day after the last reporting day (the as-of date moved back: later rows go).
    from_dates as (
        select
            use_case_id,
            min(from_date) as from_date
        from (
            select
                use_case_id,
                recount_from_date as from_date
            from {{ counted }}
            where built_at > (select coalesce(max(built.built_at), {{ before_any_run }}) from {{ this }} as built)

            union all

            select
                use_cases.use_case_id,
                {{ add_days('(select max(built.date_day) from ' ~ this ~ ' as built)', '1') }} as from_date
            from use_cases

            union all

            select
                use_cases.use_case_id,
                {{ add_days('(select max(days.date_day) from days)', '1') }} as from_date
            from use_cases
        ) as candidates
        group by use_case_id
    ),
{% else %}
    -- A full build computes every day from go-live.
    from_dates as (
        select
            use_case_id,
            go_live_date as from_date
        from use_cases
    ),
{% endif %}

use_case_days as (
    select
        use_cases.use_case_id,
        use_cases.baseline_days,
        use_cases.post_window_mode,
        days.date_day
    from use_cases
    inner join from_dates on use_cases.use_case_id = from_dates.use_case_id
    inner join days
        on
            use_cases.go_live_date <= days.date_day
            and from_dates.from_date <= days.date_day
),

growing_set_cases as (
    select
        use_case_id,
        case_window,
        counted_from_date,
        cycle_hours
    from {{ counted }}
    where
        is_counted
        and (case_window = 'baseline' or post_window_mode <> 'trailing')
        and use_case_id in (select use_cases.use_case_id from use_cases)
),

first_recomputed_days as (
    select
        use_case_id,
        min(date_day) as date_day
    from use_case_days
    group by use_case_id
),

-- Per set, the cases counted before the first recomputed day (kept) and from it on (recomputed).
-- The median of the kept cases with any of the recomputed ones stays the same when as many of the
-- lowest as of the highest kept cases are left out, as long as more kept cases remain than there
-- are recomputed ones (two more: the two middle values). The running median then reads about
-- twice the recomputed cases per set, not every case.
set_trims as (
    select
        use_case_id,
        case_window,
        kept_cases,
        case
            when kept_cases - recomputed_cases - 2 > 0
                then cast(floor((kept_cases - recomputed_cases - 2) * 0.5) as {{ dbt.type_bigint() }})
            else 0
        end as trimmed_each_side
    from (
        select
            growing_set_cases.use_case_id,
            growing_set_cases.case_window,
            sum(case when growing_set_cases.counted_from_date < first_recomputed_days.date_day then 1 else 0 end)
                as kept_cases,
            sum(case when growing_set_cases.counted_from_date >= first_recomputed_days.date_day then 1 else 0 end)
                as recomputed_cases
        from growing_set_cases
        inner join first_recomputed_days on growing_set_cases.use_case_id = first_recomputed_days.use_case_id
        group by growing_set_cases.use_case_id, growing_set_cases.case_window
    ) as set_sizes
),

kept_cases_ranked as (
    select
        growing_set_cases.use_case_id,
        growing_set_cases.case_window,
        growing_set_cases.counted_from_date,
        growing_set_cases.cycle_hours,
        row_number() over (
            partition by growing_set_cases.use_case_id, growing_set_cases.case_window
            order by growing_set_cases.cycle_hours
        ) as value_rank
    from growing_set_cases
    inner join first_recomputed_days
        on
            growing_set_cases.use_case_id = first_recomputed_days.use_case_id
            and growing_set_cases.counted_from_date < first_recomputed_days.date_day
),

median_cases as (
    select
        kept_cases_ranked.use_case_id,
        kept_cases_ranked.case_window,
        kept_cases_ranked.counted_from_date,
        kept_cases_ranked.cycle_hours
    from kept_cases_ranked
    inner join set_trims
        on
            kept_cases_ranked.use_case_id = set_trims.use_case_id
            and kept_cases_ranked.case_window = set_trims.case_window
    where
        kept_cases_ranked.value_rank > set_trims.trimmed_each_side
        and kept_cases_ranked.value_rank <= set_trims.kept_cases - set_trims.trimmed_each_side

    union all

    select
        growing_set_cases.use_case_id,
        growing_set_cases.case_window,
        growing_set_cases.counted_from_date,
        growing_set_cases.cycle_hours
    from growing_set_cases
    inner join first_recomputed_days
        on
            growing_set_cases.use_case_id = first_recomputed_days.use_case_id
            and growing_set_cases.counted_from_date >= first_recomputed_days.date_day
),

-- The medians are exact from the last step before the first recomputed day on (earlier steps read
-- a trimmed set, and no recomputed day reads them); the counts add the trimmed cases back.
growing_set_steps as (
    select
        medians.use_case_id,
        medians.case_window,
        medians.counted_from_date,
        medians.running_median,
        medians.running_count + 2 * set_trims.trimmed_each_side as running_count
    from (
        {{ running_median('median_cases', set_keys, 'counted_from_date', 'cycle_hours') }}
    ) as medians
    inner join set_trims
        on
            medians.use_case_id = set_trims.use_case_id
            and medians.case_window = set_trims.case_window
),

growing_set_spans as (
    select
        use_case_id,
        case_window,
        counted_from_date as valid_from_date,
        running_count as resolved_cases,
        running_median as median_cycle_hours,
        lead(counted_from_date) over (
            partition by use_case_id, case_window order by counted_from_date
        ) as valid_until_date
    from growing_set_steps
),

growing_set_daily as (
    select
        use_case_days.use_case_id,
        use_case_days.date_day,
        growing_set_spans.case_window,
        growing_set_spans.resolved_cases,
        growing_set_spans.median_cycle_hours
    from use_case_days
    inner join growing_set_spans
        on
            use_case_days.use_case_id = growing_set_spans.use_case_id
            and use_case_days.date_day >= growing_set_spans.valid_from_date
            and (
                growing_set_spans.valid_until_date is null
                or use_case_days.date_day < growing_set_spans.valid_until_date
            )
),

trailing_daily as (
    select
        use_case_days.use_case_id,
        use_case_days.date_day,
        'post' as case_window,
        count(*) as resolved_cases,
        percentile_cont(0.5) within group (order by trailing_cases.cycle_hours) as median_cycle_hours
    from use_case_days
    inner join {{ counted }} as trailing_cases
        on
            use_case_days.use_case_id = trailing_cases.use_case_id
            and trailing_cases.is_counted
            and trailing_cases.case_window = 'post'
            and trailing_cases.post_window_mode = 'trailing'
            and use_case_days.date_day >= trailing_cases.counted_from_date
            and trailing_cases.opened_date
            >= {{ add_days('use_case_days.date_day', '1 - use_case_days.baseline_days') }}
    group by use_case_days.use_case_id, use_case_days.date_day
),

daily as (
    select * from growing_set_daily
    union all
    select * from trailing_daily
),

baseline as (
    select * from daily
    where case_window = 'baseline'
),

post as (
    select * from daily
    where case_window = 'post'
),

final as (
    select
        baseline.use_case_id,
        baseline.date_day,
        cast(baseline.resolved_cases as {{ dbt.type_bigint() }}) as baseline_resolved_cases,
        cast(baseline.median_cycle_hours as {{ type_double() }}) as baseline_median_cycle_hours,
        cast(post.resolved_cases as {{ dbt.type_bigint() }}) as post_resolved_cases,
        cast(post.median_cycle_hours as {{ type_double() }}) as post_median_cycle_hours,
        {{ run_started_timestamp() }} as built_at
    from baseline
    inner join post
        on
            baseline.use_case_id = post.use_case_id
            and baseline.date_day = post.date_day
)

select * from final
{% if is_incremental() %}
    -- A recomputed day left without both sets: a tombstone that replaces its row, removed after
    -- the run.
    union all

    select
        built.use_case_id,
        built.date_day,
        cast(null as {{ dbt.type_bigint() }}) as baseline_resolved_cases,
        cast(null as {{ type_double() }}) as baseline_median_cycle_hours,
        cast(null as {{ dbt.type_bigint() }}) as post_resolved_cases,
        cast(null as {{ type_double() }}) as post_median_cycle_hours,
        {{ run_started_timestamp() }} as built_at
    from {{ this }} as built
    inner join from_dates
        on
            built.use_case_id = from_dates.use_case_id
            and built.date_day >= from_dates.from_date
    left join final
        on
            built.use_case_id = final.use_case_id
            and built.date_day = final.date_day
    where final.use_case_id is null
{% endif %}
