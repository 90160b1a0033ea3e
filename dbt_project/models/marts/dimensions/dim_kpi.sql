-- The KPI catalogue of the registry (each KPI is defined there once).
select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(definition as {{ dbt.type_string() }}) as definition,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(baseline_value as {{ type_double() }}) as baseline_value,
    cast(baseline_date as date) as baseline_date,
    cast(target_value as {{ type_double() }}) as target_value,
    cast(target_date as date) as target_date,
    cast(tolerance as {{ type_double() }}) as tolerance,
    cast(owner as {{ dbt.type_string() }}) as owner,
    cast(question_id as {{ dbt.type_string() }}) as question_id
from {{ ref('stg_registry__kpis') }}
