PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8080
HOST   ?= 127.0.0.1
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-engine bench-r4 bench-fhir bench-replay fuzz load docs clean

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

bench-engine: $(STAMP)
	$(BIN)/python bench/engine.py

bench-r4: $(STAMP)
	$(BIN)/python bench/r4_validation.py

# long fuzz campaign (about 10,000 requests): same tests as in `make test`, more examples, random seeds
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1800} FUZZ_REPORT=1 $(BIN)/pytest tests/test_fuzz.py -s -p no:cacheprovider

# gunicorn on a free 127.0.0.1 port driven by wrk with the realistic mix; installs wrk (Debian) when missing
load: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/load.py

bench-fhir: $(STAMP)
	$(BIN)/python bench/fhir_fallback_latency.py

bench-replay: $(STAMP)
	$(BIN)/python bench/replay_ndjson.py

clean:
	rm -rf $(VENV) .venv-fhir *.egg-info .pytest_cache
