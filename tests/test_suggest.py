"""Did you mean: corrections from the folded exact vocabulary, shown with accents."""

from __future__ import annotations

import pytest

from search.query import SearchRequest, SearchService
from tests.query_fixtures import ARTICLES, build_index


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("suggest-index")
    build_index(index_dir, ARTICLES)
    return SearchService(index_dir)


def suggest(svc, q, **params):
    return svc.search(SearchRequest.from_params({"q": q, **params})).to_dict()["suggestion"]


@pytest.mark.parametrize("q, expected", [
    ("cooperasion militere", "coopération militaire"),
    ("Lavrof", "Lavrov"),
    ("securiter", "sécurité"),
    ("titre:cooperasion", "titre:coopération"),
])
def test_misspelt_words_get_an_accented_suggestion(svc, q, expected):
    sug = suggest(svc, q)
    assert sug is not None and sug["text"] == expected
    assert sug["total"] >= 1


def test_the_suggestion_html_marks_the_corrected_words_only(svc):
    sug = suggest(svc, "cooperasion & <militere>")
    assert sug["html"] == "<mark>coopération</mark> &amp; <mark>militaire</mark>"


@pytest.mark.parametrize("q", ["coopération", "sécurité niger", "", "annee:2023", "zzzzqqq"])
def test_no_suggestion_when_it_would_not_give_more_results(svc, q):
    assert suggest(svc, q) is None


def test_no_suggestion_when_filters_leave_nothing_for_the_correction(svc):
    assert suggest(svc, "cooperasion", outlet=["Bamada.net"]) is None
