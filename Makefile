# Two commands for everything: `make book` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL_TIMEOUT ?= 300

.PHONY: help venv lock test-seeds book test unit nbtest lint bench lab test-browser exercises-index clean nb \
	pdf student

help:
	@echo "make book          build the HTML book from clean (executes every notebook)"
	@echo "make test          lint + unit tests + nbval over every notebook in chapters/"
	@echo "make bench         run the benchmarks in benchmarks/ and print their tables"
	@echo "make lab           open the notebooks in JupyterLab"
	@echo "make test-browser  open every built page in headless Chromium (after make book)"
	@echo "make exercises-index  regenerate exercises.md from the chapters in _toc.yml"
	@echo "make nb NB=chapters/xx.ipynb   run nbval on one notebook"
	@echo "make test-seeds    nbval over every notebook for BOOK_SEED in SEEDS (default: 1 2 3)"
	@echo "make lock          regenerate requirements.lock from the ranges in pyproject.toml"
	@echo "make pdf           the whole book as one PDF (LaTeX; installs TeX Live if missing)"
	@echo "make student       the student edition: notebooks without solutions in _build/student/"

LOCK   := requirements.lock
UV_VERSION := $(shell awk -F'==' '/^uv==/{print $$2}' $(LOCK))
UV     := $(BIN)/uv
EXTRAS := --extra book --extra test --extra browser --extra cluster

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

# The venv is exactly the lock (uv pip sync removes anything else), plus the library in
# editable mode. pyproject.toml holds the ranges; `make lock` turns them into the lock.
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	@start=$$(date +%s); \
	$(UV) pip sync --quiet --python $(BIN)/python $(LOCK); \
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .; \
	echo "installed the lock into $(VENV) in $$(( $$(date +%s) - start )) s"
	@touch $(STAMP)

# Regenerate the lock from pyproject.toml (after changing a range there); commit both.
# Pins that still satisfy pyproject.toml are kept; `make lock UPGRADE=--upgrade` moves every
# package to its newest allowed version.
UPGRADE ?=
lock: | $(BIN)/python
	$(UV) pip compile --quiet pyproject.toml $(EXTRAS) --universal --python-version 3.11 \
		$(UPGRADE) -o $(LOCK)
	@echo "wrote $(LOCK); run make venv (or make test) to install it"

venv: $(STAMP)

book: $(STAMP)
	@rm -rf _build
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . -n -W --keep-going --path-output . ; \
	echo "book built from clean in $$(( $$(date +%s) - start )) s"; \
	echo "open $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check lib tests benchmarks

# Test files (and notebooks) run JOBS at a time (pytest-xdist); --dist loadfile keeps all the
# cells of a notebook on one worker, in order.
JOBS ?= 2
PARALLEL := -n $(JOBS) --dist loadfile

test: lint $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PARALLEL) --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=$(NBVAL_TIMEOUT) --durations=5 tests chapters

# The notebooks again under other root seeds (BOOK_SEED, read by implicit_bias.book): every
# hidden assert must hold for any seed. Override the list with SEEDS="4 5 6".
SEEDS ?= 1 2 3
test-seeds: $(STAMP)
	@for s in $(SEEDS); do \
		echo "== BOOK_SEED=$$s"; \
		BOOK_SEED=$$s $(BIN)/python -m pytest -q -p no:cacheprovider $(PARALLEL) --nbval-lax \
			--nbval-current-env --nbval-cell-timeout=$(NBVAL_TIMEOUT) chapters || exit 1; \
	done

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests

nb: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env $(NB)

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

# Opens every page of _build/html (from `make book`) in headless Chromium; see tests/browser/.
# Installs Debian's chromium + chromium-driver if missing, and fails (never skips) without them.
test-browser: $(STAMP)
	@bash tests/browser/install_browser.sh
	@$(BIN)/python -c "import selenium" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet -e '.[book,test,browser]'
	$(BIN)/python tests/browser/check_pages.py _build/html --screenshots _build/screenshots

# The whole book as one PDF through LaTeX (xelatex), checked with poppler (tests/check_pdf.py).
# Installs Debian's TeX Live, latexmk and poppler-utils if missing (tools/install_latex.sh).
# Notebooks are executed unless _build/.jupyter_cache already holds them (after `make book`).
# If the HTML book exists (_build/html), the PDF is copied into it and the pages are rewritten
# (nothing is executed again) so that every page's download menu offers "Book (PDF)".
PDF_NAME := implicit-l1-bias-book.pdf
pdf: $(STAMP)
	@bash tools/install_latex.sh
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . --builder pdflatex -n -W --keep-going --path-output . ; \
	cp _build/latex/book.pdf _build/$(PDF_NAME); \
	if [ -f _build/html/index.html ]; then \
		cp _build/$(PDF_NAME) _build/html/_static/$(PDF_NAME); \
		$(BIN)/jupyter-book build . -n -W --keep-going --path-output . ; \
	fi; \
	$(BIN)/python tests/check_pdf.py _build/$(PDF_NAME); \
	echo "make pdf: $(CURDIR)/_build/$(PDF_NAME) in $$(( $$(date +%s) - start )) s"

# The student edition: every chapter without its solutions, stubs visible, outputs stripped
# (tools/student_edition.py; tests/test_student.py checks it).
student: $(STAMP)
	@rm -rf _build/student
	$(BIN)/python tools/student_edition.py chapters/*.ipynb -o _build/student

# exercises.md collects every chapter's exercises; tests/test_docs.py fails when it is stale.
exercises-index: $(STAMP)
	$(BIN)/python tests/test_docs.py --write

clean:
	rm -rf _build .pytest_cache
