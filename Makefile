# The two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast bench i18n clean

$(STAMP): setup.cfg pyproject.toml
	@# SoftHSM2: the real PKCS#11 token the key store tests initialise (Debian package softhsm2).
	@command -v softhsm2-util >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq softhsm2) \
	  || { echo 'softhsm2 could not be installed (needs root and apt-get): the PKCS#11 tests will be skipped' >&2; test -z "$$CI"; }
	@# Chromium: the real browser the browser tests (tests/browser, Playwright) drive (Debian package chromium).
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) \
	  || { echo 'chromium could not be installed (needs root and apt-get): the browser tests will be skipped' >&2; test -z "$$CI"; }
	@# Tesseract with its Vietnamese model: OCR of scanned documents for search (tesseract-ocr, tesseract-ocr-vie).
	@command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx vie \
	  || (apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-vie) \
	  || { echo 'tesseract-ocr-vie could not be installed (needs root and apt-get): the OCR test will be skipped' >&2; test -z "$$CI"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[testing]'
	@# eark-validator pins lxml==5.1.0 (pyhanko needs >= 5.4); it runs on ours: see setup.cfg
	$(BIN)/python -m pip install --quiet --no-deps 'eark-validator >= 1.1.3, < 1.2'
	touch $@

run: $(STAMP)
	$(BIN)/archive-init development.ini
	$(BIN)/pserve development.ini

# Both cores (pytest-xdist, TEST_WORKERS=1 for one process), one run for the whole suite: the slow
# tests (marked slow) in groups (tests/conftest.py), the end-to-end tests with several processes
# one after another on one worker, since two at once starve each other's servers past their waits;
# the largest groups start first (xdist's loadgroup), the one-process tests fill both cores around
# them. `make test-fast` runs the tests of one process only, while you work.
# The 20 slowest are printed at the end (setup.cfg).
TEST_WORKERS ?= 2
XDIST := $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS))

test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/pytest -q $(XDIST) $(if $(XDIST),--dist loadgroup) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/pytest -q -m "not slow" $(XDIST) $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/core.py

i18n: $(STAMP)
	$(BIN)/pybabel compile -d src/archive/locale -D archive

clean:
	rm -rf $(VENV) var/test build *.egg-info src/*.egg-info
