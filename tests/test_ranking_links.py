"""Relevance order: stop words typed between two words count only with both of their neighbours."""

from __future__ import annotations

import pytest

from search.query.service import SearchService
from search.query.request import SearchRequest
from tests.query_fixtures import article, build_index

FILLER = "Les habitants racontent une journée ordinaire au marché central. "

ARTICLES = [
    # the three words typed, in order, once
    article("oil", "Les marchés s'inquiètent", FILLER * 4 + "Le prix du pétrole a encore augmenté. " + FILLER * 4,
            date="2020-01-01"),
    # « prix du » again and again, but of gas; oil named apart
    article("gas", "Les marchés s'inquiètent", FILLER * 4 + "Le prix du gaz double, le prix du gaz inquiète, le prix "
            "du gaz pèse sur les ménages. Le pétrole recule. " + FILLER * 4, date="2020-01-02"),
] + [article(f"other{i}", f"Chronique {i}", FILLER * 3 + ("Le prix du pain." if i % 2 else ""), date="2019-01-01")
     for i in range(10)]


@pytest.fixture(scope="module", params=[None, "frequent"], ids=["all-pairs", "frequent-pairs"])
def svc(request, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("links-index")
    frequent = {"prix", "du", "le", "la", "de", "petrole", "gaz"} if request.param else None
    build_index(index_dir, ARTICLES, frequent=frequent)
    return SearchService(index_dir)


def ids(svc, q):
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "50"})).to_dict()
    return [h["id"] for h in res["hits"]]


@pytest.mark.parametrize("q", ["prix du petrole", "prix du pétrole", "PRIX DU PETROLE"])
def test_a_pair_with_a_stop_word_never_brings_the_words_typed_together_alone(svc, q):
    assert ids(svc, q) == ["oil", "gas"]


@pytest.mark.parametrize("seq, expected", [
    (["coup", "etat"], [[("coup", "etat")]]),
    (["prix", "du", "petrole"], [[("prix", "du"), ("du", "petrole")]]),
    (["president", "de", "la", "republique"], [[("president", "de"), ("de", "la"), ("la", "republique")]]),
    (["la", "france"], []),  # a stop word at either end links nothing
    (["greve", "des", "enseignants", "mali"], [[("greve", "des"), ("des", "enseignants")], [("enseignants", "mali")]]),
    (["de", "la"], []),
])
def test_typed_words_are_linked_through_the_stop_words_between_them(seq, expected):
    from search.query.relevance import typed_links

    assert typed_links({"body": seq}) == expected
