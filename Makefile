# The front door: `make demo` runs the whole job on the embedded DuckDB warehouse, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo test lint ui bench compile-cloud wheel clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev,spark]"
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
	$(BIN)/python -m value_pipeline.lint.portable_sql dbt_project/models dbt_project/macros dbt_project/tests

# Both cores (pytest-xdist): each session suite (integration, portability, reliability) whole on one
# worker, every other module whole on one worker (tests/conftest.py schedules them).
test: lint
	$(BIN)/pytest -q -n 2 --durations=10

# Benchmarks at enterprise volume (not part of `make test`): docs/benchmarks.md, bench/README.md.
SIZES ?= 1000000 10000000 50000000
RUNS ?= 3
bench: install
	$(BIN)/python -m bench.run measure --sizes $(SIZES) --runs $(RUNS)

ui: install
	$(BIN)/value-pipeline prepare
	$(BIN)/dagster dev -m value_pipeline.definitions -p 3000

# dbt compile for Snowflake and BigQuery without an account, in its own venv (dbt-snowflake pins
# certifi below requirements.lock). See docs/engines.md.
CLOUD_VENV := .venv-cloud
$(CLOUD_VENV)/.installed-stamp:
	$(PYTHON) -m venv $(CLOUD_VENV)
	$(CLOUD_VENV)/bin/python -m pip install --quiet "dbt-core==1.11.16" "dbt-snowflake==1.11.6" "dbt-bigquery==1.11.3"
	touch $@

compile-cloud: $(CLOUD_VENV)/.installed-stamp
	$(CLOUD_VENV)/bin/python scripts/compile_cloud_targets.py

# A wheel that runs without the checkout: the dbt project, the GX suites and the assets go inside the
# package (value_pipeline/_bundled), dbt's build output outside it (the home). dist/value_pipeline-*.whl
wheel: install
	$(BIN)/python scripts/build_wheel.py dist

clean:
	rm -rf data .dagster_home dbt_project/target dbt_project/logs dist build value_pipeline/_bundled
