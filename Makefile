# ocrmill: `make run` installs what is missing and serves; `make test` installs and runs the suite.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint install system test-tools bench

run: install
	$(VENV)/bin/ocrmill serve $(ARGS)

test: install test-tools lint
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: install test-tools
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

install: system $(STAMP)

system:
	@bash scripts/install-system.sh

test-tools:
	@bash scripts/install-system.sh --tests

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)
