"""Checks that run in ``make lint`` beside ruff and sqlfluff."""
