"""The value-metrics warehouse: Dagster + dbt proof of what an AI and automation programme delivered."""
