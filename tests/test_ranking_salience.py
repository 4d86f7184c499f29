"""Relevance order: an article about every typed word outranks one where a word is a passing mention."""

from __future__ import annotations

import pytest

from search.query.service import SearchService
from search.query.request import SearchRequest
from tests.query_fixtures import article, build_index

#: Six content words a sentence, none of them a query word: 50 sentences, a long article.
FILLER = "Les habitants racontent une journée ordinaire au marché central. "
LONG = FILLER * 50

ARTICLES = [
    # about an attack in Mali, though its title says « soldat tué », not « attaque »
    article("mali", "Un soldat tué dans le nord du Mali",
            "Une attaque terroriste a visé un convoi près de Gao, au Mali. " + FILLER * 6, date="2020-01-01"),
    # about an attack in Niger, the words of the query in its title, Mali once at the very end
    article("niger", "Attaque terroriste au Niger",
            "Une attaque terroriste a frappé Niamey. L'attaque terroriste a fait dix morts. " + LONG
            + "Le groupe armé est aussi actif au Mali.", date="2020-01-02"),
    # a strike in Bamako: the town named in the title, the strike late in the body
    article("bamako", "Bamako : les écoles fermées", "Les cours sont suspendus. " + LONG + "La grève continue.",
            date="2020-01-03"),
    # a strike elsewhere that mentions Bamako once, late
    article("strike", "Grève des enseignants", "Les syndicats appellent à la grève. " + LONG
            + "Une délégation ira à Bamako.", date="2020-01-04"),
    # a word in the lead weighs more than the same word once at the end of a long body
    article("lead", "Rapport annuel", "Le paludisme recule dans la région. " + LONG, date="2020-01-05"),
    article("late", "Rapport annuel", LONG + "Le paludisme recule dans la région.", date="2020-01-06"),
] + [article(f"other{i}", f"Chronique {i}", FILLER * 3, date="2019-01-01") for i in range(8)]


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("salience-index")
    build_index(index_dir, ARTICLES)
    return SearchService(index_dir)


def ids(svc, q, **params):
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "50", **params})).to_dict()
    return [h["id"] for h in res["hits"]]


@pytest.mark.parametrize("q", ["attaque terroriste mali", "Attaque terroriste au Mali", "mali attaque"])
def test_an_article_about_the_place_typed_outranks_one_that_mentions_it_once(svc, q):
    order = ids(svc, q)
    assert order.index("mali") < order.index("niger")


def test_a_name_typed_weighs_more_than_a_common_word_typed(svc):
    order = ids(svc, "greve bamako")
    assert order.index("bamako") < order.index("strike")


def test_a_word_in_the_lead_outranks_the_same_word_at_the_end(svc):
    assert ids(svc, "paludisme")[:2] == ["lead", "late"]


@pytest.mark.parametrize("q", ["attaque terroriste mali", "greve bamako", "paludisme", "mali OR niger"])
def test_salience_changes_the_order_never_the_hit_set(svc, q):
    assert set(ids(svc, q)) == set(ids(svc, q, sort="newest"))


@pytest.mark.parametrize("word,in_a_lead", [
    ("paludisme", True), ("Mali", True), ("grève", True), ("attaque", True), ("région", True), ("marché", True),
    ("Bamako", False),  # in a title and late in a long body only
    ("absent", False),
])
def test_the_lead_field_says_what_the_body_positions_say(tmp_path_factory, word, in_a_lead):
    import numpy as np
    from whoosh import index as windex

    from search.index import folder as store
    from search.index.analysis import analyze_terms
    from search.query import match, relevance

    index_dir = tmp_path_factory.mktemp("lead-index")
    build_index(index_dir, ARTICLES)
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.searcher() as searcher:
            booster = relevance.Booster(match.Postings(searcher))
            cands = np.arange(searcher.doc_count_all())
            check = np.ones(len(cands), dtype=bool)
            (term,) = analyze_terms(word, "french")
            from_field = booster._lead(term, cands, check)
            booster.names.discard(relevance.LEAD_FIELD)  # an index from before the lead field
            from_positions = booster._lead(term, cands, check)
    finally:
        ix.close()
    assert np.allclose(from_field, from_positions, atol=1e-6)
    assert (from_field > 0).any() == in_a_lead
