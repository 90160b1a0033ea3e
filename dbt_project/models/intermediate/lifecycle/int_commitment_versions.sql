-- Every version of every commitment as a slowly changing dimension: valid_from to valid_to (the day
-- before the next version; NULL for the version still in force) and what the restatement changed.
with versions as (
    select * from {{ ref('stg_registry__commitments') }}
),

ordered as (
    select
        versions.*,
        lead(versions.valid_from)
            over (partition by versions.commitment_id order by versions.valid_from)
            as next_valid_from,
        lag(versions.target_value)
            over (partition by versions.commitment_id order by versions.valid_from)
            as previous_target_value,
        lag(versions.deadline)
            over (partition by versions.commitment_id order by versions.valid_from)
            as previous_deadline,
        min(versions.valid_from) over (partition by versions.commitment_id) as commitment_start_date,
        row_number() over (partition by versions.commitment_id order by versions.valid_from) as version_number
    from versions
)

select
    commitment_id,
    version_number,
    hypothesis_id,
    kpi_id,
    scope_type,
    scope_id,
    owner,
    terms,
    baseline_value,
    target_value,
    deadline,
    commitment_start_date,
    valid_from,
    case when next_valid_from is not null then {{ add_days('next_valid_from', -1) }} end as valid_to,
    version_number > 1 as is_restatement,
    previous_target_value,
    previous_deadline,
    restatement_reason
from ordered
