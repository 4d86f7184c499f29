"""What a browser, a proxy or a bot can send, and what the index can hold: never a 500, always the headers.

Hosts Werkzeug refuses, URLs and headers over the limits, ids and names with any character, and a
damaged index, through Flask's test client over indexes built by ``presse reindex``'s own code, on
both engines (a damaged index: Whoosh's files only).
"""

from __future__ import annotations

import gc
import json
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from search.index import documents
from search.index import folder as store
from search.query.request import MAX_VALUE_CHARS
from tests.engine_fixture import build, whoosh_only
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from webapp import create_app, guard
from webapp.links import person_url

ROOT = Path(__file__).resolve().parent.parent
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def assert_headers(resp) -> None:
    for name in SECURITY_HEADERS:
        assert resp.headers.get(name), f"{name} missing on {resp.status}"
    assert "HX-Request" in resp.headers.get("Vary", "")


def soup(resp) -> BeautifulSoup:
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def write_pages(folder: Path, names) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(
            f"Page {name}\n\nLa sécurité au Mali, selon la page {name} publiée à Bamako.\n", "utf-8")


@pytest.fixture(scope="module")
def small_index(engine_name, request, tmp_path_factory):
    src = tmp_path_factory.mktemp("small-src")
    write_pages(src, ["page1", "page2", "page3"])
    return build(request, engine_name, source=src, label="small")


@pytest.fixture(scope="module")
def client(small_index):
    return small_index.web()


# ------------------------------------------------------------------ the Host header

BAD_HOSTS = ["x..y", ".", "a" * 64, "a" * 64 + ".example.org", "x..y:8000", ".example.org"]
PATHS = ["/", "/search?q=securite", "/article/page1", "/personne/X", "/static/css/presse.css",
         "/nulle-part", "/api/search?q=securite", "/healthz"]


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("path", PATHS)
def test_a_host_werkzeug_cannot_encode_gets_a_french_400_with_the_headers_on_every_path(client, host, path):
    resp = client.get(path, environ_overrides={"HTTP_HOST": host})
    assert resp.status_code == 400
    assert_headers(resp)
    if resp.is_json:
        assert "Host" in resp.get_json()["error"]
    else:
        page = soup(resp)
        assert "Requête incorrecte" in page.find("h1").get_text()
        assert "en-tête Host" in page.get_text()
        assert page.find("link", rel="stylesheet")["href"] == "/static/css/presse.css"


def test_a_bad_host_on_an_htmx_request_gets_the_error_fragment(client):
    resp = client.get("/search?q=mali", headers={"HX-Request": "true"}, environ_overrides={"HTTP_HOST": "x..y"})
    assert resp.status_code == 400 and "<html" not in resp.get_data(as_text=True)
    assert "en-tête Host" in resp.get_data(as_text=True)
    assert_headers(resp)


@pytest.mark.parametrize("host", ["presse.example.org", "127.0.0.1:8000", "[::1]:8000", "presse.example.org.",
                                  "Presse.Example.Org", "xn--sgou-bpa.example", "ségou.example", "a" * 63 + ".org"])
def test_an_unusual_but_valid_host_is_served_normally(client, host):
    resp = client.get("/search?q=securite", environ_overrides={"HTTP_HOST": host})
    assert resp.status_code == 200
    assert_headers(resp)
    assert soup(resp).select("li.hit")


def test_a_host_outside_trusted_hosts_gets_the_french_400_not_a_500(small_index):
    app = small_index.app(TRUSTED_HOSTS=["presse.example.org"])
    client = app.test_client()
    assert client.get("/", environ_overrides={"HTTP_HOST": "presse.example.org"}).status_code == 200
    resp = client.get("/static/css/presse.css", environ_overrides={"HTTP_HOST": "ailleurs.example.org"})
    assert resp.status_code == 400 and "en-tête Host" in resp.get_data(as_text=True)
    assert_headers(resp)


# ------------------------------------------------------------------ URL and header limits


def target_of(size: int, prefix: str = "/search?q=") -> str:
    return prefix + "a" * (size - len(prefix))


