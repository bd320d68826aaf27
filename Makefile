# The product's front door: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run lint test migrate seed messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

var:
	mkdir -p var

migrate: install var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## Sets up, migrates, seeds the demo organisation and serves http://127.0.0.1:8000
run: seed
	$(BIN)/python manage.py run_scheduler & SCHEDULER=$$!; trap "kill $$SCHEDULER" EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## Checks the code with ruff (lint and import order; configured in pyproject.toml)
lint: install
	$(BIN)/ruff check .

## Lints, then runs every test (on PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set),
## then the engine's tests again with its fast path off (prepared queries, write batch)
test: install var lint
	scripts/ensure-browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	KINERJA_FAST_PATH=false $(BIN)/python -m pytest tests/workflow $(PYTEST_ARGS)

## Rebuilds the compiled translations after editing locale/*/LC_MESSAGES/django.po
messages: install
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var .pytest_cache
