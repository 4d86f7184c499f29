"""Serving: gunicorn workers pick up a reindex without a restart, and every limit answers clearly."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from search.index import reindex as indexer
from search.query import language as querylang
from search.query import request as query_layer
from webapp import guard

ROOT = Path(__file__).resolve().parent.parent
PAGE = ("Bamako : la sécurité numéro {n}\n\nLa sécurité au Mali reste la priorité du gouvernement, "
        "selon le communiqué numéro {n} publié à Bamako.\n")


def write_pages(folder: Path, numbers) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / f"page{n:03d}.txt").write_text(PAGE.format(n=n), "utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@contextmanager
def running_gunicorn(tmp_path: Path, allow_in_log=(), **settings):
    """Run gunicorn -c gunicorn.conf.py over a 12-page index; yield (base URL, source, index, log, stderr).

    ``settings`` are PRESSE_* environment values; the server's stderr must hold no traceback except
    one ending in an ``allow_in_log`` line.
    """
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed")
    src, ix, log = tmp_path / "src", tmp_path / "ix", tmp_path / "access.log"
    write_pages(src, range(12))
    indexer.reindex(src, ix, persons=False)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PRESSE_")}
    env.update({"PRESSE_INDEX_DIR": str(ix), "PRESSE_BIND": f"127.0.0.1:{port}", "PRESSE_ACCESSLOG": str(log)})
    env.update({f"PRESSE_{key.upper()}": str(value) for key, value in settings.items()})
    errlog = tmp_path / "gunicorn.err"
    with open(errlog, "w", encoding="utf-8") as err_fh:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err_fh, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited: {errlog.read_text('utf-8')}")
            try:
                if fetch(base + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer /healthz")
            time.sleep(0.2)
        yield base, src, ix, log, errlog
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        err = errlog.read_text("utf-8")
        for trace in err.split("Traceback (most recent call last):")[1:]:
            last = [line for line in trace.splitlines() if line and not line.startswith(" ")][0]
            assert last in allow_in_log, err


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn with 2 workers of 2 threads on 127.0.0.1 over a 12-page index; yields (base URL, source, index, log)."""
    with running_gunicorn(tmp_path, workers=2, threads=2) as (base, src, ix, log, _err):
        yield base, src, ix, log


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """gunicorn as shipped (gunicorn.conf.py: sync workers) with 2 workers; yields (host, port)."""
    with running_gunicorn(tmp_path_factory.mktemp("shipped"), workers=2) as (base, *_):
        host, port = urlsplit(base).hostname, urlsplit(base).port
        yield host, port


def raw_request(address, data: bytes, timeout: float = 10) -> tuple[int, dict[str, str], str]:
    """Send bytes as they are (no client fixes them up) and return (status, headers, body)."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        body = resp.read().decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def assert_french_page_with_headers(status: int, headers: dict[str, str], body: str, title: str) -> None:
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"):
        assert headers.get(name), (name, status, headers)
    assert "HX-Request" in headers.get("vary", ""), headers
    page = BeautifulSoup(body, "html.parser")
    assert page.find("html")["lang"] == "fr"
    assert title in page.find("h1").get_text(), body[:500]
    assert "Traceback" not in body


class Probe:
    """Numbered API requests, matched to the worker that answered through the access log."""

    LINE = re.compile(r"probe=(\d+) .*pid=<?(\d+)")

    def __init__(self, base: str, log: Path):
        self.base, self.log, self.n = base, log, 0
        self.totals: dict[int, int] = {}
        self._lock = threading.Lock()

    def ask(self) -> int:
        with self._lock:
            self.n += 1
            n = self.n
        status, body = fetch(f"{self.base}/api/search?" + urlencode({"q": "securite", "probe": n}))
        assert status == 200, body
        self.totals[n] = json.loads(body)["total"]
        return self.totals[n]

    def ask_together(self, count: int = 6) -> None:
        """Send ``count`` requests at once, so that one busy worker leaves some to the other."""
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda _: self.ask(), range(count)))

    def by_worker(self, since: int = 0) -> dict[str, list[int]]:
        """Return each worker pid's totals for requests after ``since``, in request order."""
        for _ in range(50):  # the access log line is written just after the response
            pid_of = {int(m.group(1)): m.group(2)
                      for m in map(self.LINE.search, self.log.read_text("utf-8").splitlines()) if m}
            if set(self.totals) <= set(pid_of):
                break
            time.sleep(0.02)
        seen: dict[str, list[int]] = {}
        for n in sorted(self.totals):
            if n > since and n in pid_of:
                seen.setdefault(pid_of[n], []).append(self.totals[n])
        return seen

    def until_both_workers_see(self, total: int, timeout: float = 15) -> dict[str, list[int]]:
        """Ask until two workers have answered ``total``; return what each answered meanwhile."""
        start = self.n
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ask()
            seen = self.by_worker(since=start)
            if len(seen) >= 2 and all(t[-1] == total for t in seen.values()):
                return seen
        pytest.fail(f"the workers did not all see {total}: {self.by_worker(since=start)}")


