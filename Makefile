# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## seed the demo on SQLite (if empty) and serve the API on 127.0.0.1:8000
	$(BIN)/cosell serve --demo

test: $(STAMP)  ## lint, type-check and run the whole suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)  ## benchmarks: figures and ratios, not pass/fail
	$(BIN)/python bench/commands_throughput.py
	$(BIN)/python bench/policy_redaction.py
	$(BIN)/python bench/read_model_catchup.py
	$(BIN)/python bench/read_model_lag.py
	$(BIN)/python bench/audit_verify.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
