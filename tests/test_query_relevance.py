"""Relevance order: typed words found together and in the exact form rank first; the hit set never changes."""

from __future__ import annotations

import pytest

from search.query import language as ql
from search.query.service import SearchService
from search.query.request import SearchRequest
from search.query.relevance import word_runs
from tests.query_fixtures import article, build_index

FILLER = "Le rapport annuel détaille la situation. "

ARTICLES = [
    # stems only: "coupe" and "Etats" share the stems of "coup" and "état", many times, in the title
    article("stems", "Coupe du monde : la France élimine les Etats-Unis",
            "La Coupe du monde continue. Les Etats-Unis ont perdu. Coupes et Etats, Coupe et Etats.",
            outlet="A", date="2023-01-01"),
    # both words, exact forms, far apart
    article("apart", "Un coup dur pour les finances",
            FILLER * 3 + "Le coup porté au budget de l'État est rude.", outlet="A", date="2023-01-02"),
    # the phrase in the body
    article("phrase", "La junte au pouvoir", FILLER * 3 + "Le coup d'État a eu lieu à l'aube.",
            outlet="B", date="2023-01-03"),
    # the phrase in the title
    article("title", "Coup d'État à Bamako", FILLER * 3 + "Les militaires ont pris le pouvoir.",
            outlet="B", date="2023-01-04"),
    # a rarer pair (not indexed as a pair when only frequent words are): checked by positions
    article("rare1", "Transhumance et conflits", "Les éleveurs peuls du Macina et la transhumance pastorale.",
            outlet="C", date="2022-01-01"),
    article("rare2", "Conflits pastoraux", "La transhumance est ancienne ; la saison pastorale commence.",
            outlet="C", date="2022-01-02"),
]


@pytest.fixture(scope="module", params=[None, "frequent"], ids=["all-pairs", "frequent-pairs"])
def svc(request, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("relevance-index")
    frequent = None
    if request.param:
        # as the indexer does on a large corpus: pairs of common words only
        frequent = {"coup", "d", "etat", "le", "la", "de", "du", "et", "les"}
    build_index(index_dir, ARTICLES, frequent=frequent)
    return SearchService(index_dir)


def ids(svc, q, **params):
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "50", **params})).to_dict()
    return [h["id"] for h in res["hits"]]


@pytest.mark.parametrize("q", ["coup d'etat", "coup d'État", "COUP D'ETAT", "coup etat"])
def test_a_phrase_typed_without_quotes_ranks_documents_with_the_phrase_first(svc, q):
    order = ids(svc, q)
    assert set(order[:2]) == {"title", "phrase"}
    assert order.index("apart") < order.index("stems")


def test_a_title_with_the_phrase_ranks_above_a_body_with_it(svc):
    assert ids(svc, "coup d'etat")[0] == "title"


def test_the_exact_form_outranks_a_stem_only_match(svc):
    order = ids(svc, "coup")
    assert order.index("apart") < order.index("stems")


def test_a_rare_pair_is_checked_by_positions(svc):
    assert ids(svc, "transhumance pastorale")[0] == "rare1"


@pytest.mark.parametrize("q", ["coup d'etat", "coup", "transhumance pastorale", "coup OR transhumance"])
def test_boosts_change_the_order_never_the_hit_set(svc, q):
    relevance = set(ids(svc, q))
    assert relevance == set(ids(svc, q, sort="newest"))


def test_date_sorts_keep_their_order(svc):
    assert ids(svc, "coup d'etat", sort="newest") == ["title", "phrase", "apart", "stems"]
    assert ids(svc, "coup d'etat", sort="oldest") == ["stems", "apart", "phrase", "title"]


def test_a_negated_word_keeps_its_documents_out_and_the_exact_form_still_ranks_first(svc):
    assert ids(svc, "coup -pouvoir") == ["apart", "stems"]


@pytest.mark.parametrize("q, expected", [
    ("coup d'etat", [["coup", "d'etat"]]),
    ("mali OR niger", [["mali"], ["niger"]]),
    ("wagner -russie mali", [["wagner"], ["mali"]]),
    ('coup "forces armees" etat', [["coup"], ["etat"]]),
    ("titre:mali niger", [["mali"], ["niger"]]),
    ("coop* militaire", [["militaire"]]),
])
def test_word_runs_are_the_words_typed_next_to_each_other(q, expected):
    assert [[w.text for w in run] for run in word_runs(ql.parse(q).tree)] == expected
