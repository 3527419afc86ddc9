PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8080
HOST   ?= 127.0.0.1
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-fhir bench-replay docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/imaging-cds serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest

docs: $(STAMP)
	$(BIN)/imaging-cds docs docs

bench: $(STAMP)
	$(BIN)/python bench/http_order_select.py

bench-fhir: $(STAMP)
	$(BIN)/python bench/fhir_fallback_latency.py

bench-replay: $(STAMP)
	$(BIN)/python bench/replay_ndjson.py

clean:
	rm -rf $(VENV) .venv-fhir *.egg-info .pytest_cache
