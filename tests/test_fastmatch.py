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


WORDS = "mali niger sahel paix accord bamako mil coton".split()


@pytest.fixture(scope="module")
def random_bodies(tmp_path_factory):
    """Sixty bodies of words drawn from a small vocabulary (so that words repeat), in three segments."""
    rng = np.random.default_rng(7)
    bodies = {f"b{i:02d}": " ".join(rng.choice(WORDS, size=int(rng.integers(1, 40)))) for i in range(60)}
    index_dir = tmp_path_factory.mktemp("positions")
    build_index(index_dir, [article(aid, "Texte", body) for aid, body in bodies.items()], segments=3)
    return SearchService(index_dir), bodies


def _expected_chain(bodies: dict, chain: list[tuple[str, int]]) -> set[str]:
    out = set()
    for aid, body in bodies.items():
        words = body.split()
        if any(all(s + off < len(words) and words[s + off] == w for w, off in chain) for s in range(len(words))):
            out.add(aid)
    return out


CHAINS = [[("mali", 0)], [("mali", 0), ("niger", 1)], [("paix", 0), ("paix", 1)], [("accord", 0), ("mil", 2)],
          [("mil", 0), ("coton", 1), ("mil", 2)], [("sahel", 0), ("bamako", 3), ("paix", 4)],
          [("coton", 0), ("coton", 1), ("coton", 2)], [("absent", 0), ("mali", 1)]]


@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: "+".join(f"{w}@{o}" for w, o in c))
def test_position_checks_find_exactly_the_documents_with_the_words_at_their_offsets(random_bodies, chain):
    svc, bodies = random_bodies
    searcher, gen = svc._current()
    docnum = {searcher.stored_fields(d)["id"]: d for d in range(searcher.doc_count_all())}
    candidates = np.array(sorted(docnum.values()), dtype=np.int64)
    found = gen.postings.verify([("body_exact", w, off) for w, off in chain], candidates)
    by_doc = {d: aid for aid, d in docnum.items()}
    assert {by_doc[d] for d in found.tolist()} == _expected_chain(bodies, chain)
    # a subset of candidates restricts the answer to it
    half = candidates[::2]
    found_half = gen.postings.verify([("body_exact", w, off) for w, off in chain], half)
    assert {by_doc[d] for d in found_half.tolist()} == _expected_chain(bodies, chain) & {by_doc[d] for d in half.tolist()}


@pytest.mark.parametrize("word", ["mali", "coton", "absent"])
def test_first_positions_are_each_documents_first_occurrence(random_bodies, word):
    svc, bodies = random_bodies
    searcher, gen = svc._current()
    docnum = {searcher.stored_fields(d)["id"]: d for d in range(searcher.doc_count_all())}
    order = sorted(docnum, reverse=True)  # candidates in any order
    first = gen.postings.first_positions("body_exact", word, np.array([docnum[a] for a in order], dtype=np.int64))
    expected = [bodies[a].split().index(word) if word in bodies[a].split() else -1 for a in order]
    assert first.tolist() == expected
