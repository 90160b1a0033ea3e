-- Per use case and day from go-live: the median cycle time of the baseline-window cases resolved
-- by the day and of the post-window cases opened and resolved by the day (trailing mode: opened
-- in the baseline_days days ending on the day). A growing set (baseline, post to date) changes
-- only on the days cases join it: its running median is taken once per such day and holds until
-- the next one. A trailing set also loses cases, so each day is joined to its cases, at most
-- baseline_days days per case.
-- Incremental by use case and day (macros/incremental/key_incremental.sql): a run recomputes each
-- use case from the earliest day a changed case counts or counted from
-- (int_cases_counted_in_cycle_times) or the first day not yet built, whichever is first; the days
-- before keep their rows, and a recomputed day left without both sets is removed. When few set
-- changes are recomputed, each is one grouped median over the cases before it; else the running
-- median runs over every case, as in a full build.
{{ config(**key_incremental(['use_case_id', 'date_day'], 'baseline_resolved_cases is null')) }}

{%- set counted = ref('int_cases_counted_in_cycle_times') %}
{%- set grouped_medians_up_to = var('cycle_time_grouped_medians_up_to') %}
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
{% else %}
    use_case_days as (
        select
            use_cases.use_case_id,
            use_cases.baseline_days,
            use_cases.post_window_mode,
            days.date_day
        from use_cases
        inner join days on use_cases.go_live_date <= days.date_day
    ),
{% endif %}

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

{% if is_incremental() %}
    first_recomputed_days as (
        select
            use_case_id,
            min(date_day) as date_day
        from use_case_days
        group by use_case_id
    ),

    -- The set changes the recomputed days read: the first recomputed day (the median it carries
    -- in) and every later day cases join a set.
    recomputed_steps as (
        select distinct
            growing_set_cases.use_case_id,
            growing_set_cases.case_window,
            growing_set_cases.counted_from_date
        from growing_set_cases
        inner join first_recomputed_days
            on
                growing_set_cases.use_case_id = first_recomputed_days.use_case_id
                and growing_set_cases.counted_from_date > first_recomputed_days.date_day

        union

        select distinct
            growing_set_cases.use_case_id,
            growing_set_cases.case_window,
            first_recomputed_days.date_day as counted_from_date
        from growing_set_cases
        inner join first_recomputed_days on growing_set_cases.use_case_id = first_recomputed_days.use_case_id
    ),

    recomputed_sets as (
        select
            use_case_id,
            case_window,
            count(*) as step_count
        from recomputed_steps
        group by use_case_id, case_window
    ),

    few_recomputed_steps as (
        select recomputed_steps.*
        from recomputed_steps
        where
            (
                select sum(recomputed_sets.step_count) - {{ grouped_medians_up_to }} * count(*)
                from recomputed_sets
            ) <= 0
    ),

    many_recomputed_steps_cases as (
        select * from growing_set_cases
        where
            use_case_id in (select first_recomputed_days.use_case_id from first_recomputed_days)
            and not exists (select 1 from few_recomputed_steps)
    ),

    growing_set_steps as (
        {{ running_median_at(
            'few_recomputed_steps', 'growing_set_cases', set_keys, 'counted_from_date', 'cycle_hours'
        ) }}

        union all

        {{ running_median('many_recomputed_steps_cases', set_keys, 'counted_from_date', 'cycle_hours') }}
    ),
{% else %}
    growing_set_steps as (
        {{ running_median('growing_set_cases', set_keys, 'counted_from_date', 'cycle_hours') }}
    ),
{% endif %}

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
