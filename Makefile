# One command sets up and runs the main job (`make run`); one runs the tests (`make test`).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test serve quality bench lock clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

run: $(STAMP)  ## one ingest run over seeds/feeds.csv into ./newsduck.duckdb
	$(BIN)/newsduck run

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest -q

serve: $(STAMP)  ## scheduled ingest every 15 minutes (starts a local Prefect server if needed)
	$(BIN)/newsduck serve

quality: $(STAMP)  ## entity/event/extraction quality figures
	$(BIN)/python bench/quality.py

bench: $(STAMP)  ## throughput and memory benchmark
	$(BIN)/python bench/run.py

lock:  ## re-resolve requirements.lock from pyproject.toml (maintainers only)
	rm -rf /tmp/newsduck-lock && $(PYTHON) -m venv /tmp/newsduck-lock
	/tmp/newsduck-lock/bin/python -m pip install -q --upgrade "pip>=24"
	/tmp/newsduck-lock/bin/python -m pip install -q ".[test]"
	/tmp/newsduck-lock/bin/python -m pip freeze --exclude newsduck > requirements.lock

clean:
	rm -rf $(VENV)
