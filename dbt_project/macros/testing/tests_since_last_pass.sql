{#- Data tests of incremental models that check only what a run built: a test whose `where` is
    `__rows_built_since_last_pass__` reads the rows whose built_at is after the start of the dbt run
    in which the same test last passed; `__keys_built_since_last_pass__` reads every row sharing the
    tested column's value with one of those rows (a unique test then still compares new rows with
    old ones). Rows an incremental run leaves in place are unchanged since that pass, so the test
    sees every row it has not yet passed on. A pass is recorded after the run (on-run-end) per test
    and definition (its arguments and the dbt version): a failed or skipped test records nothing
    and reads the same rows again next run, a changed test reads every row, and --full-refresh
    stamps every row anew. Only for tests that look at one row, or at the rows of one key. -#}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- if '_built_since_last_pass__' in where -%}
        {%- set column = model.test_metadata.kwargs.get('column_name') -%}
        {%- if '__keys_built_since_last_pass__' in where and not column -%}
            {%- do exceptions.raise_compiler_error(
                model.unique_id ~ ': __keys_built_since_last_pass__ needs a column test'
            ) -%}
        {%- endif -%}
        {%- set keys_built_since = column ~ ' in (select built.' ~ column ~ ' from ' ~ relation
            ~ ' as built where ' ~ built_since_last_pass(model, 'built.built_at') ~ ')' -%}
        {%- set where = where
            | replace('__rows_built_since_last_pass__', built_since_last_pass(model, 'built_at'))
            | replace('__keys_built_since_last_pass__', keys_built_since) -%}
    {%- endif -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery' if where else relation) -%}
{%- endmacro %}

{#- `built_at` is after the start of the run in which the test last passed (any time without a pass). -#}
{% macro built_since_last_pass(test_node, built_at) -%}
    {%- do return(built_at ~ " > coalesce((select max(passes.passed_through) from audit.dbt_test_passes as passes"
        ~ " where passes.test_key = '" ~ test_pass_key(test_node) ~ "'), cast('1900-01-01 00:00:00' as "
        ~ dbt.type_timestamp() ~ "))") -%}
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
