"""French dates in the query language (``date:26/11/2019``, ``date:novembre 2019``, ranges), partial dates."""

from __future__ import annotations

import random

import numpy as np
import pytest

from search.query import dates
from search.query import language as ql
from search.query.request import SearchRequest
from search.text import real_day
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.test_dates_range import DATED, DATED_IDS, RANGE

NOVEMBER = {"a-1101", "a-1126", "m-2019-11"}


@pytest.fixture(scope="module")
def svc(engine_name, request):
    return build(request, engine_name, articles=DATED)


def search(svc, q: str, **params) -> dict:
    return svc.search(SearchRequest.from_params({"q": q, "limit": "100", **params})).to_dict()


def found(svc, q: str) -> set[str]:
    return {h["id"] for h in search(svc, q)["hits"]}


@pytest.mark.parametrize("q, expected", [
    ("date:26/11/2019", {"a-1126"}),
    ("date:26-11-2019", {"a-1126"}),
    ("date:26.11.2019", {"a-1126"}),
    ("date:2019-11-26", {"a-1126"}),
    ("date:26 novembre 2019", {"a-1126"}),
    ("date:1er novembre 2019", {"a-1101"}),
    ("date:novembre 2019", NOVEMBER),
    ('date:"novembre 2019"', NOVEMBER),
    ("date:Novembre 2019", NOVEMBER),
    ("date:nov. 2019", NOVEMBER),
    ("date:nov 2019", NOVEMBER),
    ("date:11/2019", NOVEMBER),
    ("date:2019-11", NOVEMBER),
    ("date:déc. 2019", {"m-2019-12", "a-1215", "a-1216"}),
    ("date:decembre 2019", {"m-2019-12", "a-1215", "a-1216"}),
    ("date:2019-11-01..2019-12-15", RANGE),
    ("date:01/11/2019..15/12/2019", RANGE),
    ("date:15/12/2019..01/11/2019", RANGE),
    ('date:"1er novembre 2019..15 décembre 2019"', RANGE),
    ("date:novembre 2019..15/12/2019", RANGE),
    ("date:novembre 2019..décembre 2019", NOVEMBER | {"m-2019-12", "a-1215", "a-1216"}),
    ("date:2019..2021", DATED_IDS),
    ("date:2019-2020", DATED_IDS - {"m-2021-03"}),
    ("date:2019", {i for i in DATED_IDS if "2019" in i or i.startswith("a-1")}),
    ("date:..31/10/2019", {"a-1031"}),
    ("date:16/12/2019..", {"a-1216", "a-2020-0101", "y-2020", "m-2021-03"}),
    ("date:nov. 2019..", NOVEMBER | {"m-2019-12", "a-1215", "a-1216", "a-2020-0101", "y-2020", "m-2021-03"}),
    ("securite date:novembre 2019", NOVEMBER),
    ("date:novembre 2019 securite", NOVEMBER),
    ("date:novembre 2019 OU date:mars 2021", NOVEMBER | {"m-2021-03"}),
    ("securite -date:01/11/2019..15/12/2019", {"a-1031", "y-2019", "undated"}),
    ("date:01/11/2019..15/12/2019 -date:novembre 2019", {"a-1215"}),
])
def test_each_french_date_finds_the_articles_of_that_period(svc, q, expected):
    result = search(svc, q)
    assert result["fallback"] is False, result["warnings"]
    assert {h["id"] for h in result["hits"]} == expected


@pytest.mark.parametrize("q, interpreted", [
    ("date:26/11/2019", "date : 26 novembre 2019"),
    ("date:nov. 2019", "date : novembre 2019"),
    ("date:2019-11-01..2019-12-15", "date : du 1er novembre 2019 au 15 décembre 2019"),
    ("date:..15/12/2019", "date : jusqu'au 15 décembre 2019"),
    ("date:2020..", "date : à partir de 2020"),
    ("mali -date:2019-11-01..2019-12-15", "mali SAUF date : du 1er novembre 2019 au 15 décembre 2019"),
    ("mali OU date:01/11/2019..15/12/2019", "mali OU date : du 1er novembre 2019 au 15 décembre 2019"),
])
def test_the_interpretation_names_the_period_in_french(q, interpreted):
    assert ql.describe(ql.parse(q).tree) == interpreted


