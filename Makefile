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

# Both cores, one run for the whole suite (pytest-xdist; TEST_WORKERS=1 for one process): the slow
# tests (marked slow) in groups (tests/conftest.py), the end-to-end tests with several processes
# one after another on one worker, since two at once starve each other's servers past their waits.
# xdist hands out the largest groups first; the one-process tests fill the cores around them.
# Three workers on two cores: the end-to-end group and the browser walks spend much of their time
# waiting on their servers and browser, and a third worker uses it (measured on 2 cores: 431 s with
# three, 448 s with two, 485 s in two runs, fast then slow). `make test-fast` runs the tests of one
# process only, while you work. The 20 slowest are printed at the end (setup.cfg).
TEST_WORKERS ?= 3
XDIST := $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS))

test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/pytest -q $(XDIST) $(if $(XDIST),--dist loadgroup) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/pytest -q -m "not slow" $(if $(XDIST),-n 2) $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/core.py

i18n: $(STAMP)
	$(BIN)/pybabel compile -d src/archive/locale -D archive

clean:
	rm -rf $(VENV) var/test build *.egg-info src/*.egg-info
