"""The OpenSearch engine against a real node: same hits, facet counts and timeline as Whoosh's SearchService.

The node is the project's own (``tools/opensearch-node``, built with Maven and started on free
ports for the session), or the cluster ``PRESSE_OPENSEARCH_URL`` names. Without Java or Maven
the tests skip, unless ``PRESSE_REQUIRE_OPENSEARCH=1`` makes a missing node a failure.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest

from search import engines
from search.engines import opensearch_index as osi
from search.engines.opensearch import OpenSearchEngine
from search.index.analysis import analyze_terms
from search.query.request import SearchRequest
from search.query.service import SearchService
from tests.conftest import SEEDS
from tests.opensearch_node import Node, _alias, _drop, _java
from tests.query_fixtures import ARTICLES, article, build_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fixture_engines(opensearch_url, tmp_path_factory):
    """Return (OpenSearch engine, Whoosh SearchService) over the query fixtures' articles."""
    eng = OpenSearchEngine(opensearch_url, alias=_alias("fixtures"))
    eng.reindex(None, persons=False, articles=ARTICLES)
    svc = SearchService(build_index(tmp_path_factory.mktemp("fixtures-index"), ARTICLES))
    yield eng, svc
    _drop(eng)


@pytest.fixture(scope="module")
def seed_engines(opensearch_url, seed_index):
    """Return (OpenSearch engine, Whoosh SearchService) over the seeds, persons from the NER in both."""
    eng = OpenSearchEngine(opensearch_url, alias=_alias("seeds"))
    eng.reindex(SEEDS, persons=True)
    yield eng, SearchService(seed_index)
    _drop(eng)


def _summary(result) -> dict:
    """Return what both engines must agree on: hit ids, totals, facet counts, timeline."""
    d = result.to_dict()
    return {
        "total": d["total"], "total_stories": d["total_stories"], "pages": d["pages"],
        "ids": sorted(h["id"] for h in d["hits"]),
        # scores differ between the engines; date orders must not
        "order": [h["id"] for h in d["hits"]] if d["sort"] != "relevance" or not d["query"] else None,
        "versions": sorted((h["id"], tuple(v["id"] for v in h["versions"])) for h in d["hits"]),
        "facets": {k: [(r["value"], r["count"], r["selected"], r["excluded"]) for r in v]
                   for k, v in d["facets"].items()},
        "facet_totals": d["facet_totals"], "timeline": d["timeline"],
        # the forms a prefix or fuzzy word expanded to, and the corrections, come from one vocabulary
        "interpreted": d["interpreted"], "fallback": d["fallback"],
        "suggestion": d["suggestion"], "corrected_from": d.get("corrected_from"),
    }


FIXTURE_QUERIES = [
    {"q": ""},
    {"q": "coopération"},
    {"q": "cooperation"},  # accents
    {"q": "SÉCURITÉ"},
    {"q": "l'accord"},  # elision with '
    {"q": "l’accord"},  # and with ’
    {"q": '"forces armées"'},  # phrase
    {"q": "« forces armées »"},
    {"q": "niger OR russie"},
    {"q": "sécurité NOT niger"},
    {"q": "sécurité SAUF niger"},
    {"q": "titre:sécurité"},
    {"q": "texte:coopération"},
    {"q": "commentaires:ministre"},
    {"q": "coop*"},
    {"q": "transhumence~"},  # fuzzy
    {"q": "personne:goïta"},
    {"q": "media:maliweb"},
    {"q": "auteur:keita"},
    {"q": "annee:2023"},
    {"q": "annee:2021..2022"},
    {"q": "date:2023-08"},
    {"q": "mil", "collapse": "0"},
    {"q": "", "outlet": ["Maliweb", "L'Essor"]},  # outlet OR
    {"q": "", "person": ["Assimi Goïta", "Sadio Camara"]},  # person AND
    {"q": "", "person": ["Assimi Goïta"], "-outlet": ["Maliweb"]},
    {"q": "", "year": ["2023"]},  # months within one year
    {"q": "", "not_person": ["Sergueï Lavrov"]},
    {"q": "", "outlet": ["Absent"]},  # an unknown ticked value counts 0
    {"q": "", "comments": "1"},
    {"q": "", "from": "2023-01-01", "to": "2023-12-31"},
    {"q": "", "sort": "oldest", "facet_filter_outlet": "mali"},
    {"q": "sécurité", "scope": "articles"},
    {"q": "accord", "scope": "comments"},
    {"q": "", "limit": "3", "page": "2", "sort": "newest"},
    {"q": "sécurité", "sort": "oldest"},
    {"q": "", "sort": "oldest", "collapse": "0"},
    {"q": "", "limit": "100", "page": "5000"},  # beyond the last page and the result window
]
#: The operator, field, date and hostile queries of the Whoosh query tests, by the same table.
FIXTURE_QUERIES += [{"q": q} for q in [
    "sécurité OU transhumance", "sécurité ET niger", "sécurité -niger", "(niger OU sahel) sécurité",
    "“forces armées”", '"armées forces"', "Beloussof~", "Lavrof~", "title:sécurité", "texte:mil",
    "commentaires:bravo", "author:Traoré", "journal:essor", "person:GOÏTA", 'personne:"Assimi Goïta"',
    "année:2021..2022", "date:2021..2022", "date:2023-08-02", "-annee:2023 -annee:2022 -annee:2024",
    "-date:2023", "date:0000..2023", "annee:..2024", "date:2023-02-30", "date:9999",
    "coopération PROCHE/5 militaire", "sécurité NEAR/3 frontières", '"forces armées" PROCHE sécurité',
    '"coopération (militaire', "title:", "AND", "~", "😀 coopération 🇲🇱", "coopération\x00\x1b[31m",
    "https://www.maliweb.net/politique/a-b.html?x=(1)", "?!?!", "*", "*ation", "OR OR", "date:abcd",
    "annee:", "personne:", "((((", ")))", '""', "« »", "le la les", "coopération" + " x" * 3000,
]]


