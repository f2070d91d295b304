# Two commands: `make run` serves the app on the embedded servers, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint stop clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m emr.serve

# Starts the embedded servers if they are not running, and stops afterwards only what it started
# (a running `make run` keeps its servers).
test: $(STAMP)
	@started="$$($(BIN)/python -m emr.embedded up)"; \
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null || { echo "Models and migrations disagree: run makemigrations"; $(BIN)/python -m emr.embedded down $$started; exit 1; }; \
	$(BIN)/pytest -q $(PYTEST_ARGS); status=$$?; \
	if [ -n "$$started" ]; then $(BIN)/python -m emr.embedded down $$started; fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

stop: $(STAMP)
	$(BIN)/python -m emr.embedded down

clean: stop
	rm -rf $(VENV) var
