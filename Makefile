# Two commands: `make run` (set up, migrate, demo data, serve on SQLite) and `make test`
# (set up, the suite on SQLite, then on a throwaway PostgreSQL 15).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
DEMO_DATE ?= 2022-08-15
PYTEST_WORKERS ?= auto
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-sqlite test-postgres setup system-deps system-deps-test translations \
        migrate demo lint bench extract-messages clean

run: setup migrate demo
	@echo "Serving on http://127.0.0.1:$(PORT) (demonstration date $(DEMO_DATE))"
	PORTAL_ENV=development PORTAL_TODAY=$(DEMO_DATE) $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) \
		--workers 2 --access-logfile - wsgi:app

test: setup system-deps-test
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal -q --durations=10

test-postgres:
	bash scripts/with-postgres.sh $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal -q --durations=10 \
		-m "not browser"

setup: $(STAMP) system-deps translations

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The CJK fonts that the commitment-letter PDF embeds, and HarfBuzz's subsetter (without it
# WeasyPrint subsets the 19 MB CJK font in Python: seconds per letter instead of a fraction).
system-deps:
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK SC" || bash scripts/apt-install.sh fonts-noto-cjk
	@/sbin/ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || bash scripts/apt-install.sh libharfbuzz-subset0

# The test suite also drives Debian's Chromium, renders PDF pages with poppler's pdftoppm, and
# runs on PostgreSQL 15.
system-deps-test: system-deps
	@command -v chromium >/dev/null || bash scripts/apt-install.sh chromium
	@command -v pdftoppm >/dev/null || bash scripts/apt-install.sh poppler-utils
	@test -x /usr/lib/postgresql/15/bin/initdb || bash scripts/apt-install.sh postgresql-15

translations: $(STAMP)
	$(BIN)/pybabel compile -d translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output --no-wrap .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap

migrate: $(STAMP)
	PORTAL_ENV=development $(BIN)/flask --app wsgi db upgrade

demo: $(STAMP)
	PORTAL_ENV=development PORTAL_TODAY=$(DEMO_DATE) $(BIN)/flask --app wsgi portal demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --config-file pyproject.toml
	$(BIN)/pytest -q tests/test_i18n.py

bench: setup system-deps-test
	@command -v wrk >/dev/null || bash scripts/apt-install.sh wrk
	$(BIN)/python bench/bench_pdf.py; pdf=$$?; $(BIN)/python bench/bench_pages.py; pages=$$?; \
		bash scripts/with-postgres.sh $(BIN)/python bench/bench_pages.py --database postgres; \
		pages_pg=$$?; bash scripts/with-postgres.sh $(BIN)/python bench/bench_import.py; imports=$$?; \
		$(BIN)/python bench/bench_load.py; load=$$?; \
		bash scripts/with-postgres.sh $(BIN)/python bench/bench_load.py --postgres; loadpg=$$?; \
		bash scripts/with-postgres.sh $(BIN)/python bench/bench_reminders.py; reminders=$$?; \
		bash scripts/with-postgres.sh $(BIN)/python bench/bench_jobs.py; jobs=$$?; \
		bash scripts/with-postgres.sh $(BIN)/python bench/bench_register.py; register=$$?; \
		$(BIN)/python bench/bench_tables.py; tables=$$?; \
		test $$tables -eq 0 -a $$pdf -eq 0 -a $$pages -eq 0 -a $$pages_pg -eq 0 -a $$imports -eq 0 -a $$load -eq 0 \
			-a $$loadpg -eq 0 -a $$reminders -eq 0 -a $$jobs -eq 0 -a $$register -eq 0

clean:
	rm -rf $(VENV) instance/portal.sqlite translations/*/LC_MESSAGES/*.mo