@pytest.mark.slow
def test_both_gunicorn_workers_see_new_generations_without_restart(gunicorn):
    base, src, ix, log = gunicorn
    probe = Probe(base, log)
    # /healthz answered once one worker was up; the second may still be building its caches.
    deadline = time.monotonic() + 30
    while len(probe.by_worker()) < 2 and time.monotonic() < deadline:
        probe.ask_together()
    before = probe.by_worker()
    assert len(before) == 2, "both workers should have answered"
    assert all(set(t) == {12} for t in before.values())

    write_pages(src, range(100, 105))  # incremental: a commit into the live generation
    indexer.reindex(src, ix, persons=False)
    seen = probe.until_both_workers_see(17)
    assert all(t == sorted(t) for t in seen.values())  # once a worker sees 17 it never goes back

    for n in range(3):  # full: a new generation and the swap
        (src / f"page{n:03d}.txt").unlink()
    assert indexer.reindex(src, ix, persons=False, full=True).mode == "full"
    probe.until_both_workers_see(14)
    assert set(probe.by_worker()) == set(before)  # the same workers: nothing was restarted


def test_gunicorn_refuses_an_absurd_request_line_cleanly(gunicorn):
    base, *_ = gunicorn
    status, body = fetch(base + "/search?q=" + "a" * 20_000)
    assert status == 414
    assert "Adresse trop longue" in body and "Traceback" not in body


# --- what gunicorn and the app refuse, over the shipped configuration -------------------------

