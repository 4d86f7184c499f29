"""Serving: gunicorn workers pick up a reindex without a restart, and every limit answers clearly."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from search import indexer, querylang, query as query_layer

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


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn with 2 workers on 127.0.0.1 over a 12-page index; yields (base URL, source, index, log)."""
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed")
    src, ix, log = tmp_path / "src", tmp_path / "ix", tmp_path / "access.log"
    write_pages(src, range(12))
    indexer.reindex(src, ix, persons=False)
    port = free_port()
    env = {**os.environ, "PRESSE_INDEX_DIR": str(ix), "PRESSE_BIND": f"127.0.0.1:{port}",
           "PRESSE_WORKERS": "2", "PRESSE_THREADS": "2", "PRESSE_ACCESSLOG": str(log)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited: {server.stderr.read()}")
            try:
                if fetch(base + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer /healthz")
            time.sleep(0.2)
        yield base, src, ix, log
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _out, err = server.communicate()
        assert "Traceback" not in err, err


class Probe:
    """Numbered API requests, matched to the worker that answered through the access log."""

    LINE = re.compile(r"probe=(\d+) .*pid=<?(\d+)")

    def __init__(self, base: str, log: Path):
        self.base, self.log, self.n = base, log, 0
        self.totals: dict[int, int] = {}

    def ask(self) -> int:
        self.n += 1
        status, body = fetch(f"{self.base}/api/search?" + urlencode({"q": "securite", "probe": self.n}))
        assert status == 200, body
        self.totals[self.n] = json.loads(body)["total"]
        return self.totals[self.n]

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
    for _ in range(60):
        probe.ask()
        if len(probe.by_worker()) >= 2:
            break
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
    assert status in (400, 414)
    assert "Traceback" not in body


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
    from search.timelimit import CHECK_EVERY, Deadline

    d = Deadline(0.05)
    slow = (time.sleep(0.0005) or n for n in range(100_000))
    got = list(d.ids(slow))
    assert d.hit and CHECK_EVERY <= len(got) < 100_000
    assert not Deadline(0).expired()  # 0 means no limit