@pytest.mark.parametrize("path, status", [
    (target_of(guard.MAX_URL_BYTES), 200),
    (target_of(guard.MAX_URL_BYTES + 1), 414),
    (target_of(20_000), 414),
    (target_of(guard.MAX_URL_BYTES + 1, "/article/"), 414),
    (target_of(guard.MAX_URL_BYTES + 1, "/static/css/presse.css?"), 414),
])
def test_a_url_over_the_limit_gets_a_french_414_page_with_the_headers(client, path, status):
    resp = client.get(path)
    assert resp.status_code == status
    assert_headers(resp)
    if status == 414:
        assert "Adresse trop longue" in soup(resp).find("h1").get_text()


def test_the_api_answers_an_overlong_url_in_json(client):
    resp = client.get(target_of(guard.MAX_URL_BYTES + 1, "/api/search?q="))
    assert resp.status_code == 414 and resp.get_json()["status"] == 414
    assert "trop longue" in resp.get_json()["error"]
    assert_headers(resp)


def test_the_url_limit_counts_bytes_as_sent_not_decoded_characters(client):
    # 1,300 « é » are 2,600 bytes, sent as 7,800 characters of percent-escapes
    resp = client.get("/search?q=" + "%C3%A9" * 1300 + "a" * (guard.MAX_URL_BYTES - 10 - 7800 + 1))
    assert resp.status_code == 414


@pytest.mark.parametrize("headers, status", [
    ({f"X-Entete-{i}": "x" for i in range(guard.MAX_HEADERS - 10)}, 200),
    ({f"X-Entete-{i}": "x" for i in range(guard.MAX_HEADERS + 1)}, 431),
    ({"X-Jeton": "c=" + "x" * 8000}, 200),
    ({"X-Jeton": "c=" + "x" * guard.MAX_HEADER_BYTES}, 431),
    ({"X-Long": "y" * 20_000}, 431),
])
def test_too_many_or_too_large_headers_get_a_french_431_page_with_the_headers(client, headers, status):
    resp = client.get("/search?q=securite", headers=headers)
    assert resp.status_code == status
    assert_headers(resp)
    if status == 431:
        assert "En-têtes trop volumineux" in soup(resp).find("h1").get_text()


def test_the_readme_states_the_limits_the_app_enforces():
    readme = (ROOT / "README.md").read_text("utf-8")
    production = readme[readme.index("## Production"):]
    for fact in (f"{guard.MAX_URL_BYTES:,}", "414", "431", f"{guard.MAX_HEADERS} headers",
                 f"{MAX_VALUE_CHARS} characters per value", f"{documents.MAX_NAME_CHARS} characters"):
        assert fact in production, fact


# ------------------------------------------------------------------ every id and name reachable

#: File names (ids are their stems) a newsroom's folders really hold.
AWKWARD_FILES = ["Bamako avril 2024", "rapport?final", "note#2", "100%", "-tiret", "Ségou été", "a+b&c=d",
                 "x;y", "émoji 😀", "dépêche n°3 (suite)", "50%2F50"]
LONG_NAME = "Abdoulaye " + "Keïta-" * 50 + "Traoré"  # 316 characters, from a source's own metadata
#: Ids from a bulk file's records: any string, even one that looks like a path.
AWKWARD_IDS = ["lemonde/2023/abc", ".cache", "..", ".", "a//b", "/racine", "fin/", "x" * 250, "mixte ?#%/é",
               "-", "%2F", "a\\b", "..%2F..%2Fetc", "../../etc/passwd", "~user", "espace final "]
AWKWARD_NAMES = [LONG_NAME, "Nom/Avec/Barres", "..", ".", "Sadio Camara", "Ali « le Sage » ?#%", "a//b"]


