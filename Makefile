# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# INDEX, HOST and PORT: unset, newsearch's own defaults apply (indexer/settings.py)
INDEX_OPT = $(if $(INDEX),--index-dir $(INDEX))

.PHONY: run test install install-test chromium index clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

# The cluster extra too: tests/test_cluster.py runs the shards on a real two-node Ray cluster.
install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,cluster]'

# Debian's Chromium for the browser tests: Playwright's own browser download cannot work here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

index: install
	$(BIN)/newsearch $(INDEX_OPT) index sample_data/

run: index
	$(BIN)/newsearch $(INDEX_OPT) serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: install-test chromium
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var build *.egg-info
