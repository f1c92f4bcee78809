# Two commands do all set-up: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo

.PHONY: demo test lint bench install clean browser-deps asan fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt src/detainerwatch/sources/_xlsxscan.c
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Our modules precompiled into __pycache__ on every install: this environment sets
# PYTHONDONTWRITEBYTECODE, so nothing else writes them and each command would compile every module
# it imports (about 0.15 s CPU for a report). Python still reads them (and ignores one whose source
# changed); compileall rewrites only what changed. The Jinja templates likewise
# (publish/filecache.py: templates_compiled/, checked against each template's source before use),
# and the usual maps' projected shapes (publish/charts.py: precompiled/maps/, named by a digest of
# the drawing code and shapes file they were made by; about 5 s CPU when those changed) and the
# bundled policy records as read (publish/audit.py: precompiled/policies/) and the hand YAML files
# as JSON (handfiles.py: hand_compiled/, named by a digest of each file's bytes).
install: $(STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m detainerwatch.publish.filecache >/dev/null


demo: install
	mkdir -p $(DEMO_DIR)
	rm -f $(DEMO_DIR)/detainerwatch.duckdb $(DEMO_DIR)/detainerwatch.duckdb.wal
	$(BIN)/detainerwatch --db $(DEMO_DIR)/detainerwatch.duckdb ingest \
		data/raw/eads-geocode-pa-detainers/pa_detainers.csv \
		data/raw/uwchr-ice-facilities/ICE_Facility_List_11-06-2017-web.xlsx \
		"data/raw/uwchr-ice-facilities/Confidential ICE ERO Facility List 07-10-2017.xlsx" \
		data/raw/uwchr-ice-facilities/2019-ICFO-31121.xlsx
	$(BIN)/detainerwatch --db $(DEMO_DIR)/detainerwatch.duckdb query \
		"SELECT release, count(*) AS detainers, min(prepare_date) AS first, max(prepare_date) AS last FROM detainers GROUP BY release"

# Browser tests drive Debian's chromium headless; install it when missing (root, apt).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null 2>&1 \
	  || echo "chromium could not be installed: the browser tests will fail (DETAINERWATCH_SKIP_BROWSER=1 skips them)"; }

# Lint, format and types first: any finding fails `make test` before pytest starts. mypy is
# strict on sources, store, link, derive and publish, lenient elsewhere (pyproject.toml); its
# cache (.mypy_cache) keeps a second run to a few seconds.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest exits 5 when it collected nothing; that must not pass as green.
test: install lint browser-deps
	$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

# The damaged-workbook corpus read by the scanner built with -fsanitize=address,undefined, the
# runtime preloaded (make test runs the same through pytest; skipped without the runtime).
asan: $(STAMP)
	$(BIN)/python scripts/damage.py asan build/asan

# A longer campaign: 1,000 seeded mutations of real and generated workbooks and text files,
# each ingested by the command into a copy of a store; prints the table of outcomes.
FUZZ_COUNT ?= 1000
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py --count $(FUZZ_COUNT) --seed 10 --out build/fuzz $(FUZZ_FLAGS)

bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache build/asan build/fuzz
