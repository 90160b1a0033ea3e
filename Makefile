# The front door: `make demo` runs the whole job on the embedded DuckDB warehouse, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo test lint ui bench clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/value-pipeline prepare
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/value-pipeline demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint --processes 2 models tests macros

test: lint
	$(BIN)/pytest -q

ui: install
	$(BIN)/dagster dev -m value_pipeline.definitions -p 3000

clean:
	rm -rf data .dagster_home dbt_project/target dbt_project/logs