@pytest.mark.parametrize("q, words, why", [
    ("date:31/02/2019", ["31", "02", "2019"], "ce jour n'existe pas"),
    ("date:29/02/2019 mali", ["29", "02", "2019", "mali"], "ce jour n'existe pas"),
    ("date:32/13/2019", ["32", "13", "2019"], "invalide"),
    ("date:novembre", ["novembre"], "date invalide (novembre)"),
    ("date:brumaire 2019", ["brumaire", "2019"], "date invalide (brumaire)"),
    ("date:0000..2019", ["0000", "2019"], "l'année 0 n'existe pas"),
])
def test_an_impossible_date_falls_back_to_plain_words_with_a_french_warning(svc, q, words, why):
    parsed = ql.parse(q)
    assert parsed.fallback is True
    assert any(why in w for w in parsed.warnings), parsed.warnings
    assert [leaf.text for leaf, _neg in ql.iter_nodes(parsed.tree)] == words
    assert search(svc, q)["warnings"]  # the page shows the warning, and answers


def test_a_date_then_a_year_like_word_keeps_the_word_as_a_search_term():
    parsed = ql.parse("date:2019 2020")
    assert not parsed.fallback
    leaves = [leaf for leaf, _neg in ql.iter_nodes(parsed.tree)]
    assert isinstance(leaves[0], ql.DateRange) and isinstance(leaves[1], ql.Word) and leaves[1].text == "2020"


def test_the_query_language_and_the_page_range_agree_on_every_range(svc):
    rng = random.Random(16)
    days = ["2019-10-31", "2019-11-01", "2019-11-02", "2019-11-26", "2019-11-30", "2019-12-01", "2019-12-15",
            "2019-12-31", "2020-01-01", "2020-06-30", "2021-03-01", "2021-03-31"]
    for _ in range(40):
        lo, hi = sorted(rng.sample(days, 2))
        assert found(svc, f"date:{lo}..{hi}") == {h["id"] for h in search(svc, "", **{"from": lo, "to": hi})["hits"]}


def _keys(years=(2019, 2020)):
    out = [0]
    for y in years:
        out.append(y * 10000)
        for m in range(1, 13):
            out.append(y * 10000 + m * 100)
            out += [y * 10000 + m * 100 + d for d in range(1, 32) if real_day(y, m, d)]
    return np.array(out)


def _wholly_within(key: int, lo, hi) -> bool:
    """The rule, spelled out: the first and last days of the key's period both lie in [lo, hi]."""
    if key == 0:
        return False
    y, m, d = key // 10000, key // 100 % 100, key % 100
    first = key + 101 if m == 0 else key + 1 if d == 0 else key
    last = y * 10000 + 1231 if m == 0 else max(k for k in range(key + 1, key + 32) if real_day(y, m, k % 100)) \
        if d == 0 else key
    return (lo is None or first >= lo) and (hi is None or last <= hi)


def test_the_filter_and_the_index_ranges_both_follow_the_partial_date_rule():
    keys = _keys()
    days = [int(k) for k in keys if k % 100]
    rng = random.Random(2019)
    for _ in range(300):
        lo, hi = rng.choice(days + [None]), rng.choice(days + [None])
        if lo and hi and lo > hi:
            lo, hi = hi, lo
        truth = np.array([_wholly_within(int(k), lo, hi) for k in keys])
        bounds = dates.bounds(lo, hi)
        assert (dates.in_range(keys, *bounds) == truth).all(), (lo, hi)
        by_index = np.zeros(len(keys), dtype=bool)
        for a, b in dates.point_ranges(*bounds):  # as search.query.build reads a DateRange
            by_index |= (keys >= max(a or 0, 1)) & (keys <= (b if b is not None else keys.max()))
        assert (by_index == truth).all(), (lo, hi, dates.point_ranges(*bounds))
