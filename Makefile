# Two commands do everything on a fresh Debian 12 machine: `make run` (the suite + Allure report) and `make test`.
# Set-up happens on first use and is skipped (in well under 5 s) when nothing is missing.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
REPORTS := reports
SOAK_ROUNDS ?= 10
SOAK_WORKERS ?= 2
# pytest-xdist workers for `make test` (each with its own stack and browser); WORKERS=0 runs in this process.
WORKERS ?= 2

.PHONY: durations lock setup system run test checks lint typecheck unit suite report up notebook doctor trace bench soak clean mutants

setup: system $(VENV)/.installed node_modules/.installed
	@scripts/link-playwright-ffmpeg.sh $(VENV)

system:
	@scripts/ensure-system-packages.sh

# Exactly the locked versions, each checked against its hash (requirements.lock, from `make lock`); then the project
# itself, which adds nothing the lock does not hold. uv installs them (the lock's own version of it, brought by pip):
# from its cache a new clone's venv takes seconds, where pip takes a minute.
UV_LOCKED = $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements.lock)
$(VENV)/.installed: pyproject.toml requirements.lock scripts/link-virtualsmartcard.sh
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps uv==$(UV_LOCKED)
	$(VENV)/bin/uv pip install --quiet --python $(PY) --require-hashes --no-deps -r requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	$(VENV)/bin/uv pip check --quiet --python $(PY)
	scripts/link-virtualsmartcard.sh $(VENV)
	$(PY) -m ipykernel install --sys-prefix --name tpcd --display-name "tpcd-harness (.venv)" > /dev/null
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## The main job: every Gherkin scenario against the embedded twin, then the Allure HTML report.
run: setup
	@scripts/tree-unchanged.sh $(VENV)/bin/tpcd run

## The project's own checks: lint, types, unit/integration tests (every notebook in notebooks/ among them), the
## Gherkin suite, then its step matrix.
## Nothing tracked may change meanwhile (scripts/tree-unchanged.sh).
test: setup
	@scripts/tree-unchanged.sh $(MAKE) --no-print-directory checks

# tests/ and then the Gherkin suite, each a pytest-xdist run of its own: tests/ report through allure-pytest, the suite
# through allure-pytest-bdd, and the two plugins cannot share a run (allure-pytest-bdd has no test case for a test
# that is not a scenario, so a fixture attaching evidence there fails: docs/environment.md#reports).
checks: lint typecheck unit suite
	$(VENV)/bin/tpcd trace --results $(REPORTS)/tests/suite-results > /dev/null

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

# mypy's cache beside uv's, outside the clone: it checks each file's hash, so a new clone re-checks only what differs.
MYPY_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tpcd-harness/mypy
typecheck: setup
	$(VENV)/bin/mypy --cache-dir "$(MYPY_CACHE)" .

unit: setup
	$(PY) -m pytest tests -n $(WORKERS) --dist worksteal -p no:allure_pytest_bdd -p allure_pytest \
		--alluredir $(REPORTS)/tests/allure-results --clean-alluredir

suite: setup
	$(PY) -m pytest steps -n $(WORKERS) --dist worksteal --alluredir $(REPORTS)/tests/suite-results --clean-alluredir \
		--tracing=retain-on-failure --output $(REPORTS)/tests/playwright

report: setup
	$(VENV)/bin/tpcd report

up: setup
	$(VENV)/bin/tpcd up

## JupyterLab on the project's kernel (offline), the notebooks in notebooks/; prints the URL to open.
notebook: setup
	$(VENV)/bin/tpcd notebook

doctor: setup
	$(VENV)/bin/tpcd doctor

trace: setup
	$(VENV)/bin/tpcd trace

## The lock: every dependency of pyproject.toml (dev extra included) at one version, with hashes, for every platform.
## `make lock` keeps the locked versions that still fit; `make lock UPGRADE=1` takes the newest that fit.
lock:
	@test -x $(VENV)/bin/uv || { $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install --quiet --disable-pip-version-check uv; }
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 \
		--no-header --quiet $(if $(UPGRADE),--upgrade) -o requirements.lock

## After a whole `make test`: keep its tests' durations in tests/durations.json, which orders a fresh clone's first run.
durations: setup
	$(PY) -c 'from pathlib import Path; from harness.plugin.balance import keep_durations; print(keep_durations(Path.cwd()))'

## Mutation testing of the twin (docs/mutation.md): the suite against every mutant, the report in reports/mutation/;
## MUTATE_ARGS="--since origin/main" for the mutants of what changed, "--jobs 1" on a busy machine.
mutants: setup
	$(VENV)/bin/tpcd mutate $(MUTATE_ARGS)

clean:
	rm -rf $(REPORTS)/allure-results $(REPORTS)/allure-report $(REPORTS)/playwright $(REPORTS)/tests $(REPORTS)/mutation

## Benchmarks print figures; they assert nothing (bench/README.md).
bench: setup
	$(PY) -m bench.stack_start
	$(PY) -m bench.mail_throughput
	$(PY) -m bench.card_sign
	$(PY) -m bench.agent_sign
	$(PY) -m bench.journey
	$(PY) -m bench.suite_parallel

## The whole Gherkin suite SOAK_ROUNDS times (SOAK_WORKERS workers): flaky and broken scenarios, each round's time.
soak: setup
	$(PY) -m bench.soak --rounds $(SOAK_ROUNDS) -n $(SOAK_WORKERS)
