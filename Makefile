# The whole set-up on a fresh machine is `make run` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INDEX  ?= $(or $(PRESSE_INDEX_DIR),var/index)
SOURCE ?= $(or $(PRESSE_SOURCE_DIR),seeds)
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install run test reindex bench clean

$(BIN)/presse: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/presse

$(INDEX)/CURRENT: | $(BIN)/presse
	$(BIN)/presse reindex --source $(SOURCE) --index $(INDEX)

run: install $(INDEX)/CURRENT
	$(BIN)/presse serve --host $(HOST) --port $(PORT) --index $(INDEX)

reindex: install
	$(BIN)/presse reindex --source $(SOURCE) --index $(INDEX)

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var .pytest_cache
