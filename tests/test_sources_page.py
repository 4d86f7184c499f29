"""« À propos des sources » (``/sources``), on both engines: outlets, years and the index's build time, from the index."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from search.index import reindex as indexer
from tests.engine_fixture import absent, build, seeds, whoosh_only
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from webapp import create_app
from webapp import sources as sp

RECORDS = [
    {"id": "m1", "title": "Un", "body": "Texte un.", "outlet": "Maliweb", "date": "2019-03-04"},
    {"id": "m2", "title": "Deux", "body": "Texte deux.", "outlet": "Maliweb", "date": "2023-11"},
    {"id": "m3", "title": "Trois", "body": "Texte trois.", "outlet": "maliweb", "date": "2021-06-01"},
    {"id": "m4", "title": "Quatre", "body": "Texte quatre.", "outlet": "Maliweb", "date": "2016", "date_estimated": True},
    {"id": "e1", "title": "Cinq", "body": "Texte cinq.", "outlet": "L'Essor", "date": "2020-01-15"},
    {"id": "x1", "title": "Six", "body": "Texte six.", "outlet": "<script>alert(1)</script> & Cie"},
    {"id": "n1", "title": "Sept", "body": "Texte sept.", "date": "2023-02-02"},
]


def _write(src, records) -> None:
    (src / "bulk.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


@pytest.fixture()
def archive(engine_name, request, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _write(src, RECORDS)
    return src, build(request, engine_name, source=src, label="sources")


def _client(built):
    return built.web()


def _rows(html: str, table: str) -> list[list[str]]:
    body = html.split(f'class="coverage coverage-{table}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)])
    return rows


def test_outlets_are_listed_with_counts_and_their_first_and_last_published_dates(archive):
    html = _client(archive[1]).get("/sources").get_data(as_text=True)
    rows = _rows(html, "outlets")
    assert rows == [
        # the estimated 2016 does not move Maliweb's first date; « maliweb » is the same outlet
        ["Maliweb", "4", "4 mars 2019", "novembre 2023"],
        ["&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie", "1", "non daté", "non daté"],
        ["L’Essor", "1", "15 janvier 2020", "15 janvier 2020"],
    ]
    assert "1 article sans média connu" in html
    assert 'href="/search?outlet=Maliweb"' in html


def test_articles_are_counted_per_year_with_the_gaps_and_the_undated(archive):
    html = _client(archive[1]).get("/sources").get_data(as_text=True)
    rows = _rows(html, "years")
    assert [r[:3] for r in rows] == [["2016", "1", "1"], ["2017", "0", ""], ["2018", "0", ""], ["2019", "1", ""],
                                     ["2020", "1", ""], ["2021", "1", ""], ["2022", "0", ""], ["2023", "2", ""]]
    assert "1 article sans date" in html
    assert "1 article dont l’année est estimée" in html
    assert "L’archive compte 7 articles de 3 médias." in html


def test_the_page_says_when_the_index_was_built(archive):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    _src, index_dir = archive
    html = _client(index_dir).get("/sources").get_data(as_text=True)
    stamp = re.search(r'Index construit le <time datetime="([^"]+)">([^<]+)</time>', html)
    assert stamp
    built = datetime.strptime(stamp.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs((built - before).total_seconds()) < 120
    assert stamp.group(2).endswith("(UTC)") and " à " in stamp.group(2)


@whoosh_only("the coverage of the Whoosh facet columns, and the reopening of its index handle")
def test_the_coverage_is_computed_once_per_index_generation(archive, monkeypatch):
    src, built = archive
    index_dir = built.index_dir
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True, })
    client = app.test_client()
    calls = []
    real = sp._outlets
    monkeypatch.setattr(sp, "_outlets", lambda data: calls.append(1) or real(data))
    assert "7 articles" in client.get("/sources").get_data(as_text=True)
    assert "7 articles" in client.get("/sources").get_data(as_text=True)
    assert len(calls) == 1
    _write(src, RECORDS + [{"id": "e2", "title": "Huit", "body": "Texte huit.", "outlet": "L'Essor",
                            "date": "2024-05-06"}])
    indexer.reindex(src, index_dir, full=True, persons=False)
    svc = app.extensions["presse.service"]
    svc.handle.check_interval = 0  # see the new generation now rather than within half a second
    html = client.get("/sources").get_data(as_text=True)
    assert "8 articles" in html and len(calls) == 2
    assert ["L’Essor", "2", "15 janvier 2020", "6 mai 2024"] in _rows(html, "outlets")


def test_every_page_links_to_the_sources_page(archive):
    client = _client(archive[1])
    for url in ("/", "/search?q=texte", "/article/m1", "/sources", "/nowhere"):
        html = client.get(url).get_data(as_text=True)
        assert '<a href="/sources">À propos des sources</a>' in html, url


def test_an_empty_archive_has_a_sources_page_too(engine_name, request, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _write(src, [])
    resp = _client(build(request, engine_name, source=src, label="empty")).get("/sources")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Aucun article daté." in html and "Aucun média connu." in html


def test_without_an_index_the_sources_page_says_to_build_one(engine_name, request):
    resp = create_app(absent(request, engine_name)).test_client().get("/sources")
    assert resp.status_code == 503 and "presse reindex" in resp.get_data(as_text=True)


def test_the_seed_archive_shows_its_estimated_year(engine_name, request):
    html = _client(seeds(request, engine_name)).get("/sources").get_data(as_text=True)
    years = {r[0]: r[1:3] for r in _rows(html, "years")}
    assert years["2021"] == ["1", "1"] and years["2023"] == ["1", ""]
