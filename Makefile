# The README's two commands are `make demo` and `make test`. Each sets everything up
# (virtualenv, pinned install, browser for the tests) and then does its job.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck unit fuzz browser-deps postgres clean bench-deps mutants

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Amanat needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: set up, initialise, load synthetic demo data, serve https://127.0.0.1:8443;
## a local mail sink (amanat dev mail, free loopback ports) receives and shows the mail sent.
## AMANAT_SMTP_URL set in the environment wins over the sink.
demo: $(STAMP)
	@smtp=$$($(BIN)/python -c 'from amanat.comms.sink import free_port; print(free_port())'); \
	$(BIN)/amanat dev mail --port $$smtp --page-port 0 & sink=$$!; \
	trap 'kill $$sink 2>/dev/null' EXIT INT TERM; \
	AMANAT_SMTP_URL=$${AMANAT_SMTP_URL:-smtp://127.0.0.1:$$smtp} $(BIN)/amanat demo

## make test: set up, then lint, type-check, run every test (SQLite and PostgreSQL) and fuzz the API
test: $(STAMP) browser-deps postgres
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider -n auto
	$(BIN)/python scripts/fuzz_api.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/architecture

fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz_api.py

## make bench-deps: the on-demand tools (locust, pyinstrument, py-spy, mutmut, Presidio), pinned
bench-deps: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'

## make mutants [MUTATE=src/amanat/vault/normalise.py]: mutation testing of the privacy core,
## on demand, never in CI (CPU-heavy: give it one module at a time on a shared machine).
## Survivors and what was run are in docs/testing.md.
MUTATE ?= src/amanat/access/ src/amanat/vault/ src/amanat/audit/ src/amanat/support/redaction.py src/amanat/customers/validation.py src/amanat/accounts/throttle.py
mutants: bench-deps
	$(BIN)/python scripts/mutants.py $(MUTATE)

# Browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium) for the browser tests."; exit 2; fi; }

# With CI=true the PostgreSQL half of the suite must run: start the local server if it is
# installed but stopped. Without CI, tests skip PostgreSQL when it is not reachable.
postgres:
	@bash scripts/ensure-postgres.sh

clean:
	rm -rf $(VENV) amanat-data .pytest_cache .mypy_cache .ruff_cache
