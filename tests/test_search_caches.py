"""The caches that make a page of search results cheap: each must give exactly what it saves computing.

The match cache keeps the words' matches for the next request that narrows, sorts or pages
them; spelling answers are kept per generation; links are encoded once per string; results
become plain data without ``dataclasses.asdict``. Each is compared with the plain way (the
snippet words' cache is compared in ``test_snippets.py``).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import numpy as np
import pytest

from search.query import matchcache
from search.query import service as service_module
from search.query.request import SearchRequest
from search.query.service import SearchService
from tests.query_fixtures import ARTICLES, build_index

#: Requests that reuse the words of an earlier one with other filters, sorts and pages.
FOLLOW_UPS = [
    {"q": "coopération"},
    {"q": "coopération", "outlet": ["Maliweb"]},
    {"q": "coopération", "sort": "newest"},
    {"q": "coopération", "sort": "oldest", "limit": "2", "page": "2"},
    {"q": "coopération", "person": ["Sergueï Lavrov"], "-outlet": ["L'Essor"]},
    {"q": "coopération", "year": ["2023"], "collapse": "0"},
    {"q": "sécurité OR niger", "scope": "articles"},
    {"q": "sécurité OR niger", "scope": "comments"},
    {"q": "sécurité OR niger", "scope": "all", "year": ["2023"]},
    {"q": '"forces armées"', "sort": "newest"},
    {"q": "coop*", "outlet": ["Maliweb"]},
    {"q": "", "outlet": ["Maliweb"]},
    {"q": "", "sort": "oldest"},
    {"q": "transhumence~"},
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("caches-index"), ARTICLES, segments=2)


def _uncached(index_dir, params, monkeypatch) -> dict:
    monkeypatch.setattr(service_module, "RESULT_CACHE_SIZE", 0)
    try:
        return SearchService(index_dir).search(SearchRequest.from_params(params)).to_dict()
    finally:
        monkeypatch.undo()


def test_searches_answered_from_kept_matches_are_the_searches_computed_afresh(index_dir, monkeypatch):
    svc = SearchService(index_dir)
    for params in FOLLOW_UPS + FOLLOW_UPS[::-1]:
        assert svc.search(SearchRequest.from_params(params)).to_dict() == _uncached(index_dir, params, monkeypatch), params
    _searcher, gen = svc._current()
    assert len(gen.matches._entries) >= 6  # the words were matched once per scope and scoring


def test_a_kept_match_cannot_be_altered_by_the_search_that_used_it(index_dir):
    svc = SearchService(index_dir)
    searcher, gen = svc._current()
    first = svc._match(searcher, gen, "coopération", "all", want_scores=True)
    first[2][:] = False
    first[3].scores[:] = 99.0
    again = svc._match(searcher, gen, "coopération", "all", want_scores=True)
    assert again[2].any() and again[3].scores.max() < 99.0
    assert again[2] is not first[2]


def test_a_match_cut_short_by_the_time_limit_is_not_kept(index_dir):
    from search.query.timelimit import Deadline

    svc = SearchService(index_dir)
    searcher, gen = svc._current()
    spent = Deadline(1e-9)
    spent.expired()
    svc._match(searcher, gen, "coopération militaire", "all", want_scores=True, deadline=spent)
    assert gen.matches.get(("coopération militaire", "all", True)) is None


def test_without_the_result_cache_no_match_is_kept(index_dir, monkeypatch):
    monkeypatch.setattr(service_module, "RESULT_CACHE_SIZE", 0)
    svc = SearchService(index_dir)
    svc.search(SearchRequest.from_params({"q": "coopération"}))
    assert not svc._current()[1].matches._entries


@pytest.mark.parametrize("budget, kept", [(0, 0), (3 * matchcache.OVERHEAD, 0), (10 ** 6, 3)])
def test_the_match_cache_stays_within_its_budget(budget, kept):
    cache = matchcache.MatchCache(1000, budget=budget)
    mask = np.zeros(1000, dtype=bool)
    mask[::7] = True
    for n in range(3):
        cache.put(("w", str(n)), None, None, mask, None)
    assert len(cache._entries) == kept
    assert cache._size <= max(budget, 0)


def test_the_least_recently_used_match_goes_first():
    mask = np.ones(10, dtype=bool)
    one = matchcache._Entry(None, None, mask, None).size
    cache = matchcache.MatchCache(10, budget=4 * one)
    for n in range(4):
        cache.put(n, None, None, mask, None)
    cache.get(0)
    cache.put(4, None, None, mask, None)
    assert list(cache._entries) == [2, 3, 0, 4]


@pytest.mark.parametrize("params", FOLLOW_UPS)
def test_a_result_as_plain_data_is_what_asdict_gives_and_a_copy(index_dir, params):
    result = SearchService(index_dir).search(SearchRequest.from_params(params))
    plain = result.to_dict()
    assert plain == dataclasses.asdict(result)
    if plain["hits"]:
        plain["hits"][0]["title"] = "changé"
        assert result.hits[0]["title"] != "changé"


HOSTILE_VALUES = ["Maliweb", "L'Essor", "a&b=c", "é è ô", "100%", "+plus+", "#x", "?q=1", "<b>", "\u202e", "a  b"]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_links_are_encoded_as_urlencode_encodes_them(value):
    from webapp import create_app
    from webapp.params import SearchState

    app = create_app({"INDEX_DIR": "absent-index-for-links"})
    with app.test_request_context("/search"):
        state = SearchState(SearchRequest.from_params({"q": value, "outlet": [value, "Autre"]}))
        url = state.toggle_url("person", value)
        expected = urlencode([("q", value), ("outlet", value), ("outlet", "Autre"), ("person", value)])
        assert url == "/search?" + expected
        assert state.page_url(3) == "/search?" + urlencode(
            [("q", value), ("outlet", value), ("outlet", "Autre"), ("page", "3")])


@pytest.mark.parametrize("word", ["cooperasion", "securite", "lavrof", "transhumence", "zzzz", "mali"])
def test_spelling_answers_kept_are_the_answers_computed_afresh(index_dir, word):
    vocab = SearchService(index_dir)._current()[1].vocab
    vocab.buckets()  # loaded: answers are kept from now on
    fresh = vocab._candidates_of(word, 3)
    assert vocab.candidates(word, 3) == fresh
    assert vocab.candidates(word, 3) == fresh  # the kept answer
    assert (word, 3) in vocab._candidates


def test_a_spelling_answer_given_while_the_vocabulary_loads_is_not_kept(index_dir, monkeypatch):
    vocab = SearchService(index_dir)._current()[1].vocab
    monkeypatch.setattr(vocab, "ready", lambda: False)
    vocab.candidates("cooperasion", 3)
    assert ("cooperasion", 3) not in vocab._candidates
