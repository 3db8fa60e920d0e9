# Jishi: `make run` serves the site with demo data; `make test` runs lint and the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint messages translations bench-marketplace bench-flash bench-live bench-search bench-headline clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed-run $@

# Compile the translation catalogues (.po -> .mo, pure Python; the .mo files are not committed).
translations: $(VENV)/.installed-run
	$(BIN)/python manage.py translations compile

# After marking strings: re-extract them into every catalogue (needs GNU gettext), translate the
# empty entries, then `make test` (tests/config/test_translations.py checks the catalogues).
messages: $(VENV)/.installed-dev
	$(BIN)/python manage.py translations update

run: $(VENV)/.installed-run translations
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Jishi is starting at http://127.0.0.1:8000  (web + Celery worker + beat; Ctrl-C stops all three)"
	@echo ""
	$(BIN)/honcho start

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench-marketplace: $(VENV)/.installed-dev
	$(BIN)/python bench/marketplace_http.py

bench-search: $(VENV)/.installed-dev
	$(BIN)/python bench/search.py

bench-flash: $(VENV)/.installed-dev
	$(BIN)/python bench/flash_sale_http.py

bench-live: $(VENV)/.installed-dev
	$(BIN)/python bench/live_ws.py

bench-headline: $(VENV)/.installed-dev
	$(BIN)/python bench/headline_feeds.py --workers 4

clean:
	rm -rf $(VENV) var
