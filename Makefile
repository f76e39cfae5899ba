# Two commands do all the setup on a fresh machine:
#   make demo   build a realistic demo center in SQLite, run the day's job, serve http://127.0.0.1:5000
#   make test   ruff, mypy and the whole pytest suite (PostgreSQL tests need SUTIAO_TEST_PG_URL;
#               `bash .ci/run` starts a throwaway server and runs this target)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SERVE ?= 1
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_ARGS ?=
PYTEST_ARGS ?=
# The demo always uses the embedded database, whatever the environment points at.
DEMO_DB := $(CURDIR)/instance/sutiao.db

.PHONY: demo test lint format clean translations

# pip's output goes to a log that is shown only when the install fails.
PIP_INSTALL = $(BIN)/python -m pip install -q --disable-pip-version-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	@echo "Installing Sutiao into $(VENV) ..."
	@$(PIP_INSTALL) -e . > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "Installing Sutiao with the test extras into $(VENV) ..."
	@$(PIP_INSTALL) -e '.[test]' > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@ $(VENV)/.installed-app

demo: $(VENV)/.installed-app
	@mkdir -p instance
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	SUTIAO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/sutiao init --demo $(DEMO_ARGS)
	SUTIAO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/sutiao assign
	SUTIAO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/sutiao schedule
	SUTIAO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/sutiao publish
	SUTIAO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/sutiao status
ifeq ($(SERVE),1)
	SUTIAO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/sutiao serve --host $(HOST) --port $(PORT)
endif

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy matcher scheduler models web benchmarks

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The English catalogue (the msgids are the Chinese strings; zh_CN needs no catalogue).
#   1. make translations: extract _()/_l()/gettext()/N_() from web/**.py and web/templates/**.html
#      into web/translations/messages.pot, merge it into en/LC_MESSAGES/messages.po (a new msgid
#      gets an empty msgstr; a removed one is kept as #~), then compile messages.mo.
#   2. Translate every empty msgstr in the .po (keep each %(name)s), run make translations again
#      and commit the .pot, .po and .mo together. tests/test_i18n.py fails on an untranslated
#      msgid, a fuzzy entry, a placeholder mismatch or a stale .mo.
translations: $(VENV)/.installed-app
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _t -k gettext -k ngettext:1,2 \
		--project=Sutiao --version=0.1.0 -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d web/translations -D messages --statistics

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache *.egg-info
