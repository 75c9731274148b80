# Bootstrap and run the model onboarding acceptance suite.
# The two commands a newcomer needs: `make onboard` and `make test`. Both bootstrap what they
# need (venv, packages, MNIST) and a second run with nothing changed reinstalls nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# The use case `make onboard` onboards (a folder with a model_signature.json); empty: the
# features' default, use_case_mnist_tf. Its report: reports/onboarding[-<use case>].html.
USE_CASE ?=
SUFFIX  := $(if $(USE_CASE),-$(notdir $(patsubst %/,%,$(USE_CASE))))

.PHONY: onboard test bootstrap data lint bench clean help

help:
	@echo "make onboard   run the onboarding acceptance features (mock mode) and write the report"
	@echo "make test      run every test: unit, contract and features (+ the credit model's onboarding)"
	@echo "make onboard USE_CASE=use_case_gcr   the same for another use case"
	@echo "make bootstrap create .venv, install the project, fetch every use case's data"
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
	EVIDENCE_DIR=$(CURDIR)/reports/evidence \
		$(BIN)/python -m pytest features/onboarding.feature $(if $(USE_CASE),--use-case $(USE_CASE)) \
		$(PYTEST_ARGS) --html=reports/onboarding$(SUFFIX).html --self-contained-html \
		--cucumberjson=reports/cucumber$(SUFFIX).json
	@echo "Report: $(CURDIR)/reports/onboarding$(SUFFIX).html (cucumber JSON: reports/cucumber$(SUFFIX).json)"

# Every test for the default use case, then the credit-risk use case's whole onboarding and its
# fairness scenarios (it trains in seconds), so both shipped use cases are proven end to end.
test: bootstrap
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m pytest features/onboarding.feature features/fairness.feature \
		--use-case use_case_gcr $(PYTEST_ARGS)

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
