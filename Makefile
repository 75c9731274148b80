# Bootstrap and run the MNIST onboarding acceptance suite.
# The two commands a newcomer needs: `make onboard` and `make test`. Both bootstrap what they
# need (venv, packages, MNIST) and a second run with nothing changed reinstalls nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: onboard test bootstrap data lint bench clean help

help:
	@echo "make onboard   run the onboarding acceptance features (mock mode) and write the report"
	@echo "make test      run every test: unit, contract and features"
	@echo "make bootstrap create .venv, install the project, fetch MNIST"
	@echo "make lint      ruff, and the layering contracts (lint-imports, pyproject.toml)"
	@echo "make bench     run the benchmarks in bench/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $(STAMP)

bootstrap: $(STAMP) data

data: $(STAMP)
	$(BIN)/python -m mlmonitor_lib data fetch

onboard: bootstrap
	$(BIN)/python -m pytest features/onboarding.feature $(PYTEST_ARGS) \
		--html=reports/onboarding.html --self-contained-html \
		--cucumberjson=reports/cucumber.json
	@echo "Report: $(CURDIR)/reports/onboarding.html (cucumber JSON: reports/cucumber.json)"

test: bootstrap
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff, then the rooms' layering contracts in pyproject.toml ([tool.importlinter])
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

bench: bootstrap
	$(BIN)/python bench/train_mnist.py
	$(BIN)/python bench/serving.py
	$(BIN)/python bench/monitoring.py
	$(BIN)/python bench/resilience.py

clean:
	rm -rf reports .mlmonitor logs mlruns .pytest_cache
