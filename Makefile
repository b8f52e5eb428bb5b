# stockcast: `make demo` sets up and serves the app on the embedded default (SQLite, in-process
# tasks); `make test` sets up and runs the whole suite. Both start from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR ?= $(or $(STOCKCAST_DATA_DIR),../shared/data)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test test-sqlite migrate bench-quick clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

# The demo runs with DEBUG=1 on the loopback address only: it is a local trial, not a deployment.
demo: migrate
	DEBUG=1 STOCKCAST_DATA_DIR=$(DATA_DIR) $(PY) manage.py demo
	@echo "stockcast is serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Runs against PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set, else SQLite
# and eager tasks. PYTEST_ARGS passes extra options (e.g. PYTEST_ARGS="-k ledger").
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
