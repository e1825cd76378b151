# ocrmill: `make run` installs what is missing and serves; `make test` installs and runs the suite.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint install system test-tools bench lock

run: install
	$(VENV)/bin/ocrmill serve $(ARGS)

# The suite runs in TEST_WORKERS processes (pytest-xdist; "auto": one a core, at most 4), each test file in one of
# them (module-scoped servers stay whole), each process with its own PostgreSQL and SeaweedFS; TEST_WORKERS=0 runs
# it in this process. On the 2-core machine: 19 min against 28 in one process (3251 tests).
TEST_WORKERS ?= auto

test: install test-tools lint
	$(PY) -m pytest -m "not slow" -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

test-slow: install test-tools
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

install: system $(STAMP)

# More recognition languages: `make run LANGS="chi_sim jpn ara"` (Tesseract codes) or `make run LANGS=all`; or
# OCRMILL_LANGS in the environment. They stay installed: later runs need not name them again.
LANGS ?= $(OCRMILL_LANGS)

system:
	@OCRMILL_LANGS="$(LANGS)" bash scripts/install-system.sh

test-tools:
	@OCRMILL_LANGS="$(LANGS)" bash scripts/install-system.sh --tests

# The exact versions (and hashes) of requirements-test.lock, which the container image's requirements.lock is a part
# of, so that what was tested is what runs; then the package itself, without resolving anything again.
$(STAMP): pyproject.toml requirements.lock requirements-test.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements-test.lock
	$(PY) scripts/check-lock.py
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

# Regenerates the lock files from pyproject.toml's ranges with pip-tools (in a venv of its own), keeping the pins
# that still fit; `make lock LOCK_ARGS=--upgrade` (or `--upgrade-package NAME`) moves them. Hashes are PyPI's:
# the machine's own pip configuration (find-links, extra indexes) is left out.
LOCK_VENV := build/lock-venv
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" \
	$(LOCK_VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links $(LOCK_ARGS)

lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || (python3 -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install -q pip-tools)
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements.lock -o requirements-test.lock pyproject.toml
