"""Atom feeds of saved searches (``/feed?…``), on both engines: valid Atom 1.0, newest first, linked from the page."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from search.query.request import SearchRequest
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from webapp.feed import FEED_ENTRIES, atom_date

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _records() -> list[dict]:
    out = [{"id": f"d{i:03d}", "title": f"Coopération militaire {i}", "body": f"La coopération militaire, épisode {i}.",
            "outlet": ["Maliweb", "L'Essor", "APA"][i % 3], "author": "Awa Traoré" if i % 2 else None,
            "date": f"{2010 + i % 14}-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "url": f"https://ex.example/{i}?a=1&b=2"}
           for i in range(80)]
    out += [
        {"id": "xss", "title": "Sécurité : <script>alert(1)</script> & « Co »", "outlet": "Le <b>Monde</b> & Cie",
         "author": "Jean \"Jo\" <Dupont>", "date": "2024-01-02", "body": "Coopération <img src=x onerror=alert(1)> ok."},
        {"id": "guess", "title": "Coopération estimée", "date": "2019", "date_estimated": True,
         "body": "Coopération d’une année devinée."},
        {"id": "nodate", "title": "Coopération sans date", "outlet": "APA", "body": "Coopération."},
    ]
    return [{k: v for k, v in r.items() if v is not None} for r in out]


@pytest.fixture(scope="module")
def feed_index(engine_name, request, tmp_path_factory):
    src = tmp_path_factory.mktemp("feed-src")
    (src / "bulk.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), "utf-8")
    return build(request, engine_name, source=src, label="feed")


@pytest.fixture(scope="module")
def client(feed_index):
    return feed_index.web()


def _feed(client, query: str) -> ET.Element:
    resp = client.get(f"/feed?{query}")
    assert resp.status_code == 200
    assert resp.mimetype == "application/atom+xml" and resp.mimetype_params["charset"] == "utf-8"
    root = ET.fromstring(resp.get_data())
    assert_valid_atom(root)
    return root


def assert_valid_atom(feed: ET.Element) -> None:
    """Check the constraints of RFC 4287 that a feed reader relies on."""
    assert feed.tag == f"{A}feed"
    for element, required in ((feed, ("id", "title", "updated")),):
        for name in required:
            assert len(element.findall(f"{A}{name}")) == 1, name
    feed_has_author = bool(feed.findall(f"{A}author/{A}name"))
    assert urlsplit(feed.findtext(f"{A}id")).scheme in ("http", "https")
    assert RFC3339.fullmatch(feed.findtext(f"{A}updated"))
    assert [link.get("href") for link in feed.findall(f"{A}link[@rel='self']")]
    ids = []
    for entry in feed.findall(f"{A}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, name
        assert RFC3339.fullmatch(entry.findtext(f"{A}updated"))
        if entry.find(f"{A}published") is not None:
            assert RFC3339.fullmatch(entry.findtext(f"{A}published"))
        assert feed_has_author or entry.findall(f"{A}author/{A}name")
        alternates = entry.findall(f"{A}link[@rel='alternate']")
        assert len(alternates) == 1 and urlsplit(alternates[0].get("href")).scheme == "http"
        for cat in entry.findall(f"{A}category"):
            assert cat.get("term")
        ids.append(entry.findtext(f"{A}id"))
    assert len(ids) == len(set(ids))


def _entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{A}entry")


def _entry_id(entry: ET.Element) -> str:
    return urlsplit(entry.find(f"{A}link[@rel='alternate']").get("href")).path.rsplit("/", 1)[-1]


def test_a_feed_holds_the_fifty_newest_hits_whatever_the_page_asks(client, feed_index):
    feed = _feed(client, "q=cooperation&sort=oldest&page=3&limit=5")
    entries = _entries(feed)
    assert len(entries) == FEED_ENTRIES
    newest = feed_index.search(SearchRequest(q="cooperation", sort="newest", limit=FEED_ENTRIES))
    assert [_entry_id(e) for e in entries] == [h["id"] for h in newest.hits]
    updated = [e.findtext(f"{A}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert feed.findtext(f"{A}updated") == updated[0]


def test_a_feed_keeps_every_filter_of_the_search(client, feed_index):
    feed = _feed(client, "q=cooperation&outlet=APA&-year=2012")
    ids = [_entry_id(e) for e in _entries(feed)]
    assert ids and all(i == "nodate" or int(i[1:]) % 3 == 2 for i in ids)
    expected = feed_index.search(
        SearchRequest(q="cooperation", outlet=["APA"], not_year=["2012"], sort="newest", limit=FEED_ENTRIES))
    assert ids == [h["id"] for h in expected.hits]
    assert {c.get("term") for c in feed.iter(f"{A}category")} == {"APA"}


def test_a_feed_names_itself_and_links_to_its_search(client):
    feed = _feed(client, "q=coopération militaire&outlet=Maliweb&sort=oldest")
    assert feed.findtext(f"{A}title") == "presse — coopération militaire"
    self_link = urlsplit(feed.find(f"{A}link[@rel='self']").get("href"))
    assert (self_link.netloc, self_link.path) == ("localhost", "/feed")
    assert parse_qs(self_link.query) == {"q": ["coopération militaire"], "outlet": ["Maliweb"], "sort": ["oldest"]}
    assert feed.find(f"{A}link[@rel='self']").get("type") == "application/atom+xml"
    alternate = urlsplit(feed.find(f"{A}link[@rel='alternate']").get("href"))
    assert (alternate.scheme, alternate.netloc, alternate.path) == ("http", "localhost", "/search")
    assert parse_qs(alternate.query) == parse_qs(self_link.query)
    assert _feed(client, "").findtext(f"{A}title") == "presse — tous les articles"


def test_an_entry_carries_title_link_dates_author_outlet_and_an_escaped_snippet(client):
    raw = client.get("/feed?q=episode&year=2011").get_data(as_text=True)
    entries = {_entry_id(e): e for e in _entries(ET.fromstring(raw))}
    e = entries["d001"]
    assert e.findtext(f"{A}title") == "Coopération militaire 1"
    assert e.find(f"{A}link[@rel='alternate']").get("href") == "http://localhost/article/d001"
    assert e.find(f"{A}link[@rel='related']").get("href") == "https://ex.example/1?a=1&b=2"
    assert e.findtext(f"{A}published") == e.findtext(f"{A}updated") == "2011-02-02T00:00:00Z"
    assert e.findtext(f"{A}author/{A}name") == "Awa Traoré"
    assert e.find(f"{A}category").get("term") == "L’Essor"
    summary = e.find(f"{A}summary")
    assert summary.get("type") == "html" and "<mark>épisode</mark>" in summary.text
    assert "&lt;mark&gt;épisode&lt;/mark&gt;" in raw  # escaped in the document, HTML once read
    assert entries["d015"].findtext(f"{A}author/{A}name") == "Awa Traoré"
    unsigned = _entries(_feed(client, "q=episode&year=2012"))
    signed = {e.findtext(f"{A}author/{A}name") for e in unsigned if int(_entry_id(e)[1:]) % 2 == 0}
    assert signed and signed <= {"Maliweb", "L’Essor", "APA"}  # no byline: the outlet signs


def test_markup_in_titles_names_and_bodies_never_reaches_the_feed_as_markup(client):
    raw = client.get("/feed?q=securite").get_data(as_text=True)
    assert "<script>" not in raw and "<img" not in raw and "<b>" not in raw
    entry = next(e for e in _entries(ET.fromstring(raw)) if _entry_id(e) == "xss")
    assert entry.findtext(f"{A}title") == "Sécurité : <script>alert(1)</script> & « Co »"
    assert entry.find(f"{A}category").get("term") == "Le <b>Monde</b> & Cie"
    assert entry.findtext(f"{A}author/{A}name") == "Jean \"Jo\" <Dupont>"


def test_an_estimated_or_missing_date_is_never_published(client):
    entries = {_entry_id(e): e for e in _entries(_feed(client, "q=cooperation+estimee+OR+sans+date"))}
    assert entries["guess"].find(f"{A}published") is None
    assert entries["guess"].findtext(f"{A}updated") == "2019-01-01T00:00:00Z"  # orders it, as the page does
    assert entries["nodate"].find(f"{A}published") is None
    assert RFC3339.fullmatch(entries["nodate"].findtext(f"{A}updated"))


@pytest.mark.parametrize("date, stamp", [
    ("2023-08-02", "2023-08-02T00:00:00Z"), ("2023-08", "2023-08-01T00:00:00Z"), ("2023", "2023-01-01T00:00:00Z"),
    ("2023-02-30", None), ("", None), (None, None), ("août 2023", None),
])
def test_article_dates_become_atom_timestamps_only_when_they_are_real_days(date, stamp):
    assert atom_date(date) == stamp


def test_the_search_page_links_its_feed_in_the_head_and_in_the_page(client):
    html = client.get("/search?q=cooperation&outlet=APA&sort=oldest").get_data(as_text=True)
    head = html.split("</head>")[0]
    link = re.search(r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">', head)
    assert link and link.group(1) == "presse — cooperation (flux Atom)"
    assert parse_qs(urlsplit(link.group(2).replace("&amp;", "&")).query) == {
        "q": ["cooperation"], "outlet": ["APA"], "sort": ["oldest"]}
    body = html.split("</head>")[1]
    copy_box = re.search(r'<input id="feed-url"[^>]* readonly value="([^"]+)"', body)
    assert copy_box and copy_box.group(1).replace("&amp;", "&") == "http://localhost/feed?q=cooperation&outlet=APA&sort=oldest"
    assert re.search(r'<button type="button" class="btn-copy" data-copy="feed-url" hidden>Copier le lien</button>', body)


def test_the_search_page_asks_for_the_print_stylesheet(client):
    html = client.get("/search?q=cooperation").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/print.css" media="print">' in html
    with client.get("/static/print.css") as css:
        assert css.status_code == 200 and ".sidebar" in css.get_data(as_text=True)


HOSTILE = [
    "q=%00%01%0b", "q=%EF%BF%BE%EF%BF%BF", "q=]]%3E%3C!--", "q=%3C%2Ffeed%3E", "year=abcd", "month=2023-13",
    "sort=random", "page=0", "limit=999999", "outlet=" + "&outlet=".join(str(i) for i in range(60)),
    "q=" + "%C3%A9" * 1200, "q=%22unbalanced", "q=titre:", "person=%E2%80%AE", "q=coop*~",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_feed_parameters_get_valid_atom_or_a_french_400_never_a_500(client, query):
    resp = client.get(f"/feed?{query}")
    assert resp.status_code in (200, 400)
    if resp.status_code == 200:
        assert_valid_atom(ET.fromstring(resp.get_data()))
    else:
        assert "Paramètre invalide" in resp.get_data(as_text=True)


def test_a_feed_of_a_search_without_hits_is_still_a_valid_feed(client):
    feed = _feed(client, "q=zzzzqqqq")
    assert _entries(feed) == []
    datetime.strptime(feed.findtext(f"{A}updated"), "%Y-%m-%dT%H:%M:%SZ")
