"""The proximity operator: ``barkhane PROCHE/10 macron`` (also ``NEAR/10``)."""

from __future__ import annotations

import pytest

from search.query import language as ql
from search.query.request import SearchRequest
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.query_fixtures import ARTICLES


@pytest.fixture(scope="module")
def svc(engine_name, request):
    return build(request, engine_name, articles=ARTICLES)


def ids(svc, q):
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "50", "collapse": "0", "autocorrect": "0"}))
    return {h["id"] for h in res.hits}


@pytest.mark.parametrize("q, distance, parts", [
    ("barkhane PROCHE/10 macron", 10, ["barkhane", "macron"]),
    ("barkhane NEAR/3 macron", 3, ["barkhane", "macron"]),
    ("barkhane PROCHE macron", ql.NEAR_DEFAULT, ["barkhane", "macron"]),
    ('barkhane PROCHE/5 "emmanuel macron"', 5, ["barkhane", "emmanuel macron"]),
    ("a PROCHE/900 b", ql.NEAR_MAX, ["a", "b"]),
])
def test_proximity_is_read_with_its_distance(q, distance, parts):
    tree = ql.parse(q).tree
    assert isinstance(tree, ql.Near) and tree.distance == distance
    assert [c.text for c in tree.children] == parts


@pytest.mark.parametrize("q", ["a PROCHE (b OU c)", "a PROCHE -b", "x PROCHE", "PROCHE x", "coop* PROCHE mali"])
def test_proximity_between_anything_but_words_falls_back_to_plain_words(q):
    parsed = ql.parse(q)
    assert parsed.fallback and "PROCHE" not in ql.plain_words(q)


@pytest.mark.parametrize("q, expected", [
    ("cooperation PROCHE/2 militaire", {"a1"}),  # « coopération militaire », in the title and the body
    ("accord PROCHE/4 moscou", {"a1"}),
    ("moscou PROCHE/4 accord", {"a1"}),  # in any order
    ("lavrov PROCHE/2 coton", set()),
    ('goita PROCHE/3 "a recu"', {"a3"}),
])
def test_proximity_finds_words_within_the_distance_only(svc, q, expected):
    assert ids(svc, q) == expected


def test_proximity_does_not_count_stop_words(svc):
    # « accord de coopération militaire à Moscou »: 3 words apart without « de » and « à »
    assert ids(svc, "accord PROCHE/3 moscou") == {"a1"}


def test_proximity_is_described_in_french_and_highlighted(svc):
    res = svc.search(SearchRequest.from_params({"q": "accord PROCHE/4 moscou"})).to_dict()
    assert res["interpreted"] == "accord à 4 mots au plus de moscou"
    assert "<mark>" in "".join(s["html"] for s in res["hits"][0]["snippets"])
