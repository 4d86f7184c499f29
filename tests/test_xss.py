"""XSS probes in source files (a scraped page can carry markup): every page renders them as text, on both engines."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from bs4 import BeautifulSoup

from search.extract import files as extract
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.query_fixtures import verbatim_iter

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "'><svg onload=alert(1)>"
LINK = '<a href="javascript:alert(1)">clic</a>'
MARK = "<mark onmouseover=alert(1)>sécurité</mark>"
CLOSE = "</textarea></title><script>alert(2)</script>"
PROBES = (SCRIPT, IMG, SVG, LINK, MARK, CLOSE)

OUTLET = f"Le Canard {IMG}"
AUTHOR = f"Moussa {SCRIPT} Traoré"
PERSON = f"Awa {SVG} Diallo"
COMMENTER = f"Lecteur {IMG}"

PAGE = f"""Sécurité {SCRIPT} à Bamako {IMG}

La sécurité reste fragile à Bamako {SCRIPT} selon les habitants {SVG}.

Un témoin raconte : « la sécurité {MARK} s'est dégradée » {LINK} {CLOSE}.
"""

RECORDS = [
    {"id": "sonde-jsonl", "title": f"Coopération {SCRIPT} et sécurité {IMG}", "url": "javascript:alert(1)",
     "outlet": OUTLET, "author": AUTHOR, "date": "2021-05-03", "persons": [PERSON, "Sadio Camara"],
     "body": f"La sécurité au Mali {SCRIPT}.\n\nLa coopération militaire {SVG} {MARK} continue {CLOSE}.",
     "comments": [
         {"id": "c1", "author": COMMENTER, "text": f"Sécurité d'abord {SCRIPT} {IMG}"},
         {"id": "c2", "author": f"Réponse {SVG}", "reply_to": "c1", "text": f"D'accord sur la sécurité {LINK}"},
     ]},
    {"id": "voisin", "title": "La sécurité à Bamako et la coopération", "outlet": OUTLET, "author": AUTHOR,
     "date": "2022-01-10", "persons": [PERSON, "Sadio Camara"],
     "body": "La sécurité à Bamako et la coopération militaire avec les partenaires du Mali."},
]


_verbatim = verbatim_iter


def _build(mode: str, engine: str, request):
    """Index the probes verbatim (whatever extraction would clean, the pages must escape) or
    through the real extractor (end to end); return (mode, test client)."""
    src = request.getfixturevalue("tmp_path_factory").mktemp(f"xss-src-{mode}")
    (src / "sonde-page.txt").write_text(PAGE, "utf-8")
    (src / "lot.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), "utf-8")
    if mode == "verbatim":
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(extract, "iter_file", _verbatim, raising=False)
            built = build(request, engine, source=src, label=f"xss-{mode}")
        report = built.report
        assert report.added == 3, report.summary()
    else:
        built = build(request, engine, source=src, label=f"xss-{mode}")
        report = built.report
        # a page full of markup may be taken for HTML without text: then it is named, not indexed
        assert report.added + len(report.skipped) == 3, report.summary()
        assert report.added >= 2, report.summary()
    return mode, built.web()


@pytest.fixture(scope="module", params=["verbatim", "extracted"])
def mode_client(request, engine_name):
    """(mode, test client) for both ways of indexing the probes."""
    return _build(request.param, engine_name, request)


@pytest.fixture(scope="module")
def client(mode_client):
    return mode_client[1]


@pytest.fixture(scope="module")
def vclient(request, engine_name):
    """A client over the verbatim index, where every probe reaches the pages as written."""
    return _build("verbatim", engine_name, request)[1]


def assert_inert(html: str) -> BeautifulSoup:
    """Fail if the HTML holds a script, handler, javascript: link or media element that is not ours."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), f"event handler in {tag}"
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attr.lower() in ("href", "src", "action", "formaction", "data", "xlink:href"):
                assert not text.strip().lower().startswith("javascript:"), f"javascript: URL in {tag}"
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith(("/static/", "https://cdn.jsdelivr.net/")), str(script)
        assert not script.get_text(strip=True), str(script)
    assert not soup.find_all(["img", "iframe", "object", "embed", "textarea"])
    for svg in soup.find_all("svg"):
        assert "timeline-svg" in (svg.get("class") or []), str(svg)[:200]
    for mark in soup.find_all("mark"):
        assert not mark.attrs, str(mark)
    return soup


