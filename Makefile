# The two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast bench i18n clean

# The system packages the tests use, installed in one apt-get run (one index update) when missing:
# softhsm2 (the real PKCS#11 token the key store tests initialise), chromium (the real browser the
# browser tests drive with Playwright), tesseract-ocr with its Vietnamese model (OCR of scanned
# documents for search). Without root and apt-get, the tests that need one are skipped (not in CI).
APT_MISSING = $(strip \
  $(if $(shell command -v softhsm2-util),,softhsm2) \
  $(if $(shell command -v chromium),,chromium) \
  $(if $(shell tesseract --list-langs 2>/dev/null | grep -x vie),,tesseract-ocr tesseract-ocr-vie))

# The Python packages go in with uv (from PyPI, like pip, and the same versions): it downloads and
# installs in parallel, where pip fetches one package after another (measured from a cold cache:
# 49 s against 5 min 10 s for pip). Compiled to bytecode as pip does (uv does not by default): else
# every process of the suite's start compiles the same modules at once.
$(STAMP): setup.cfg pyproject.toml
	@test -z "$(APT_MISSING)" || (apt-get update -qq && apt-get install -y -qq $(APT_MISSING)) \
	  || { echo 'could not install $(APT_MISSING) (needs root and apt-get): the tests that need them will be skipped' >&2; test -z "$$CI"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv >= 0.5, < 1'
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[testing]'
	@# eark-validator pins lxml==5.1.0 (pyhanko needs >= 5.4); it runs on ours: see setup.cfg
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps 'eark-validator >= 1.1.3, < 1.2'
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