@pytest.mark.parametrize("params", FIXTURE_QUERIES, ids=lambda p: " ".join(f"{k}={v}" for k, v in p.items()))
def test_opensearch_gives_the_hits_and_facets_of_whoosh_on_the_fixtures(fixture_engines, params):
    eng, svc = fixture_engines
    req = SearchRequest.from_params({"limit": "100", "autocorrect": "0", **params})
    assert _summary(eng.search(req)) == _summary(svc.search(req))


SEED_QUERIES = [
    "mali", "Mali", "sécurité", "securite", "Goïta", "goita", "avenir", "l'avenir",
    '"forces armées"', "mali OR niger", "mali NOT russie", "titre:mali", "coop*", "bamako ET armée",
]


@pytest.mark.parametrize("q", SEED_QUERIES)
def test_opensearch_gives_the_hits_and_facets_of_whoosh_on_the_seeds(seed_engines, q):
    eng, svc = seed_engines
    req = SearchRequest.from_params({"q": q, "limit": "100", "autocorrect": "0"})
    assert _summary(eng.search(req)) == _summary(svc.search(req))


def test_the_seeds_persons_are_the_ner_persons_of_the_whoosh_index(seed_engines):
    eng, svc = seed_engines
    req = SearchRequest.from_params({"facet_limit": "0"})
    persons = _summary(svc.search(req))["facets"]["person"]
    assert persons  # the NER found persons in the seeds
    assert _summary(eng.search(req))["facets"]["person"] == persons
    name = persons[0][0]
    assert eng.person(name) == svc.person(name)


ANALYSED = ["L’Avenir des forces armées au Mali", "Sécurité renforcée à Bamako", "même meme maïs mais",
            "aujourd'hui qu'aujourd'hui", "France franc Mali mal", "les armées sécurités lumière",
            "Mali-Russie 3,5 2023-08-02", "jusqu’à lorsqu'il", "N'Diaye et n'est pas",
            "n'diaye ndiaye N'Guessan n'guessan M'Bodj N’Djamena", "Mʼbodj mʼest l‘accord", "L'Essor de l’Aube",
            # words cut by presse's rule, not Lucene's standard tokenizer
            "la grève.Des élèves Ségou.Le U.S.A mot_clé de_la", "www.maliweb.net/actu_2024 redaction@journal.ml",
            "1,5 10.000 3.2.1 2023-08-02 1er", "a" * 61 + " l'" + "x" * 59 + " l'" + "x" * 57 + " court"]


@pytest.mark.parametrize("text", ANALYSED)
@pytest.mark.parametrize("analyzer, ours, mode", [
    ("presse_french", "french", "index"), ("presse_french_query", "french", "query"),
    ("presse_exact", "exact", "index"), ("presse_exact_query", "exact", "query"),
    ("presse_names", "keyword", "index"), ("presse_names_query", "keyword", "query"),
])
def test_the_index_analyzers_give_the_terms_of_the_product_analyzers(fixture_engines, text, analyzer, ours, mode):
    eng, _svc = fixture_engines
    answer = eng.client.request("POST", f"/{eng.alias}/_analyze", {"analyzer": analyzer, "text": text})
    assert [t["token"] for t in answer["tokens"]] == analyze_terms(text, ours, mode=mode)