def get_html(client, url: str, htmx: bool = False) -> BeautifulSoup:
    resp = client.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert resp.status_code == 200, (url, resp.status_code)
    assert resp.mimetype == "text/html"
    return assert_inert(resp.get_data(as_text=True))


def visible(soup: BeautifulSoup) -> str:
    return " ".join(soup.get_text(" ").split())


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("params", [
    {"q": "securite"},
    {"q": "securite", "outlet": OUTLET, "author": AUTHOR},
    {"q": "cooperation", "person": PERSON, "-author": COMMENTER},
    {"q": SCRIPT},
    {"q": f"sécurité {IMG}", "sort": "newest"},
    {"q": "", "person_filter": "awa", "facet_limit": "0"},
    {"q": "securite", "scope": "comments"},
    {"q": "securite", "year": "2021", "outlet": OUTLET},
])
def test_search_pages_render_probes_as_text(client, params, htmx):
    soup = get_html(client, "/search?" + urlencode(params), htmx=htmx)
    if params["q"]:
        assert soup.find_all("mark"), "the query word should be highlighted somewhere"


def test_probes_are_shown_as_text_in_hits_snippets_facets_and_chips(vclient):
    soup = get_html(vclient, "/search?" + urlencode({"q": "securite", "outlet": OUTLET, "-author": "x"}))
    text = visible(soup)
    assert "Coopération <script>alert(1)</script> et sécurité" in text  # title, escaped not dropped
    assert "Le Canard \"><img src=x onerror=alert(1)>" in text  # facet value and chip
    assert "alert(1)" in " ".join(m.parent.get_text() for m in soup.find_all("mark"))  # snippets


def test_article_page_with_comments_renders_probes_as_text(mode_client):
    mode, client = mode_client
    soup = get_html(client, "/article/sonde-jsonl?q=securite")
    text = visible(soup)
    assert "Coopération" in text and "Sécurité d'abord" in text
    if mode != "verbatim":  # the extractor may have dropped the markup: inert is what counts
        return
    for probe in (SCRIPT, COMMENTER, f"Réponse {SVG}", AUTHOR):
        assert " ".join(probe.split()) in text
    assert not soup.find("a", href=lambda h: h and "javascript" in h.lower())  # the record's url


def test_page_article_renders_probes_as_text(vclient):
    soup = get_html(vclient, "/article/sonde-page?q=" + quote("sécurité"))
    assert SCRIPT in visible(soup)


def test_person_page_renders_a_hostile_name_as_text(vclient):
    soup = get_html(vclient, "/personne/" + quote(PERSON, safe=""))
    assert " ".join(PERSON.split()) in visible(soup)


def test_error_page_renders_the_bad_value_as_text(client):
    resp = client.get("/search?" + urlencode({"year": SCRIPT}))
    assert resp.status_code == 400
    assert_inert(resp.get_data(as_text=True))


@pytest.mark.parametrize("params", [{"q": "securite"}, {"q": SCRIPT, "outlet": OUTLET}])
def test_api_returns_probes_inside_json_strings(vclient, params):
    resp = vclient.get("/api/search?" + urlencode(params))
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    data = json.loads(resp.get_data(as_text=True))
    assert OUTLET in [row["value"] for row in data["facets"]["outlet"]]
    assert PERSON in [row["value"] for row in data["facets"]["person"]]
    for hit in data["hits"]:
        for snippet in hit["snippets"]:
            assert_inert(snippet["html"])
        assert_inert(hit["title_html"])