@pytest.fixture(scope="module")
def awkward_client(engine_name, request, tmp_path_factory):
    src = tmp_path_factory.mktemp("awkward-src")
    write_pages(src, AWKWARD_FILES)
    records = [{"id": i, "title": f"Dépêche {i}", "body": f"La sécurité au Mali ({n}).",
                "date": f"20{10 + n % 10}-0{1 + n % 9}-01", "persons": AWKWARD_NAMES[n % 3:],
                "author": "Auteur " + "é" * 250 if n % 2 else "Awa / Traoré", "outlet": ("Journal " + "x" * 300) if n % 3 else "L'Essor ?#"}
               for n, i in enumerate(AWKWARD_IDS)]
    (src / "bulk.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    built = build(request, engine_name, source=src, label="awkward")
    assert built.report.total_docs == len(AWKWARD_FILES) + len(AWKWARD_IDS), built.report
    return built.web(HITS_PER_PAGE=100)


class Browser:
    """Follows links as a browser does: resolved against the page's URL, dot segments removed."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, base: str = "http://localhost/"):
        absolute = urljoin(base, url)
        parts = urlsplit(absolute)
        resp = self.client.get(parts.path, query_string=parts.query, base_url="http://localhost")
        return absolute, resp

    @staticmethod
    def links(resp) -> list[str]:
        page = soup(resp)
        return [a["href"] for a in page.find_all("a", href=True)
                if not a["href"].startswith(("#", "http://", "https://", "javascript:"))]


def test_every_id_in_the_index_has_an_article_link_that_opens_that_article(awkward_client):
    browser = Browser(awkward_client)
    base, resp = browser.get("/search?q=securite")
    hits = soup(resp).select("li.hit .hit-title a")
    expected = {h["id"]: h["title"] for h in awkward_client.get("/api/search?q=securite&limit=100").get_json()["hits"]}
    assert len(hits) == len(expected) == len(AWKWARD_FILES) + len(AWKWARD_IDS)
    opened = set()
    for a in hits:
        url, page = browser.get(a["href"], base)
        assert page.status_code == 200, (a["href"], url)
        title = soup(page).find(id="article-title").get_text()
        assert title == a.get_text(), (a["href"], url)
        opened.add(title)
    assert opened == set(expected.values())


def test_every_link_of_the_search_article_and_person_pages_answers_200(awkward_client):
    browser = Browser(awkward_client)
    start, resp = browser.get("/search?facet_limit=0")
    assert resp.status_code == 200
    pages = [(start, resp)]
    seen = {start}
    # the search page's links, then those of every article and person page it leads to
    for depth in range(2):
        next_pages = []
        for base, page in pages:
            for href in Browser.links(page):
                url, target = browser.get(href, base)
                if url in seen:
                    continue
                seen.add(url)
                assert target.status_code == 200, (href, url, target.status_code)
                assert_headers(target)
                if urlsplit(url).path.startswith(("/article", "/personne")):
                    next_pages.append((url, target))
        pages = next_pages
    visited = {urlsplit(u).path.split("/")[1] for u in seen}
    assert {"article", "personne", "search"} <= visited


def test_long_names_are_cut_at_index_time_below_what_links_accept(awkward_client):
    assert documents.MAX_NAME_CHARS < MAX_VALUE_CHARS
    facets = awkward_client.get("/api/search?facet_limit=0").get_json()["facets"]
    for name in ("person", "author", "outlet"):
        longest = max(len(row["value"]) for row in facets[name])
        assert longest == documents.MAX_NAME_CHARS, name
    cut = LONG_NAME[:documents.MAX_NAME_CHARS].rstrip()
    assert cut in {row["value"] for row in facets["person"]}


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_each_person_link_filters_on_that_person_and_each_person_page_opens(awkward_client, name):
    browser = Browser(awkward_client)
    base, resp = browser.get("/search?facet_limit=0")
    shown = documents.clamp_name(name)
    page = soup(resp)
    assert page.find("li", attrs={"data-label": shown}) is not None, shown
    toggle = next(a for a in page.select("li.hit .persons a") if a.get_text() == shown)
    url, filtered = browser.get(toggle["href"], base)
    assert filtered.status_code == 200
    chips = [c.get_text(" ", strip=True) for c in soup(filtered).select(".chips a.chip")]
    assert any(shown in c for c in chips), chips
    with awkward_client.application.test_request_context():
        link = person_url(shown)
    url, person = browser.get(link, base)
    assert person.status_code == 200, (link, url)
    assert soup(person).find("h1").get_text() == shown


@pytest.mark.parametrize("value", ["x" * MAX_VALUE_CHARS, "é" * MAX_VALUE_CHARS])
def test_a_filter_value_up_to_the_query_layer_bound_is_accepted_and_one_over_it_is_a_french_400(client, value):
    assert client.get("/search", query_string={"person": value}).status_code == 200
    assert client.get(f"/personne/{value}").status_code == 404  # unknown, not refused
    resp = client.get("/search", query_string={"person": value + "x"})
    assert resp.status_code == 400 and "trop longue" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/article/%00", "/article/a%0Ab", "/article/" + "x" * 600, "/article?id=",
                                  "/article", "/personne?nom=", "/personne/%01", "/article/nulle%2Fpart"])
def test_ids_and_names_the_index_cannot_hold_get_a_french_404(client, path):
    resp = client.get(path)
    assert resp.status_code == 404 and "introuvable" in soup(resp).find("h1").get_text()
    assert_headers(resp)


# ------------------------------------------------------------------ a damaged index


def damage(kind: str, live: Path) -> None:
    seg = next(live.glob("*.seg"))
    if kind == "truncated segment":
        seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])
    elif kind == "empty segment":
        seg.write_bytes(b"")
    elif kind == "deleted segment":
        seg.unlink()
    elif kind == "truncated table of contents":
        toc = next(live.glob("*.toc"))
        toc.write_bytes(toc.read_bytes()[:20])
    elif kind == "cut at the last byte":
        seg.write_bytes(seg.read_bytes()[:-1])


DAMAGES = ["truncated segment", "empty segment", "deleted segment", "truncated table of contents",
           "cut at the last byte"]


@contextmanager
def whoosh_leaks_ignored():
    """Whoosh leaves the file of a segment it failed to open to the garbage collector."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        yield
        gc.collect()


@pytest.fixture(scope="module", params=DAMAGES)
def damaged_client(request, small_index, tmp_path_factory):
    copy = tmp_path_factory.mktemp("damaged") / "ix"
    shutil.copytree(small_index.index_dir, copy)
    damage(request.param, store.live_path(copy))
    app = create_app({"INDEX_DIR": str(copy), "TESTING": True})
    app.logger.disabled = True
    return app.test_client()


@whoosh_only("damaged Whoosh segment files")
@pytest.mark.parametrize("path", ["/", "/search?q=securite", "/article/page1", "/personne/Sadio%20Camara"])
def test_a_damaged_index_gives_the_french_503_page_like_healthz(damaged_client, path):
    with whoosh_leaks_ignored():
        health = damaged_client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
    for headers in ({}, {"HX-Request": "true"}):
        with whoosh_leaks_ignored():
            resp = damaged_client.get(path, headers=headers)
        assert resp.status_code == 503
        text = resp.get_data(as_text=True)
        assert "illisible" in text and "presse reindex" in text and "Traceback" not in text
        assert ("<html" in text) is (not headers)
        assert_headers(resp)


@whoosh_only("damaged Whoosh segment files")
def test_a_damaged_index_gives_a_json_503_on_the_api(damaged_client):
    with whoosh_leaks_ignored():
        resp = damaged_client.get("/api/search?q=securite")
    assert resp.status_code == 503 and resp.is_json
    assert resp.get_json()["status"] == 503 and "presse reindex" in resp.get_json()["error"]
    assert_headers(resp)


def test_a_bug_over_a_readable_index_stays_a_500(small_index):
    class Broken:
        """The engine, with a bug in its search (the index itself answers)."""

        def __getattr__(self, name):
            return getattr(small_index.service, name)

        def search(self, req):
            raise EOFError("a bug, not a damaged index")

    app = small_index.app()
    app.extensions["presse.service"] = Broken()
    app.logger.disabled = True
    resp = app.test_client().get("/search?q=x")
    assert resp.status_code == 500 and "Erreur interne" in resp.get_data(as_text=True)
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/search?q=mali", "/api/search?q=mali", "/healthz", "/article/x", "/feed"])
def test_an_unknown_engine_name_is_a_french_503_never_a_500(tmp_path, path):
    from webapp import create_app

    client = create_app({"ENGINE": "bogus", "INDEX_DIR": str(tmp_path), "TESTING": True}).test_client()
    resp = client.get(path)
    assert resp.status_code == 503 and "Traceback" not in resp.get_data(as_text=True)
