# Two commands on a fresh machine with Python 3.11:
#   make book   build the HTML book (creates .venv from requirements.txt when missing)
#   make student  the same book without solutions, in _build/student/html
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

.PHONY: book student test test-kernels execute status data pdf clean venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book built: $(CURDIR)/_build/html/index.html"

# The student edition: the same book without the solutions to its exercises (sphinx-exercise's
# hide_solutions, which coachbook.book.student_edition extends to gated solutions), in
# $(STUDENT_OUTPUT)/html beside the full book; its configuration is _config.yml plus that setting.
STUDENT_OUTPUT ?= _build/student
STUDENT_WORK := $(STUDENT_OUTPUT)/work

student: venv
	$(BIN)/python -m coachbook.book.student_edition _config.yml $(STUDENT_WORK)/_config.yml
	$(BIN)/jupyter-book build . --config $(STUDENT_WORK)/_config.yml --path-output $(STUDENT_WORK) -W -n --keep-going
	rm -rf $(STUDENT_OUTPUT)/html && cp -r $(STUDENT_WORK)/_build/html $(STUDENT_OUTPUT)/html
	@echo "Student edition built: $(abspath $(STUDENT_OUTPUT))/html/index.html"

test: venv $(BROWSER_DEPS)
	$(BIN)/python -m pytest

# Every chapter re-executed under two other OpenBLAS kernels and 1 or 2 threads, compared
# with the stored outputs (tests/stability/kernels.py). .ci/run runs it after `make test`.
test-kernels: venv
	$(BIN)/python tests/stability/kernels.py

# Browser-test tools (playwright-core, axe-core) as tests/browser/package-lock.json pins them.
# Without npm the browser tests skip (tests/test_browser.py says what to install).
$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the browser tests will skip (install Node.js 20 or newer)"; fi

# Re-execute every chapter notebook in place (outputs are committed and checked by nbval).
execute: venv
	$(BIN)/python -m coachbook.book.notebooks execute

# Re-execute every notebook and record timings and versions for the status page
# (chapters/appendices/_status.csv, _versions.csv): timings change on every run.
status: venv
	$(BIN)/python -m coachbook.book.notebooks execute --record-status

# Regenerate the bundled synthetic data (byte for byte identical to the committed files).
data: venv
	$(BIN)/python -m coachbook.synth

# Build the whole book as a PDF: $(PDF_OUTPUT)/_build/latex/coaching-math-teachers.pdf.
# Needs TeX (README.md, "The PDF" lists the Debian packages). jupyter-book's LaTeX class
# loads bbm.sty, which Debian ships only in the 1.4 GB texlive-fonts-extra; the book uses
# none of its symbols, so a stand-in written under _build/texinputs goes on TEXINPUTS.
PDF_OUTPUT ?= $(CURDIR)
TEXINPUTS_DIR := $(CURDIR)/_build/texinputs

pdf: venv $(TEXINPUTS_DIR)/bbm.sty
	@command -v latexmk >/dev/null && command -v xelatex >/dev/null || \
	  { echo "make pdf needs latexmk and xelatex: see README.md, section \"The PDF\""; exit 1; }
	TEXINPUTS="$(TEXINPUTS_DIR)//:$$TEXINPUTS" $(BIN)/jupyter-book build . --builder pdflatex \
	  -W -n --keep-going --path-output "$(PDF_OUTPUT)"
	@ls -1 "$(PDF_OUTPUT)"/_build/latex/*.pdf

$(TEXINPUTS_DIR)/bbm.sty:
	@mkdir -p $(@D)
	@printf '%s\n' '% Stand-in for bbm.sty (Debian: texlive-fonts-extra), written by `make pdf`.' \
	  '\ProvidesPackage{bbm}[2026/01/01 stand-in: mathbbm as mathbb from amssymb]' \
	  '\RequirePackage{amssymb}' '\providecommand{\mathbbm}[1]{\mathbb{#1}}' > $@

clean:
	rm -rf _build
