-- Weekly KPI rows rolled up from fct_kpi_daily (see macros/kpis/kpi_period_fact.sql).
{{ kpi_period_fact('week') }}
