# Fieldbook: two commands do all set-up on a fresh Debian machine.
#   make run   - venv, install, migrate, seed demo data if empty, serve on 127.0.0.1:5000
#   make serve - the same, served by gunicorn (deploy/gunicorn.conf.py) on 127.0.0.1:8000;
#                DEMO=0 skips the demo data (docs/operations.md, "Production server")
#   make test  - venv, install (with Debian's chromium, fonts-noto-cjk, poppler-utils), run the suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_PACKAGES := chromium fonts-noto-cjk poppler-utils
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs in parallel (pytest-xdist), one worker per core unless told otherwise.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

# make serve: gunicorn's bind (GUNICORN_BIND in the environment also works), demo data or not
SERVE_BIND ?= 127.0.0.1:8000
DEMO ?= 1

.PHONY: run serve database test lint format bench fuzz install system-deps translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d server/translations

system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Migrate, and (unless DEMO=0) seed the demo data into an empty database.
database: install
	$(FLASK) db upgrade
	@if [ "$(DEMO)" != 0 ]; then $(FLASK) seed-demo --if-empty && $(FLASK) demo-logins; fi

run: database
	FIELDBOOK_SESSION_COOKIE_SECURE=0 $(FLASK) run --host $(HOST) --port $(PORT)

serve: database
	GUNICORN_BIND=$${GUNICORN_BIND:-$(SERVE_BIND)} $(BIN)/gunicorn -c deploy/gunicorn.conf.py

# axe-core for the page sweep (tests/test_browser_page_sweep.py), pinned in tools/axe.
AXE := tools/axe/node_modules/axe-core/axe.min.js
$(AXE): tools/axe/package.json tools/axe/package-lock.json
	cd tools/axe && npm ci --silent --no-audit --no-fund
	touch $(AXE)

test: install system-deps $(AXE)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# ESLint for pwa/ (eslint.config.mjs), pinned in tools/eslint; only lint needs npm.
ESLINT := tools/eslint/node_modules/.bin/eslint
$(ESLINT): tools/eslint/package.json tools/eslint/package-lock.json
	cd tools/eslint && npm ci --silent --no-audit --no-fund
	touch $(ESLINT)

lint: $(STAMP) $(ESLINT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(ESLINT) pwa

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# make bench BENCH="bench/sync_concurrency.py bench/sync_load.py": only those
BENCH ?= bench/*.py
bench: install
	@for f in $(BENCH); do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# The long hostile-input run (bench/fuzz.py): 50,000 generated requests, 5xx count last.
fuzz: install
	$(BIN)/python bench/fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tools/eslint/node_modules tools/axe/node_modules
