"""The project's OpenSearch node for the tests: built with Maven, started on free ports on 127.0.0.1.

The session's node is the fixture ``opensearch_url`` of ``tests/conftest.py`` (one node for every
module, whichever asks first); ``Node`` starts more (the two-node cluster test). Without Java or
Maven the tests skip, unless ``PRESSE_REQUIRE_OPENSEARCH=1`` makes a missing node a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from search.engines.opensearch import OpenSearchEngine

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tools" / "opensearch-node"
JAR = NODE_DIR / "target" / "opensearch-node-0.1.0.jar"
START_TIMEOUT = 180

def _unavailable(reason: str):
    if os.environ.get("PRESSE_REQUIRE_OPENSEARCH") == "1":
        pytest.fail(f"OpenSearch required (PRESSE_REQUIRE_OPENSEARCH=1): {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_cluster/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _java() -> str:
    """Return the java command, with the node's jar built (skip, or fail when required, without them)."""
    java = shutil.which("java")
    if java is None:
        _unavailable("java not found: the OpenSearch node cannot run")
    if not JAR.is_file():
        mvn = shutil.which("mvn")
        if mvn is None:
            _unavailable("mvn not found: the OpenSearch node cannot be built")
        build = subprocess.run([mvn, "-q", "-B", "-f", str(NODE_DIR / "pom.xml"), "package"],
                               capture_output=True, text=True, timeout=900)
        if build.returncode != 0 or not JAR.is_file():
            pytest.fail(f"building the OpenSearch node failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}")
    return java


class Node:
    """One node of the project's launcher, started in the background on 127.0.0.1."""

    def __init__(self, home: Path, *args: str, heap: str = "512m"):
        self.home = home
        self.http = _free_port()
        self.transport = _free_port()
        self.url = f"http://127.0.0.1:{self.http}"
        self.args = args
        self.heap = heap
        self.proc = None
        self.log = None

    def start(self, java: str) -> "Node":
        """Start the node's process (without waiting for it)."""
        self.log = open(self.home / "node.log", "ab")
        self.proc = subprocess.Popen(
            [java, f"-Xms{self.heap}", f"-Xmx{self.heap}", "-jar", str(JAR), "--home", str(self.home),
             "--http-port", str(self.http), "--transport-port", str(self.transport), *self.args],
            stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def wait(self, ready=None) -> None:
        """Wait until the node answers (and ``ready(url)`` holds); fail with its log otherwise."""
        deadline = time.monotonic() + START_TIMEOUT
        while not (_answers(self.url) and (ready is None or ready(self.url))):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.flush()
                pytest.fail("the OpenSearch node did not start:\n"
                            + (self.home / "node.log").read_text(errors="replace")[-4000:])
            time.sleep(0.3)

    def stop(self) -> None:
        """Stop the node (SIGTERM, then SIGKILL after a minute)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not None:
            self.log.close()


def _alias(name: str) -> str:
    # one alias per session and corpus: a shared cluster named by PRESSE_OPENSEARCH_URL is never clobbered
    return f"presse-test-{os.getpid()}-{name}"


def _drop(eng: OpenSearchEngine) -> None:
    """Delete every index a test's alias made: its articles, and their vocabulary, state and lock."""
    # a shared cluster (PRESSE_OPENSEARCH_URL) keeps nothing of the test's run
    listed = eng.client.request("GET", f"/_cat/indices/{eng.alias}-*,{eng.alias}.*?format=json", ok=(200, 404))
    names = {row["index"] for row in listed} if isinstance(listed, list) else set()
    for index in sorted(names | set(eng._alias_targets())):
        eng.client.request("DELETE", f"/{index}", ok=(200, 404))


def session_url(tmp_path_factory):
    """Yield the URL of a running node: PRESSE_OPENSEARCH_URL, or one started from the built jar."""
    url = os.environ.get("PRESSE_OPENSEARCH_URL")
    if url:
        if not _answers(url.rstrip("/")):
            _unavailable(f"PRESSE_OPENSEARCH_URL={url} does not answer")
        yield url.rstrip("/")
        return
    node = Node(tmp_path_factory.mktemp("opensearch"))
    try:
        node.start(_java()).wait()
        yield node.url
    finally:
        node.stop()
