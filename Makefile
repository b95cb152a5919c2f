# SafetyNet: `make run` starts the app with a demo county; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
SN := $(BIN)/safetynet
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PEOPLE ?= 20000
DEMO_SEED ?= 2026
DEMO_PASSWORD ?= demo-pass-2026
PYTEST_ARGS ?=
export DJANGO_SETTINGS_MODULE := safetynet.settings

.PHONY: run test test-fast test-browser test-spark install browser bench-tools messages demo bench clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The lock pins every package to what CI tested; the project itself installs without resolving again.
$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for Playwright, the CJK fonts pages and PDFs need, WeasyPrint's libraries and
# poppler (pdffonts/pdftoppm, to check the PDFs) (UI.md, STACK.md).
DEBIAN_PACKAGES := chromium fonts-noto-cjk gettext poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdffonts ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
	    || ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  echo "Installing Debian packages: $(DEBIAN_PACKAGES) ..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	fi

# The load generator of the HTTP benchmarks (bench/bench_settlement_load.py drives gunicorn with it).
BENCH_DEBIAN_PACKAGES := wrk
bench-tools:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing Debian packages: $(BENCH_DEBIAN_PACKAGES) ..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(BENCH_DEBIAN_PACKAGES) >/dev/null; \
	fi

messages: install
	$(SN) compilemessages --ignore=.venv -v 0

run: install messages
	$(SN) migrate --no-input -v 0
	$(SN) demo --if-empty --people $(DEMO_PEOPLE) --seed $(DEMO_SEED) --password $(DEMO_PASSWORD)
	$(SN) demo_logins --password $(DEMO_PASSWORD)
	@echo "SafetyNet on http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the task worker)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(SN) db_worker --queue-name default >var/worker.log 2>&1 & \
	  $(SN) runserver --noreload $(HOST):$(PORT)

test: install browser messages
	$(BIN)/pytest -n 2 -m "not spark" $(PYTEST_ARGS)

test-fast: install messages
	$(BIN)/pytest -n 2 -m "not browser and not spark" $(PYTEST_ARGS)

test-browser: install browser messages
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

# The verification engine's Ibis expressions on PySpark local mode (Java 17; the `spark` extra is
# not in the default lock: it is installed here, into the same virtual environment).
test-spark: install
	$(BIN)/pip install --quiet -e ".[spark]"
	$(BIN)/pytest -m spark $(PYTEST_ARGS)

demo: install
	$(SN) migrate --no-input -v 0
	$(SN) demo --people $(DEMO_PEOPLE) --seed $(DEMO_SEED) --password $(DEMO_PASSWORD)

bench: install bench-tools
	$(BIN)/python bench/run_all.py

lock:
	$(BIN)/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf var build *.egg-info .pytest_cache
