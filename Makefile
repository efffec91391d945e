# Accountability Lab: set-up, main job and tests.
#   make run    builds .venv on first use, then serves the dashboard on http://localhost:8765
#   make deck   the Story as slides (one PNG per act) and a one-page handout, in out/deck
#   make test   builds .venv on first use, then runs the whole test suite
#   make test-fast   the inner loop: every test except the slow pattern tests and the browser tests
#   make run HOST=0.0.0.0   serves a room on the local network (learners use http://THIS-IP:8765)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT := out
# ':=' and not '?=': only the make command line can change the address. Shells and users export
# HOST for other reasons, and an exported HOST=0.0.0.0 must not serve the dashboard to the network.
HOST := localhost
PORT ?= 8765
# No outside requests: Solara's JavaScript comes from solara-assets, telemetry is off.
export SOLARA_TELEMETRY_MIXPANEL_ENABLE := False

.PHONY: run compare deck test test-fast lint format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
	  echo "Accountability Lab needs Python 3.12 or newer, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install Python 3.12 (python.org, or 'pyenv install 3.12') and run again, or: make PYTHON=python3.12 ..."; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/solara run dashboards/app.py --host $(HOST) --port $(PORT) --production --no-open --no-check-version

compare: $(STAMP)
	$(BIN)/python -m sim compare --seed 1 --out $(OUT)/compare.png

deck: $(STAMP)
	$(BIN)/python -m dashboards.deck --out $(OUT)/deck

test: $(STAMP)
	$(BIN)/python -m pytest -n auto

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy sim

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .hypothesis
