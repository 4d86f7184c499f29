# The whole set-up on a fresh machine is `make run` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INDEX  ?= $(or $(PRESSE_INDEX_DIR),var/index)
SOURCE ?= $(or $(PRESSE_SOURCE_DIR),seeds)
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install run test reindex bench clean opensearch opensearch-stop

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

# A local OpenSearch node built from Maven Central's artifacts (tools/opensearch-node): `make opensearch`
# returns once it answers on 127.0.0.1:$(OPENSEARCH_PORT); `make opensearch-stop` stops it.
OPENSEARCH_JAR  := tools/opensearch-node/target/opensearch-node-0.1.0.jar
OPENSEARCH_HOME ?= var/opensearch
OPENSEARCH_PORT ?= 9200
OPENSEARCH_TRANSPORT_PORT ?= 9300
OPENSEARCH_HEAP ?= 512m

$(OPENSEARCH_JAR): tools/opensearch-node/pom.xml $(wildcard tools/opensearch-node/src/main/java/presse/opensearch/*.java)
	mvn -q -B -f tools/opensearch-node/pom.xml package

opensearch: $(OPENSEARCH_JAR)
	@mkdir -p $(OPENSEARCH_HOME)
	@if [ -f $(OPENSEARCH_HOME)/node.pid ] && kill -0 $$(cat $(OPENSEARCH_HOME)/node.pid) 2>/dev/null; then \
		echo "OpenSearch already running (pid $$(cat $(OPENSEARCH_HOME)/node.pid))"; exit 0; fi; \
	nohup java -Xms$(OPENSEARCH_HEAP) -Xmx$(OPENSEARCH_HEAP) -jar $(OPENSEARCH_JAR) --home $(OPENSEARCH_HOME) \
		--http-port $(OPENSEARCH_PORT) --transport-port $(OPENSEARCH_TRANSPORT_PORT) \
		> $(OPENSEARCH_HOME)/node.log 2>&1 & echo $$! > $(OPENSEARCH_HOME)/node.pid; \
	for i in $$(seq 1 240); do \
		if $(PYTHON) -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(OPENSEARCH_PORT)/_cluster/health', timeout=1)" 2>/dev/null; then \
			echo "OpenSearch on http://127.0.0.1:$(OPENSEARCH_PORT) (pid $$(cat $(OPENSEARCH_HOME)/node.pid), log $(OPENSEARCH_HOME)/node.log)"; exit 0; fi; \
		if ! kill -0 $$(cat $(OPENSEARCH_HOME)/node.pid) 2>/dev/null; then break; fi; sleep 0.5; done; \
	echo "OpenSearch did not start:"; tail -n 40 $(OPENSEARCH_HOME)/node.log; exit 1

opensearch-stop:
	@if [ -f $(OPENSEARCH_HOME)/node.pid ] && kill -0 $$(cat $(OPENSEARCH_HOME)/node.pid) 2>/dev/null; then \
		pid=$$(cat $(OPENSEARCH_HOME)/node.pid); kill $$pid; \
		for i in $$(seq 1 60); do kill -0 $$pid 2>/dev/null || break; sleep 0.5; done; \
		echo "OpenSearch stopped"; else echo "OpenSearch not running"; fi; rm -f $(OPENSEARCH_HOME)/node.pid

clean:
	rm -rf $(VENV) var .pytest_cache