def test_highlights_are_marks_only_and_the_rest_is_escaped(fixture_engines):
    eng, _svc = fixture_engines
    hit = eng.search(SearchRequest.from_params({"q": "sécurité garantie"})).hits[0]
    assert hit["id"] == "a6"
    html = hit["title_html"] + "".join(s["html"] for s in hit["snippets"])
    assert "<mark>sécurité</mark>" in html
    assert "<script" not in html and "<b>" not in html and "&lt;script&gt;" in html


def test_an_article_page_matches_whoosh_apart_from_highlighting(fixture_engines):
    eng, svc = fixture_engines
    ours, theirs = eng.article("a1", q="coopération"), svc.article("a1", q="coopération")
    assert ours is not None and eng.article("absent") is None
    assert set(ours) == set(theirs)
    for key in ("id", "title", "outlet", "date", "persons", "body", "comments_count", "versions"):
        assert ours[key] == theirs[key], key
    assert "<mark>coopération</mark>" in ours["body_html"]
    assert [c["id"] for c in ours["comments"]] == ["c1"] and ours["comments"][0]["replies"][0]["id"] == "c2"


def test_a_failed_reindex_keeps_the_previous_index_serving(opensearch_url, monkeypatch):
    eng = OpenSearchEngine(opensearch_url, alias=_alias("atomic"))
    try:
        eng.reindex(None, persons=False, articles=ARTICLES[:3])
        before = eng._alias_targets()
        real = osi.to_source

        def broken(art, story=None, story_size=1):
            src = real(art, story, story_size)
            if art["id"] == "a2":
                src["unknown_field"] = 1  # the strict mapping refuses it
            return src

        monkeypatch.setattr(osi, "to_source", broken)
        with pytest.raises(osi.OpenSearchError, match="a2"):
            eng.reindex(None, persons=False, articles=ARTICLES)
        assert eng._alias_targets() == before
        assert eng.search(SearchRequest()).total == 3
        indexes = eng.client.request("GET", f"/_cat/indices/{eng.alias}-*?format=json")
        # the half-written index and its vocabulary were dropped
        assert sorted(i["index"] for i in indexes) == sorted(before + [osi.vocabulary_index(i) for i in before])
        monkeypatch.setattr(osi, "to_source", real)
        report = eng.reindex(None, persons=False, articles=ARTICLES + [article("n1", "Nouveau", "Texte neuf.")])
        assert report["articles"] == len(ARTICLES) + 1 and not report["failed"]
        assert eng._alias_targets() != before and eng.search(SearchRequest()).total == len(ARTICLES) + 1
    finally:
        _drop(eng)


@pytest.mark.parametrize("env, expected", [
    ({}, "whoosh"),
    ({"PRESSE_ENGINE": "whoosh"}, "whoosh"),
    ({"PRESSE_ENGINE": "OpenSearch", "PRESSE_OPENSEARCH_URL": "http://127.0.0.1:9/"}, "opensearch"),
])
def test_the_engine_is_the_one_presse_engine_names(env, expected, tmp_path):
    eng = engines.get_engine(tmp_path, environ=env)
    assert eng.name == expected
    if expected == "opensearch":
        assert eng.client.url == "http://127.0.0.1:9" and eng.alias == "presse"
        assert {"suggestions", "export", "sources"} <= eng.capabilities


def test_an_unknown_engine_name_is_an_error():
    with pytest.raises(engines.UnknownEngine):
        engines.get_engine(environ={"PRESSE_ENGINE": "solr"})


def _nodes(url: str) -> int:
    with urllib.request.urlopen(url + "/_cluster/health", timeout=2) as resp:
        return json.load(resp)["number_of_nodes"]