def get(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def url_of(size: int) -> str:
    return "/search?q=" + "a" * (size - len("/search?q="))


@pytest.mark.parametrize("request_bytes, status, title, by_app", [
    (get(url_of(guard.MAX_URL_BYTES + 1)), 414, "Adresse trop longue", True),
    (get(url_of(20_000)), 414, "Adresse trop longue", False),  # beyond gunicorn's 8190-byte request line
    (get("/", *(f"X-Entete-{i}: x" for i in range(guard.MAX_HEADERS + 1))), 431, "En-têtes trop volumineux", True),
    (get("/", *(f"X-Entete-{i}: x" for i in range(250))), 431, "En-têtes trop volumineux", False),
    (get("/", "X-Long: " + "y" * guard.MAX_HEADER_BYTES), 431, "En-têtes trop volumineux", True),
    (get("/", "X-Long: " + "y" * 20_000), 431, "En-têtes trop volumineux", False),
    (get("/static/css/presse.css", "X-Long: " + "y" * 9000), 431, "En-têtes trop volumineux", True),
    (b"GET /a b c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, "Requête incorrecte", False),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nMauvais Nom: x\r\n\r\n", 400, "Requête incorrecte", False),
    (b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n", 400, "Requête incorrecte", False),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "Requête incorrecte", False),
])
def test_every_refusal_over_gunicorn_is_a_french_page_with_the_security_headers(shipped, request_bytes, status,
                                                                                title, by_app):
    got, headers, body = raw_request(shipped, request_bytes)
    assert got == status, body[:300]
    assert_french_page_with_headers(got, headers, body, title)
    # the app's pages state its limit; gunicorn's backstop pages are the same template, without it
    assert ("octets" in body or "trop d’en-têtes" in body) is by_app


@pytest.mark.parametrize("target", [url_of(guard.MAX_URL_BYTES), "/search?q=" + "%C3%A9" * 1300])
def test_a_url_within_the_limit_is_served_over_gunicorn(shipped, target):
    got, headers, body = raw_request(shipped, get(target))
    assert got == 200 and headers["content-security-policy"] and "HX-Request" in headers["vary"]


@pytest.mark.parametrize("host", ["x..y", ".", "a" * 64, "a" * 64 + ".example.org"])
@pytest.mark.parametrize("path", ["/", "/static/css/presse.css", "/nulle-part"])
def test_a_bad_host_gets_the_french_400_with_the_headers_over_gunicorn(shipped, host, path):
    got, headers, body = raw_request(shipped, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert got == 400
    assert_french_page_with_headers(got, headers, body, "Requête incorrecte")
    assert "en-tête Host" in body


def test_a_bad_host_gets_a_json_400_from_the_api_over_gunicorn(shipped):
    got, headers, body = raw_request(shipped, b"GET /api/search?q=mali HTTP/1.1\r\nHost: x..y\r\n\r\n")
    assert got == 400 and json.loads(body)["status"] == 400
    assert headers["x-content-type-options"] == "nosniff" and "HX-Request" in headers["vary"]


# --- slow clients ------------------------------------------------------------------------------

@pytest.mark.slow
def test_two_stalled_clients_delay_the_shipped_server_by_at_most_the_worker_timeout(tmp_path, monkeypatch):
    """What the shipped configuration guarantees without a proxy in front (README, « Production »).

    Sync workers read a request with no time limit of their own: two clients that send half a
    request and stall hold both workers until the master kills them, ``timeout`` seconds later.
    The normal request waiting meanwhile is answered then, not before. Behind a proxy that buffers
    whole requests (nginx's default) the stalled clients never reach a worker at all.
    """
    for key in [k for k in os.environ if k.startswith("PRESSE_")]:
        monkeypatch.delenv(key)
    shipped_settings: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text("utf-8"), shipped_settings)
    timeout = shipped_settings["timeout"]
    assert shipped_settings["worker_class"] == "sync" and timeout <= 15
    with running_gunicorn(tmp_path, allow_in_log={"SystemExit: 1"}, workers=2) as (base, _src, _ix, _log, err):
        address = (urlsplit(base).hostname, urlsplit(base).port)
        stalled = []
        for _ in range(2):
            sock = socket.create_connection(address)
            sock.sendall(b"GET /search?q=mali HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: it stalls
            stalled.append(sock)
        time.sleep(0.5)  # each worker has accepted one and waits for the rest of its request
        start = time.monotonic()
        status, body = fetch(base + "/api/search?q=securite", timeout=timeout + 30)
        waited = time.monotonic() - start
        assert status == 200 and json.loads(body)["total"] == 12
        assert waited < timeout + 10, f"answered after {waited:.1f} s"
        assert waited > timeout - 2, f"answered after {waited:.1f} s: has gunicorn got a read timeout? update README"
        for sock in stalled:  # the kill also ended each stalled connection
            sock.settimeout(10)
            while sock.recv(65536):
                pass
            sock.close()
        log = err.read_text("utf-8")
        assert log.count("WORKER TIMEOUT") == 2 and "stalled mid-request" in log


# --- limits with clear messages --------------------------------------------------------------

@pytest.fixture(scope="module")
def client(seed_index):
    from webapp import create_app

    return create_app({"INDEX_DIR": str(seed_index), "TESTING": True}).test_client()


@pytest.mark.parametrize("url,message", [
    ("/api/search?limit=101", "entre 1 et 100"),
    ("/api/search?limit=0", "entre 1 et 100"),
    (f"/search?page={query_layer.MAX_PAGE + 1}", f"entre 1 et {query_layer.MAX_PAGE}"),
    ("/search?page=abc", "nombre entier"),
    (f"/api/search?facet_limit={query_layer.MAX_FACET_VALUES + 1}", str(query_layer.MAX_FACET_VALUES)),
    ("/search?" + urlencode([("outlet", f"Journal {i}") for i in range(query_layer.MAX_FILTER_VALUES + 1)]),
     f"au plus {query_layer.MAX_FILTER_VALUES}"),
    ("/search?" + urlencode({"person": "x" * 1000}), "trop longue"),
])
def test_each_limit_answers_400_with_a_french_message(client, url, message):
    resp = client.get(url)
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    if resp.mimetype == "application/json":
        text = json.loads(text)["error"]
    assert message in text


def test_overlong_query_is_cut_with_a_warning_not_an_error(client):
    q = "sécurité " * 200
    assert len(q) > querylang.MAX_QUERY_CHARS
    resp = client.get("/api/search?" + urlencode({"q": q}))
    assert resp.status_code == 200
    assert any("trop longue" in w for w in resp.get_json()["warnings"])
    page = client.get("/search?" + urlencode({"q": q}))
    assert page.status_code == 200 and "Requête trop longue" in page.get_data(as_text=True)


def test_search_over_its_time_limit_gives_partial_results_with_a_warning(client, monkeypatch):
    monkeypatch.setenv("PRESSE_SEARCH_TIME_LIMIT", "1e-9")
    fast = getattr(query_layer, "fm", None)
    if fast is not None:  # the numpy fast path is too quick to need a budget: take Whoosh's path
        monkeypatch.setattr(fast, "evaluate", lambda *args, **kwargs: None)
    resp = client.get("/api/search?" + urlencode({"q": "cooperation OR securite"}))
    assert resp.status_code == 200
    warnings = resp.get_json()["warnings"]
    assert any("Recherche interrompue" in w and "partiels" in w for w in warnings), warnings
    page = client.get("/search?" + urlencode({"q": "cooperation OR securite"}))
    assert page.status_code == 200 and "Recherche interrompue" in page.get_data(as_text=True)


def test_search_within_its_time_limit_has_no_warning(client):
    resp = client.get("/api/search?" + urlencode({"q": "cooperation OR securite"}))
    data = resp.get_json()
    assert data["total"] > 0
    assert not any("interrompue" in w for w in data["warnings"])


def test_deadline_cuts_a_long_match_and_keeps_what_it_found():
    from search.query.timelimit import CHECK_EVERY, Deadline

    d = Deadline(0.05)
    slow = (time.sleep(0.0005) or n for n in range(100_000))
    got = list(d.ids(slow))
    assert d.hit and CHECK_EVERY <= len(got) < 100_000
    assert not Deadline(0).expired()  # 0 means no limit
