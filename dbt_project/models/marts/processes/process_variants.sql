-- The most frequent variants (activity sequences) of each use case's cases, most frequent first,
-- as many as cover 80% of the cases: a variant is kept while the variants before it cover less.
with variant_counts as (
    select
        use_case_id,
        variant,
        count(*) as cases,
        min(event_count) as event_count
    from {{ ref('int_case_variants') }}
    group by use_case_id, variant
),

ranked as (
    select
        variant_counts.*,
        row_number() over (
            partition by variant_counts.use_case_id
            order by variant_counts.cases desc, variant_counts.variant asc
        ) as variant_rank,
        sum(variant_counts.cases) over (partition by variant_counts.use_case_id) as use_case_cases
    from variant_counts
),

cumulated as (
    select
        ranked.*,
        sum(ranked.cases) over (
            partition by ranked.use_case_id
            order by ranked.variant_rank
            rows between unbounded preceding and current row
        ) as cumulative_cases
    from ranked
)

select
    cast(use_case_id as {{ dbt.type_string() }}) as use_case_id,
    cast(variant_rank as {{ dbt.type_int() }}) as variant_rank,
    cast(variant as {{ dbt.type_string() }}) as variant,
    cast(cases as {{ dbt.type_int() }}) as cases,
    cast(cases as {{ type_double() }}) / use_case_cases as case_share,
    cast(cumulative_cases as {{ type_double() }}) / use_case_cases as cumulative_case_share,
    cast(event_count as {{ dbt.type_int() }}) as event_count
from cumulated
-- kept while the variants ranked before it cover less than 80% of the cases (counted, not summed
-- shares, so no rounding decides the cut)
where (cumulative_cases - cases) * 5 < use_case_cases * 4
