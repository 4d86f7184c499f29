"""The numpy matcher gives exactly Whoosh's hits and BM25F scores, only faster."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq

from search.query import match as fm
from search.query import language as ql
from search.query.build import Builder
from search.query.service import SearchService
from search.query.request import SearchRequest
from tests.query_fixtures import ARTICLES, article, build_index

QUERIES = [
    "sécurité", "coopération militaire", "coop*", "securiter~", '"forces armées"', "mali -russie",
    "mali OR niger", "NOT mali", "annee:2023 sécurité", "titre:sécurité", '"récolte de mil à Ségou"',
    "personne:goita", "date:2021..2023 mil", "commentaires:ministre",
    # an AND or a NOT inside an OR scores only where it matches, as Whoosh's matchers do
    "mali OU (niger sécurité)", "coton OU (niger -frontières)", "(accord moscou) OR (sécurité niger) OR coton",
]


@pytest.fixture(scope="module", params=[1, 3], ids=["one-segment", "three-segments"])
def svc(request, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp(f"fast-{request.param}")
    build_index(index_dir, ARTICLES, segments=request.param)
    return SearchService(index_dir)


def _whoosh_and_fast(svc, q):
    searcher, gen = svc._current()
    built = Builder(searcher, "all", fuzzy=gen.vocab.fuzzy).build(ql.parse(q).tree)
    expected = {d: s for s, d in searcher.search(built.query, limit=None, terms=False).top_n}
    return expected, fm.evaluate(gen.postings, gen.facets.live, built.query)


@pytest.mark.parametrize("q", QUERIES)
def test_numpy_matching_gives_whooshs_hits_and_scores(svc, q):
    expected, fast = _whoosh_and_fast(svc, q)
    assert fast is not None
    assert set(np.flatnonzero(fast.mask).tolist()) == set(expected)
    for docnum, score in expected.items():
        assert fast.scores[docnum] == pytest.approx(score, rel=1e-9)


def test_a_query_type_it_does_not_know_is_left_to_whoosh(svc):
    searcher, gen = svc._current()
    q = wq.Wildcard("body_exact", "s*curite")
    assert fm.evaluate(gen.postings, gen.facets.live, q) is None
    res = svc.search(SearchRequest.from_params({"q": "sécurité"})).to_dict()
    assert res["total"] >= 1


def test_deleted_documents_never_match(tmp_path):
    from whoosh import index as windex

    from search.index import folder as store

    build_index(tmp_path, [article("x1", "Sécurité", "sécurité au Sahel"), article("x2", "Sécurité", "sécurité")])
    ix = windex.open_dir(str(store.live_path(tmp_path)))
    with ix.writer() as w:
        w.delete_by_term("id", "x1")
    svc = SearchService(tmp_path)
    res = svc.search(SearchRequest.from_params({"q": "sécurité"})).to_dict()
    assert [h["id"] for h in res["hits"]] == ["x2"] and res["total"] == 1


def test_the_page_is_the_top_of_the_ranking_with_ties_by_id(svc):
    res = svc.search(SearchRequest.from_params({"q": "récolte mil", "limit": 1, "page": 2})).to_dict()
    assert [h["id"] for h in res["hits"]] == ["d2"]
    assert res["total"] == 2


def test_a_phrase_repeating_the_same_pairs_is_checked_exactly(tmp_path):
    body = " ".join(["de la"] * 40) + " fin"
    build_index(tmp_path, [article(f"r{i}", "Répétitions", body) for i in range(30)]
                + [article("x", "Autre", "de la fin de la de")])
    svc = SearchService(tmp_path)
    res = svc.search(SearchRequest.from_params({"q": '"' + " ".join(["de la"] * 30) + ' fin"'}))
    assert res.total == 30 and "x" not in {h["id"] for h in res.hits}


def test_phrase_checking_stops_at_the_deadline_with_partial_results(svc):
    from search.query.timelimit import Deadline

    searcher, gen = svc._current()
    built = Builder(searcher, "all").build(ql.parse('"récolte de mil à Ségou"').tree)
    deadline = Deadline(1e-9)
    fast = fm.evaluate(gen.postings, gen.facets.live, built.query, deadline)
    assert fast is not None and not fast.mask.any() and deadline.hit
