# Two commands on a fresh machine with Python 3.11:
#   make book   build the HTML book (creates .venv from requirements.txt when missing)
#   make test   run every test: unit tests, nbval over every chapter, the -W book build
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
BROWSER_DEPS := tests/browser/node_modules/.installed
# Threads pinned so that numerical results are identical run to run.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONHASHSEED := 0

.PHONY: book test execute data pdf clean venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book built: $(CURDIR)/_build/html/index.html"

test: venv $(BROWSER_DEPS)
	$(BIN)/python -m pytest

# Browser-test tools (playwright-core, axe-core) as tests/browser/package-lock.json pins them.
# Without npm the browser tests skip (tests/test_browser.py says what to install).
$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the browser tests will skip (install Node.js 20 or newer)"; fi

# Re-execute every chapter notebook in place (outputs are committed and checked by nbval).
execute: venv
	$(BIN)/python -m coachbook.notebooks execute

# Regenerate the bundled synthetic data (byte for byte identical to the committed files).
data: venv
	$(BIN)/python -m coachbook.synth

pdf: venv
	$(BIN)/jupyter-book build . --builder pdflatex
	@ls -1 $(CURDIR)/_build/latex/*.pdf

clean:
	rm -rf _build
