"""The machine-readable landing contracts agree with the product's landing specification."""

import pytest

from value_pipeline.contracts import COLUMN_TYPES, load_contracts

# Required columns per landing entity, as ../shared/spec/landing_contracts.md states them.
SPEC_REQUIRED = {
    "workflow_events": {"event_id", "case_id", "use_case_id", "event_type", "event_ts", "actor_type"},
    "ai_usage": {"user_id", "event_ts", "tool"},
    "survey_responses": {
        "response_id",
        "respondent_id",
        "survey_id",
        "wave_date",
        "question_id",
        "score",
        "scale_min",
        "scale_max",
    },
    "observations": {"value_chain_id", "unit_id", "group", "period", "metric", "value"},
    "hr_roster": {"user_id", "team", "ai_eligible", "start_date"},
    "finance_benefits": {"use_case_id", "period_month", "benefit_type", "amount", "unit", "status"},
    "finance_cost_rates": {"team", "hourly_cost", "currency", "valid_from"},
    "finance_action_costs": {"cost_type", "amount", "currency", "incurred_on"},
    "finance_fx_rates": {"currency", "rate_date", "rate_to_reporting"},
}


def test_every_spec_entity_has_a_contract_with_its_required_columns():
    contracts = load_contracts()
    assert set(contracts) == set(SPEC_REQUIRED)
    for name, required in SPEC_REQUIRED.items():
        declared = {c.name for c in contracts[name].columns if c.required}
        assert declared == required, name


def test_columns_are_typed_described_and_keys_exist():
    for contract in load_contracts().values():
        assert contract.version >= 1 and contract.description
        for column in contract.columns:
            assert column.type in COLUMN_TYPES and column.description, (contract.name, column.name)
        names = {c.name for c in contract.columns}
        assert set(contract.key) <= names, contract.name
        raw = [name for name, _ in contract.raw_columns()]
        assert len(raw) == len(set(raw)), contract.name


def test_enums_match_the_spec():
    contracts = load_contracts()
    assert contracts["workflow_events"].column("event_type").enum == (
        "opened",
        "assigned",
        "worked",
        "automated_step",
        "resolved",
        "closed",
        "reopened",
    )
    assert contracts["workflow_events"].column("actor_type").enum == ("human", "automation", "ai_assist")
    assert contracts["finance_benefits"].column("benefit_type").enum == (
        "cost_saving",
        "cost_avoidance",
        "revenue",
        "hours_saved",
    )
    assert contracts["observations"].column("group").target == "group_name"


def test_unknown_column_keys_are_refused(tmp_path):
    from value_pipeline.contracts import _parse

    path = tmp_path / "bad.yml"
    path.write_text(
        "name: bad\nversion: 1\nkind: event\nfolder: bad\ndescription: x\n"
        "columns:\n  - {name: a, type: string, description: one, two}\n"
    )
    with pytest.raises(ValueError, match="unknown keys"):
        _parse(path)
