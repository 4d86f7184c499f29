"""The per-generation result cache: repeats are answered from it, never altered, dropped on a new index."""

from __future__ import annotations

import shutil

from search.index import reindex as indexer
from search.query.service import SearchService
from search.query.request import SearchRequest


def test_a_repeated_search_gives_an_equal_result_from_the_cache(seed_index):
    svc = SearchService(seed_index)
    req = SearchRequest.from_params({"q": "coopération militaire", "outlet": ["Maliweb", "L’Essor"]})
    first = svc.search(req).to_dict()
    _searcher, gen = svc._current()
    assert len(gen.results) == 1
    again = svc.search(SearchRequest.from_params({"q": "coopération militaire",
                                                  "outlet": ["Maliweb", "L’Essor"]})).to_dict()
    assert again == first
    assert len(gen.results) == 1


def test_changing_a_returned_result_does_not_change_the_cached_one(seed_index):
    svc = SearchService(seed_index)
    req = SearchRequest.from_params({"q": "russie"})
    res = svc.search(req)
    expected = res.to_dict()
    res.hits.clear()
    res.facets["outlet"].append({"value": "x"})
    assert svc.search(req).to_dict() == expected


def test_different_pages_and_filters_are_different_cache_entries(seed_index):
    svc = SearchService(seed_index)
    a = svc.search(SearchRequest.from_params({"q": "", "limit": "2"})).to_dict()
    b = svc.search(SearchRequest.from_params({"q": "", "limit": "2", "page": "2"})).to_dict()
    assert [h["id"] for h in a["hits"]] != [h["id"] for h in b["hits"]]


def test_a_reindex_that_changes_the_corpus_is_not_hidden_by_the_cache(tmp_path, seeds_dir):
    source = tmp_path / "src"
    shutil.copytree(seeds_dir, source)
    index_dir = tmp_path / "index"
    indexer.reindex(source, index_dir, full=True, persons=False)
    svc = SearchService(index_dir, check_interval=0)
    req = SearchRequest.from_params({"q": "Kidal"})
    before = svc.search(req).total
    (source / "extra.txt").write_text("Kidal sous contrôle\n\nL'armée est entrée à Kidal hier.\n", encoding="utf-8")
    indexer.reindex(source, index_dir, persons=False)
    assert svc.search(req).total == before + 1
