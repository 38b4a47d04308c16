# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_CASES ?= 2000

.PHONY: run test lint bench loadtest pg-test faults clean compiled

## Byte-code for the project's own packages, as a regular `pip install` writes it: an editable
## install leaves that to the first run, which cannot write it where PYTHONDONTWRITEBYTECODE is
## set, and each start would then compile ~40 modules again (~70 ms of the start-up figure).
compiled: $(STAMP)
	@$(BIN)/python -m compileall -q deskapp screens widgets store >/dev/null

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Open the desk on the embedded SQLite database (migrates, seeds a demo desk on first start).
run: $(STAMP) compiled
	$(BIN)/deskapp db upgrade
	$(BIN)/deskapp demo --if-empty --cases $(DEMO_CASES)
	$(BIN)/deskapp run

## The whole suite plus ruff, mypy and the layer contracts, but the fault suite (`make faults`,
## which .ci/run runs too). Four workers on two cores: most tests wait on a screen or a
## database rather than compute, so they overlap well.
TEST_WORKERS ?= 4
test: $(STAMP) lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --ignore=tests/faults

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Store and rule tests against a real PostgreSQL (DESKAPP_TEST_PG must name the server).
pg-test: $(STAMP)
	$(BIN)/pytest -q -m pg tests/store tests/deskapp

## The fault suite: kill -9 at the worst commits, an interrupted migration, a database that is
## busy, full, read-only or restarted, drafts that survive a hang-up, kill or crash. With
## DESKAPP_TEST_PG set it runs on PostgreSQL too. Its own target: several faults take tens of
## seconds (a write lock held 30 s), which `make test` keeps out of its five minutes.
faults: $(STAMP)
	$(BIN)/pytest -q -n 2 tests/faults tests/e2e/test_terminal_drafts.py

## Benchmarks (several minutes: the 1 M-case desk); htop is a reference row for idle traffic.
bench: $(STAMP) compiled
	@command -v htop >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq htop >/dev/null; } || \
		echo "htop is not installed: its reference row will read '–'"
	$(BIN)/python -m benchmarks.run

## Many desks on one database: 20 desk processes for 60 s on a fresh SQLite file, then the
## checker; LOAD_PG=postgresql://postgres@127.0.0.1:5432/postgres runs 50 on PostgreSQL (in a
## fresh database deskapp_load, dropped afterwards). Writes its section of docs/load.md.
LOAD_SECONDS ?= 60
loadtest: $(STAMP)
	$(BIN)/python -m benchmarks.load --seconds $(LOAD_SECONDS) --write docs/load.md \
		$(if $(LOAD_PG),--pg $(LOAD_PG))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
