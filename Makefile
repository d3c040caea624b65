# Quick start:  make build   (set up, build every sample leaflet into dist/)
#               make test    (set up, run the tests)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup build test catalogs bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh
	@bash scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# The distribution was once called "leaflet", the name of an unrelated PyPI package.
	@$(BIN)/python -m pip uninstall --quiet --yes leaflet 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

build: setup
	$(BIN)/leaflet build

test: setup
	$(BIN)/python -m pytest

# Re-extract template text into locales/leaflet.pot and merge it into every .po file.
catalogs: setup
	$(BIN)/python -m leaflet.catalogs update

# The benchmark: about 25 minutes on two cores; its figures go to bench/results/.
bench: setup
	@bash scripts/system-deps.sh --bench
	$(BIN)/python bench/bench.py --record bench/results/latest.md

clean:
	rm -rf dist .pytest_cache