def test_two_nodes_form_a_cluster_and_a_replica_answers_when_one_stops(tmp_path):
    if os.environ.get("PRESSE_OPENSEARCH_URL"):
        pytest.skip("a cluster of the project's own nodes only (PRESSE_OPENSEARCH_URL is set)")
    java = _java()
    homes = [tmp_path / "n1", tmp_path / "n2"]
    for h in homes:
        h.mkdir()
    first, second = (Node(h, heap="384m") for h in homes)
    seeds = f"127.0.0.1:{first.transport},127.0.0.1:{second.transport}"
    for name, node in (("n1", first), ("n2", second)):
        node.args = ("--node-name", name, "--cluster-name", f"presse-two-{os.getpid()}",
                     "--seed-hosts", seeds, "--initial-nodes", "n1,n2")
    try:
        first.start(java)
        second.start(java)
        first.wait(lambda url: _nodes(url) == 2)
        eng = OpenSearchEngine(first.url, alias=_alias("two"), replicas=1)
        eng.reindex(None, persons=False, articles=ARTICLES)
        eng.client.request("GET", "/_cluster/health?wait_for_status=green&timeout=60s")
        manager = eng.client.request("GET", "/_cat/cluster_manager?format=json")[0]["node"]
        # two nodes keep a quorum only while the elected cluster manager lives: stop the other one
        survivor, stopped = (first, second) if manager == "n1" else (second, first)
        eng = OpenSearchEngine(survivor.url, alias=eng.alias)
        reqs = [SearchRequest.from_params({"q": q, "limit": "100"}) for q in ("", "coopération", "mali OR niger")]
        before = [_summary(eng.search(r)) for r in reqs]
        stopped.stop()
        deadline = time.monotonic() + 60
        while _nodes(survivor.url) != 1 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _nodes(survivor.url) == 1
        assert [_summary(eng.search(r)) for r in reqs] == before
    finally:
        first.stop()
        second.stop()


# ---------------------------------------------------------------- the web app on OpenSearch

@pytest.fixture(scope="module")
def web_pair(fixture_engines, tmp_path_factory):
    """Return (web client on OpenSearch, web client on Whoosh) over the same fixture articles."""
    from webapp import create_app

    eng, svc = fixture_engines
    on_os = create_app({"ENGINE": "opensearch", "OPENSEARCH_URL": eng.client.url, "OPENSEARCH_INDEX": eng.alias,
                        "TESTING": True}).test_client()
    on_whoosh = create_app({"INDEX_DIR": str(svc.index_dir), "ENGINE": "whoosh", "TESTING": True}).test_client()
    return on_os, on_whoosh


@pytest.mark.parametrize("query", ["q=cooperation", "q=securite&outlet=Maliweb", "person=Sadio+Camara",
                                   "q=%22forces+armees%22", "q=mali&sort=newest", "q=accord+PROCHE%2F4+moscou"])
def test_the_web_app_on_opensearch_lists_the_hits_of_the_whoosh_app(web_pair, query):
    on_os, on_whoosh = web_pair
    a, b = on_os.get("/api/search?" + query), on_whoosh.get("/api/search?" + query)
    assert a.status_code == b.status_code == 200
    assert [h["id"] for h in a.get_json()["hits"]] == [h["id"] for h in b.get_json()["hits"]]
    page = on_os.get("/search?" + query)
    assert page.status_code == 200 and "Vary" in page.headers


@pytest.mark.parametrize("path", ["/article/a1?q=cooperation", "/personne/Sadio%20Camara", "/feed?q=cooperation",
                                  "/healthz"])
def test_the_pages_of_the_web_app_answer_on_opensearch(web_pair, path):
    on_os, _ = web_pair
    assert on_os.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/export?q=cooperation&format=csv", "/sources"])
def test_the_export_and_the_sources_page_answer_on_opensearch(web_pair, path):
    on_os, _ = web_pair
    resp = on_os.get(path)
    assert resp.status_code == 200 and "OpenSearch" not in resp.get_data(as_text=True)
    page = on_os.get("/search?q=cooperation").get_data(as_text=True)
    assert "Export non disponible" not in page and "/export?q=cooperation" in page


@pytest.mark.parametrize("env, args, code", [
    ({"PRESSE_ENGINE": "bogus"}, ["search", "mali"], 1),
    ({"PRESSE_ENGINE": "bogus"}, ["reindex", "--source", str(SEEDS)], 2),
    ({"PRESSE_ENGINE": "opensearch", "PRESSE_OPENSEARCH_URL": "http://127.0.0.1:9"}, ["search", "mali"], 1),
])
def test_the_cli_says_why_an_engine_cannot_serve_without_a_traceback(monkeypatch, tmp_path, env, args, code):
    from click.testing import CliRunner

    from search.cli import main

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, args + ["--index", str(tmp_path / "ix")])
    assert result.exit_code == code and "error:" in result.output and "Traceback" not in result.output
