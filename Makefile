# Two commands do all set-up on a fresh machine with only Python 3.11:
#   make run    materialize every asset for every month on the embedded default data
#   make test   lint and run the whole test suite on 2 workers (CI's command: .ci/run)
# and, while working:
#   make check  lint and the fast tier (every test not marked slow, on 2 workers): 109 s on this quiet 2-core machine
# Both bootstrap .venv from constraints.txt (exact pins) on first use.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The operator's instance (run history, the UI's state) is the checkout's dagster_home/, for the
# targets that work on it. The tests never see it: each pytest session makes its own temporary
# DAGSTER_HOME, warehouse and data folder (rfm_assets_tests/conftest.py) and fails if the session
# changed dagster_home/ or data/.
run dev plots: export DAGSTER_HOME ?= $(CURDIR)/dagster_home

.PHONY: venv run test check fast static lint format format-check sqllint typecheck dev clean test-browser plots

# The static checks `make check` and `make test` (so CI) run: ruff lint and format, the SQL lint, and
# pyright (basic mode, [tool.pyright] in pyproject.toml), all passing on the tree (see each target).
STATIC := lint format-check sqllint typecheck

# The fast tier: every test not marked slow (unit, asset, definitions), on 2 pytest-xdist workers; both
# tiers end with their slowest tests (--durations), the place to look when a tier gets slower.
# --dist loadgroup (below) keeps each module with an xdist_group mark on one worker, so its module-scoped
# warehouse (drift checks: 12 months; BI views: 3) is built once, not once per worker.
FAST_ARGS := -m "not slow" -n 2 --dist loadgroup --durations=15
# The whole suite, on 2 workers too. --dist loadgroup keeps the tests that share the e2e one-year run
# (fixture first_run, grouped in rfm_assets_tests/e2e/conftest.py) on one worker, so it is built once.
# Every test writes only under its own temporary folders and picks free ports, so workers never meet.
TEST_ARGS := -n 2 --dist loadgroup --durations=25

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rfm-assets run $(ARGS)

static: $(STATIC)

lint: $(STAMP)
	$(BIN)/ruff check .

# Rewrites every Python file in ruff's format (pyproject [tool.ruff.format]); format-check only reports.
format: $(STAMP)
	$(BIN)/ruff format .

format-check: $(STAMP)
	$(BIN)/ruff format --check .

# SQL lint, DuckDB dialect (.sqlfluff, .sqlfluffignore). `sqlfluff fix` is not run by any target.
# One process: --processes 2 saved 0.3 s of 3.9 and left a leaked-semaphore warning in the log.
sqllint: $(STAMP)
	$(BIN)/sqlfluff lint sql dbt_like_views

# pyright in basic mode (pyproject [tool.pyright]).
typecheck: $(STAMP)
	$(BIN)/pyright

# pytest exits 5 when it collects no test (with or without workers): make treats that as failure.
check: $(STAMP) static fast

# The fast tier's tests only (the pre-commit hook runs it after `make static`).
fast: $(STAMP)
	$(BIN)/python -m pytest $(FAST_ARGS) $(PYTEST_ARGS)

test: $(STAMP) static
	$(BIN)/python -m pytest $(TEST_ARGS) $(PYTEST_ARGS)

dev: $(STAMP)
	$(BIN)/dagster dev -w workspace.yaml

# The UI in headless Chromium only (Debian's chromium; .ci/run installs it). Screenshots go to
# $UI_SCREENSHOTS_DIR when set.
test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

# The PNG plots of the latest materializations recorded in $(DAGSTER_HOME), as files in data/plots.
plots: $(STAMP)
	$(BIN)/python -m rfm_assets_tests.browser.render_plots --out data/plots $(ARGS)

clean:
	rm -rf $(VENV) data/ .pytest_cache
