{#- Data tests of incremental models that check only what a run built: a test whose `where` is
    `__rows_built_since_last_pass__` reads the rows whose built_at is after the start of the dbt run
    in which the same test last passed (every row when it never passed);
    `__keys_built_since_last_pass__` reads every row sharing the tested column's value with one of
    those rows (a unique test then still compares new rows with old ones). Rows an incremental run
    leaves in place are unchanged since that pass, so the test sees every row it has not yet passed
    on. A pass is recorded after the run (on-run-end) per test and definition (its arguments and
    the dbt version): a failed or skipped test records nothing and reads the same rows again next
    run, a changed test reads every row, and --full-refresh stamps every row anew. Only for tests
    that look at one row, or at the rows of one key. -#}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- if '_built_since_last_pass__' in where -%}
        {%- set column = model.test_metadata.kwargs.get('column_name') -%}
        {%- if '__keys_built_since_last_pass__' in where and not column -%}
            {%- do exceptions.raise_compiler_error(
                model.unique_id ~ ': __keys_built_since_last_pass__ needs a column test'
            ) -%}
        {%- endif -%}
        {%- set passed_through = last_test_pass(model) -%}
        {%- if passed_through is none -%}
            {#- Never passed: every row, as the plain test. -#}
            {%- set rows_built_since, keys_built_since = 'true', 'true' -%}
        {%- else -%}
            {%- set since = "cast('" ~ passed_through ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
            {%- set rows_built_since = 'built_at > ' ~ since -%}
            {%- set keys_built_since = column ~ ' in (select built.' ~ column ~ ' from ' ~ relation
                ~ ' as built where built.built_at > ' ~ since ~ ')' -%}
        {%- endif -%}
        {%- set where = where
            | replace('__rows_built_since_last_pass__', rows_built_since)
            | replace('__keys_built_since_last_pass__', keys_built_since) -%}
    {%- endif -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery' if where else relation) -%}
{%- endmacro %}

{#- The start of the run in which the test last passed (None without a pass), read when the test
    is compiled, just before it runs: a constant lets the engine skip the blocks of older rows. -#}
{% macro last_test_pass(test_node) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set passes = adapter.get_relation(database=target.database, schema='audit', identifier='dbt_test_passes') -%}
    {%- if passes is none -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set latest = run_query(
        "select max(passed_through) from " ~ passes ~ " where test_key = '" ~ test_pass_key(test_node) ~ "'"
    ) -%}
    {%- do return(latest.columns[0].values()[0]) -%}
{%- endmacro %}

{#- Identifies a test and its definition: a pass of another definition does not count. -#}
{% macro test_pass_key(test_node) -%}
    {%- set definition = [dbt_version, test_node.test_metadata.name, test_node.test_metadata.kwargs] -%}
    {%- do return(test_node.unique_id ~ ':' ~ local_md5(tojson(definition, sort_keys=true))) -%}
{%- endmacro %}

{#- on-run-start: the table of passes (rows are only ever added; Parquet tables on Spark cannot
    delete rows). -#}
{% macro create_test_passes_table() -%}
    create table if not exists audit.dbt_test_passes (
        test_key {{ dbt.type_string() }},
        passed_through {{ dbt.type_timestamp() }}
    ) {{ adapter.dispatch('test_passes_table_options', 'value_pipeline')() }}
{%- endmacro %}

{% macro default__test_passes_table_options() -%}{%- endmacro %}

{% macro spark__test_passes_table_options() -%}using parquet{%- endmacro %}

{#- on-run-end: a pass of each test reading rows built since its last pass, through this run's
    start (the built_at of every row this run wrote). -#}
{% macro record_test_passes(results) -%}
    {%- set rows = [] -%}
    {%- for result in results
        if result.node.resource_type == 'test'
        and result.status == 'pass'
        and '_built_since_last_pass__' in (result.node.config.where or '') -%}
        {%- do rows.append("('" ~ test_pass_key(result.node) ~ "', " ~ run_started_timestamp() ~ ")") -%}
    {%- endfor -%}
    {%- if rows -%}
        {%- do return('insert into audit.dbt_test_passes (test_key, passed_through) values ' ~ rows | join(', ')) -%}
    {%- endif -%}
{%- endmacro %}
