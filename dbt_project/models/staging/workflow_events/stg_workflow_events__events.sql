-- A table, not a view: a view's stored definition would expose the pseudonymisation key.
-- Incremental by delivery partition: a nightly run rebuilds only the partitions whose raw rows
-- changed since the last build (a new day, a re-delivered day, a late day) and the partitions
-- holding another copy of one of their events; every other partition is left as it is.
{{ config(**partition_incremental('partition_date')) }}
-- The raw table is named in each CTE, not imported once: DuckDB materialises a CTE read several
-- times, which copies all raw rows and hides the partition and key filters from the scans.
{%- set raw_events = source('workflow_events', 'workflow_events') %}

with
{% if is_incremental() %}
-- A partition changed when its load stamp differs from the one of the rows built from it, or
-- when it is new, or gone from raw (comparing stamps per partition, not one high-water mark, also
-- catches a partition whose rows all left the table).
    raw_partitions as (
        select
            _partition_date as partition_date,
            max(_loaded_at) as loaded_at
        from {{ raw_events }}
        group by _partition_date
    ),

    built_partitions as (
        select
            partition_date,
            max(loaded_at) as loaded_at
        from {{ this }}
        group by partition_date
    ),

    changed_partitions as (
        select coalesce(raw_partitions.partition_date, built_partitions.partition_date) as partition_date
        from raw_partitions
        full outer join built_partitions on raw_partitions.partition_date = built_partitions.partition_date
        where
            raw_partitions.loaded_at is null
            or built_partitions.loaded_at is null
            or raw_partitions.loaded_at <> built_partitions.loaded_at
    ),

    -- Events delivered in a changed partition now, or kept from one before.
    touched_events as (
        select delivered.event_id from {{ raw_events }} as delivered
        where delivered._partition_date in (select changed.partition_date from changed_partitions as changed)

        union

        select built.event_id from {{ this }} as built
        where built.partition_date in (select changed.partition_date from changed_partitions as changed)
    ),

    -- Which copy of a touched event is kept can change, so every partition holding a copy is rebuilt.
    rebuilt_partitions as (
        select partition_date from changed_partitions

        union

        select copies._partition_date as partition_date from {{ raw_events }} as copies
        where copies.event_id in (select touched.event_id from touched_events as touched)
    ),

    -- Rebuilt partitions that did not change: they hold a copy of a touched event.
    extra_partitions as (
        select rebuilt.partition_date
        from rebuilt_partitions as rebuilt
        left join changed_partitions as changed on rebuilt.partition_date = changed.partition_date
        where changed.partition_date is null
    ),

    -- Every partition holding a copy of an event of a rebuilt partition. The copies of the events
    -- of a changed partition are in rebuilt partitions already, so only the events of the extra
    -- partitions are looked up (none, unless a touched event has a copy elsewhere).
    copy_partitions as (
        select rebuilt.partition_date from rebuilt_partitions as rebuilt

        union

        select copies._partition_date as partition_date from {{ raw_events }} as copies
        where copies.event_id in (
                select extra_rows.event_id from {{ raw_events }} as extra_rows
                where extra_rows._partition_date in (select extra.partition_date from extra_partitions as extra)
            )
    ),

    -- Their rows, so the ranking sees every copy of an event of a rebuilt partition (the others'
    -- rankings are not kept). Reading whole partitions lets the scan skip the rest of the table,
    -- where filtering rows by event id read every column of every row.
    candidates as (
        select copies.* from {{ raw_events }} as copies
        where copies._partition_date in (select copied.partition_date from copy_partitions as copied)
    ),
{% endif %}
{%- set candidates = 'candidates' if is_incremental() else raw_events %}

-- Events delivered more than once: only their copies are ranked (ranking every event sorted every
-- row, twice as long at 50M events).
repeated_events as (
    select event_id from {{ candidates }}
    group by event_id
    having count(*) > 1
),

-- A re-delivered event keeps the copy from the latest partition, then the highest line
-- (window + filter rather than `qualify`, which PostgreSQL and Spark 3.5 lack).
ranked as (
    select
        single_copies.*,
        cast(1 as {{ dbt.type_bigint() }}) as copy_rank
    from {{ candidates }} as single_copies
    where not exists (
            select 1 from repeated_events as repeated
            where repeated.event_id = single_copies.event_id
        )

    union all

    select
        copies.*,
        row_number() over (
            partition by copies.event_id
            order by copies._partition_date desc, copies._source_line desc, copies._source_file desc
        ) as copy_rank
    from {{ candidates }} as copies
    where exists (
            select 1 from repeated_events as repeated
            where repeated.event_id = copies.event_id
        )
),

renamed as (
    select
        -- ids
        ranked.event_id,
        ranked.case_id,
        ranked.use_case_id,
        {{ pseudonymise('actor_id') }} as actor_key,

        -- attributes
        ranked.event_type,
        ranked.actor_type,
        ranked.team,
        ranked.priority,
        -- the source's own name for the step; exports without one get the event type
        coalesce(ranked.activity, ranked.event_type) as activity,
        -- the activity's lifecycle transition (start, complete, ...), trimmed, lower case; NULL when not delivered
        lower(trim(ranked.lifecycle)) as lifecycle,

        -- timestamps
        ranked.event_ts,
        cast(ranked.event_ts as date) as event_date,

        -- lineage
        ranked._source_file as source_file,
        ranked._source_line as source_line,
        ranked._batch_id as batch_id,
        ranked._loaded_at as loaded_at,
        -- when this run started: the high-water mark of models built from this one by case
        {{ run_started_timestamp() }} as built_at,
        -- last, where Spark keeps its partition column
        ranked._partition_date as partition_date
    from ranked
    where
        ranked.copy_rank = 1
        {%- if is_incremental() %}
            -- the kept copy of an event of a rebuilt partition may sit in a partition left as it is
            and ranked._partition_date in (select rebuilt.partition_date from rebuilt_partitions as rebuilt)
        {%- endif %}
)

select * from renamed
