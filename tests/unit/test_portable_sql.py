"""The portability lint catches each engine-specific construct and leaves portable SQL alone."""

import pytest

from value_pipeline.lint.portable_sql import RULES, check_sql, check_yaml, main

CAUGHT = {
    "double-colon-cast": "select amount::double from t",
    "qualify": "select * from t qualify row_number() over (partition by a order by b) = 1",
    "median": "select median(x) from t",
    "quantile": "select quantile_cont(x, 0.5) from t",
    "generate-series": "select * from generate_series(1, 10)",
    "string-agg": "select string_agg(name, ',') from t",
    "date-format": "select strftime(day, '%Y-%m') from t",
    "float-type": "select cast(x as double) from t",
    "string-type": "select cast(x as varchar) from t",
    "decimal-without-scale": "select cast(x as numeric) from t",
    "raw-date-function": "select datediff('day', a, b) from t",
    "extract-part": "select extract(epoch from b - a) from t",
    "integer-division": "select days / 7 as weeks from t",
    "try-cast": "select try_cast(x as date) from t",
    "null-function": "select ifnull(x, 0) from t",
    "filter-clause": "select count(*) filter (where ok) from t",
    "by-all": "select a, count(*) from t group by all",
    "star-modifier": "select * exclude (a) from t",
    "ilike": "select * from t where name ilike 'a%'",
    "now": "select now() as loaded_at",
}


def test_every_rule_has_an_example():
    assert set(CAUGHT) == {rule for rule, _, _ in RULES}


@pytest.mark.parametrize("rule", sorted(CAUGHT))
def test_each_construct_is_caught(rule):
    findings = check_sql("-- a model\n" + CAUGHT[rule])
    assert rule in {f.rule for f in findings}
    assert all(f.line == 2 for f in findings)


@pytest.mark.parametrize(
    "sql",
    [
        "select cast(x as {{ type_double() }}) / nullif(y, 0) from t",
        "select cast(x as decimal(18, 2)), x / 7.0, percentile_cont(0.5) within group (order by x) from t",
        "select {{ dbt.datediff('a', 'b', 'day') }} from t",
        "select 'median(x) and a::b' as label from t -- qualify in a comment",
        "{# strftime( in a Jinja comment #} select 1 as one",
        "{% macro postgres__seconds(a, b) %} extract(epoch from ({{ b }} - {{ a }})) {% endmacro %}",
    ],
)
def test_portable_sql_and_dispatch_implementations_pass(sql):
    assert check_sql(sql) == []


def test_the_dispatching_macro_itself_is_checked():
    sql = "{% macro seconds(a, b) %} extract(epoch from b - a) {% endmacro %}"
    assert [f.rule for f in check_sql(sql)] == ["extract-part"]


def test_main_fails_on_a_finding(tmp_path, capsys):
    (tmp_path / "ok.sql").write_text("select 1 as one\n")
    assert main([str(tmp_path)]) == 0
    (tmp_path / "bad.sql").write_text("select\n  x::int as n\nfrom t\n")
    assert main([str(tmp_path)]) == 1
    assert "bad.sql:2: [double-colon-cast]" in capsys.readouterr().out


def test_contract_types_that_differ_by_engine_are_caught():
    yml = """
      - name: amount
        data_type: double
      - name: label
        data_type: varchar
      - name: n
        data_type: integer
      - name: ratio
        data_type: "{{ {'postgres': 'double precision', 'bigquery': 'float64'}.get(target.type, 'double') }}"
      - name: price
        data_type: decimal(18, 2)
    """
    assert [(f.line, f.rule) for f in check_yaml(yml)] == [(3, "contract-type"), (5, "contract-type")]
