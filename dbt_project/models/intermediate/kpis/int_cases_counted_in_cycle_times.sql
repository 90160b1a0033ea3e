-- The cases the cycle-time medians count (int_use_case_cycle_times_daily): resolved cases in a
-- use-case window, with the first day each counts (opened and resolved) and the first day whose
-- medians its last change moved (recount_from_date), so the medians recompute only from there.
-- Incremental by case (macros/incremental/key_incremental.sql): a run emits the cases whose
-- counted attributes changed since its last run (rebuilt in int_cases, gone from it, or of a use
-- case whose post-window mode or baseline days changed). A case that stops counting keeps a row
-- with is_counted false: the medians must see the days it leaves.
{{ config(**key_incremental('case_id')) }}

{%- set cases = ref('int_cases') %}
{%- set before_any_run = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" %}

with use_cases as (
    select
        use_case_id,
        baseline_days,
        coalesce(post_window_mode, 'to_date') as post_window_mode
    from {{ ref('stg_registry__use_cases') }}
),

{% if is_incremental() %}
    -- Use cases whose trailing-window attributes differ from those their counted cases carry.
    registry_changed_use_cases as (
        select distinct built_attributes.use_case_id
        from (
            select distinct
                use_case_id,
                baseline_days,
                post_window_mode
            from {{ this }}
            where is_counted
        ) as built_attributes
        left join use_cases on built_attributes.use_case_id = use_cases.use_case_id
        where
            built_attributes.baseline_days is distinct from use_cases.baseline_days
            or built_attributes.post_window_mode is distinct from use_cases.post_window_mode
    ),

    -- Cases rebuilt since this table's last run (the newest rows: a scan skips the older ones),
    -- and every case of a use case whose attributes changed.
    cases as (
        select cases.*
        from {{ cases }} as cases
        where cases.built_at > (select coalesce(max(built.built_at), {{ before_any_run }}) from {{ this }} as built)

        union

        select cases.*
        from {{ cases }} as cases
        where cases.use_case_id in (select changed.use_case_id from registry_changed_use_cases as changed)
    ),

    changed_case_ids as (
        select cases.case_id from cases

        union

        -- counted cases gone from int_cases
        select built.case_id
        from {{ this }} as built
        left join {{ cases }} as cases on built.case_id = cases.case_id
        where built.is_counted and cases.case_id is null
    ),

    built as (
        select built.*
        from {{ this }} as built
        where built.case_id in (select changed.case_id from changed_case_ids as changed)
    ),
{% else %}
    cases as (
        select * from {{ cases }}
    ),
{% endif %}

counted as (
    select
        cases.case_id,
        cases.use_case_id,
        cases.case_window,
        use_cases.post_window_mode,
        use_cases.baseline_days,
        cases.opened_date,
        cases.cycle_hours,
        -- the first day on which the case is both opened and resolved
        greatest(cases.opened_date, cases.resolved_date) as counted_from_date
    from cases
    inner join use_cases on cases.use_case_id = use_cases.use_case_id
    where cases.is_resolved and cases.case_window is not null
)

{% if is_incremental() %}
    select
        coalesce(counted.case_id, built.case_id) as case_id,
        coalesce(counted.use_case_id, built.use_case_id) as use_case_id,
        counted.case_window,
        counted.post_window_mode,
        counted.baseline_days,
        counted.opened_date,
        counted.cycle_hours,
        counted.counted_from_date,
        counted.case_id is not null as is_counted,
        -- the earlier of the days the case counted from before and counts from now
        case
            when built.is_counted and counted.case_id is not null
                then least(built.counted_from_date, counted.counted_from_date)
            when built.is_counted then built.counted_from_date
            else counted.counted_from_date
        end as recount_from_date,
        {{ run_started_timestamp() }} as built_at
    from counted
    full outer join built on counted.case_id = built.case_id
    where
        -- only a change of what the medians read
        built.case_id is null
        or (counted.case_id is null and built.is_counted)
        or (counted.case_id is not null and (
            not built.is_counted
            or counted.use_case_id is distinct from built.use_case_id
            or counted.case_window is distinct from built.case_window
            or counted.post_window_mode is distinct from built.post_window_mode
            or counted.baseline_days is distinct from built.baseline_days
            or counted.opened_date is distinct from built.opened_date
            or counted.counted_from_date is distinct from built.counted_from_date
            or counted.cycle_hours is distinct from built.cycle_hours
        ))
{% else %}
    select
        counted.*,
        true as is_counted,
        counted.counted_from_date as recount_from_date,
        {{ run_started_timestamp() }} as built_at
    from counted
{% endif %}
