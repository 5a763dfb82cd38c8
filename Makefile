# sarcoma-kg build graph. `make help` lists the targets; `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CLI := $(BIN)/sarcoma-kg
DIST := dist
STAMP := $(VENV)/.installed
WEB := web
YASGUI := $(WEB)/node_modules/@zazuko/yasgui/build/yasgui.min.js
BENCH_SIZES ?= 1000,10000,50000
BENCH_SCALE ?= 200000
# Debian packages the tests and benchmarks use: the OWL API (Protégé's parser), Jena (SHACL peer), Chromium,
# Virtuoso 7 (the store-parity tests start their own server; the package's system service is not used),
# Graphviz (the term pictures of 'serve' and 'show').
SYSTEM_PACKAGES := libowlapi-java libapache-jena-java chromium chromium-driver virtuoso-opensource graphviz
APT := apt-get -o DPkg::Lock::Timeout=600

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

install: $(STAMP) $(YASGUI) java-check ## Create .venv/, install the package (editable, test extras) and the query page's YASGUI

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed (found $$($(PYTHON) --version))"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(YASGUI): $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: the query page of 'sarcoma-kg serve' needs it once to install YASGUI (apt-get install -y npm)"; exit 3; }
	npm ci --prefix $(WEB) --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

java-check: ## Check that Java (for the HermiT reasoner) is installed
	@command -v java >/dev/null 2>&1 || [ -x "$${JAVA_HOME:-/nonexistent}/bin/java" ] || { \
	  echo "Java is missing: HermiT needs it. Install a runtime, e.g. 'sudo apt-get install -y default-jre-headless', then rerun."; exit 3; }

system-deps: ## Install the Debian packages the tests use (OWL API, Jena, Chromium, Virtuoso, Graphviz) when missing
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages: $$missing; run: sudo apt-get install -y $$missing"; exit 3; fi; fi

run: install ## Build, reason, validate, QC, stage the example cases, answer every stored query, write dist/
	$(CLI) build --out $(DIST)
	$(CLI) validate
	$(CLI) qc
	$(CLI) cases import examples/cases.csv -o $(DIST)/example-cases.ttl
	$(CLI) validate $(DIST)/example-cases.ttl
	$(CLI) query case-stages --data $(DIST)/example-cases.ttl --build-dir $(DIST)
	$(CLI) queries --run --max-rows 5 --build-dir $(DIST)
	$(CLI) export --format kgx -o $(DIST)/kgx --build-dir $(DIST)
	$(CLI) release --out $(DIST)/releases --build-dir $(DIST) --force  # a scratch copy: make release is the strict one

test: install system-deps ## Run the test suite
	$(BIN)/python -m pytest

lint: install ## ruff check and format check
	$(BIN)/ruff check src tests tools bench
	$(BIN)/ruff format --check src tests tools bench

bench: install system-deps ## Benchmark the targets (1k/10k/50k cases, 200k on Oxigraph and Virtuoso servers; under 15 min on 2 cores): bench/results/latest.{md,json}
	$(BIN)/python bench/run.py --sizes $(BENCH_SIZES) --scale $(BENCH_SCALE) --out bench/results --work bench/work

bench-shacl: install system-deps ## Only the SHACL rows of the benchmark (ours, Jena, pyshacl): bench/results/shacl/latest.{md,json}
	$(BIN)/python bench/run.py --only shacl --sizes $(BENCH_SIZES) --out bench/results/shacl --work bench/work

release: install ## Dated release in dist/releases/<version>/ (PREVIOUS=old/sarcoma-kg-full.ttl adds diff.md/.tsv)
	$(CLI) build --out $(DIST)
	$(CLI) release --out $(DIST)/releases --build-dir $(DIST) $(if $(PREVIOUS),--previous $(PREVIOUS))

imports: install ## Regenerate the import modules (ontology/imports/ncit-import.ttl from tools/ncit/)
	$(BIN)/python tools/ncit/ncit_import.py

clean: ## Remove build products (keeps .venv)
	rm -rf $(DIST) bench/work .pytest_cache

.PHONY: help install java-check system-deps run test lint bench bench-shacl release imports clean
