{#- Pseudonymises a person identifier with a keyed hash: md5 of the secret key, a separator and
    the id. This is a keyed hash, not an HMAC; it stops anyone without the key from recomputing
    the pseudonym from a known id while keeping joins (usage <-> roster) possible. The key comes
    from the `pseudonym_key` var (env VALUE_PIPELINE_PSEUDONYM_KEY). NULL ids stay NULL.
    The key appears in the compiled SQL (target/, git-ignored), so models calling this macro are
    tables, never views whose stored definition would carry it into the warehouse. -#}
{% macro pseudonymise(id_column) -%}
    case
        when {{ id_column }} is not null
            then {{ dbt.hash(dbt.concat(["'" ~ (var('pseudonym_key') | replace("'", "''")) ~ "|'", id_column])) }}
    end
{%- endmacro %}
