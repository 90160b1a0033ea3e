-- Interrupted-time-series, before/after and self-reported evidence is never presented as causal: not
-- flagged causal, and its sentences never say the action "resulted in" the change.
select
    value_chain_id,
    evidence_grade,
    is_causal,
    result_sentence
from {{ ref('value_chain') }}
where
    evidence_grade in ('interrupted_time_series', 'before_after', 'self_reported')
    and (
        is_causal
        or result_sentence like '%resulted in%'
        or impact_sentence like 'This equates to%'
    )
