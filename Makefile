# Hallway — `make run` to start the service with a demo conference, `make test` for every check.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedding model ships inside a Python package; never reach for a model hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: help install system-deps migrate demo run lint format test test-postgres test-integration bench notebooks clean

help: ## Show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) ## Create .venv and install everything (torch 2.13.0 CPU first)

system-deps: ## Install Debian's Chromium (browser tests) and wrk (load benchmark) once
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/wrk ]; then \
		echo "installing Debian's chromium and wrk for the browser tests and the load benchmark"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium wrk >/dev/null; \
	fi

migrate: install ## Apply database migrations (HALLWAY_DATABASE_URL, default ./hallway.db)
	$(BIN)/hallway migrate

demo: migrate ## Load the demo conference once
	$(BIN)/hallway demo

run: demo ## Set up, load the demo conference and serve on http://127.0.0.1:8000
	$(BIN)/hallway serve --host $(HOST) --port $(PORT) --no-migrate

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install system-deps lint ## Every check: lint, types and the whole suite on SQLite (the default)
	env -u HALLWAY_TEST_DATABASE_URL $(BIN)/pytest -q -m "not integration"

test-postgres: install system-deps ## The database-backed tests again, on HALLWAY_TEST_DATABASE_URL (PostgreSQL)
	@test -n "$$HALLWAY_TEST_DATABASE_URL" || { echo "set HALLWAY_TEST_DATABASE_URL"; exit 2; }
	$(BIN)/pytest -q -m "database and not integration"

test-integration: install ## Hallway against a real pretix on 127.0.0.1 (first run installs it: minutes)
	HALLWAY_INTEGRATION_REQUIRED=1 $(BIN)/pytest -q -m integration tests/integration

bench: install system-deps ## The full benchmarks (slow: tens of minutes)
	$(BIN)/python -m benchmarks

notebooks: install ## Run notebooks/ again and save the outputs and plots in them (make test runs copies)
	cd notebooks && MPLBACKEND=module://matplotlib_inline.backend_inline \
		$(abspath $(BIN))/jupyter execute --inplace --timeout=600 *.ipynb

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
