"""presse's relevance order on OpenSearch: the same preferences as ``search.query.relevance``, the same hits.

Each case is one small archive indexed through the product's own code in both engines (the Whoosh
index folder and an OpenSearch index on the node of ``tests/test_opensearch_engine.py``); the
preference presse's ranking states (a title match before a body match, an early word before a
late one, words side by side before scattered ones, an article about every word before a passing
mention, the form typed before another form of its stem) must hold on OpenSearch as on Whoosh,
and the ranking must never add or drop a hit.
"""

from __future__ import annotations

import math

import pytest

from search.engines import opensearch_ranking as ranking
from search.engines.opensearch import OpenSearchEngine
from search.query import relevance as rel
from search.query.request import SearchRequest
from search.query.service import SearchService
from tests.query_fixtures import article, build_index
from tests.opensearch_node import _alias, _drop

FILLER = "Les habitants racontent une journée ordinaire au marché central. "
LONG = FILLER * 50

ARTICLES = [
    # a word in the title, and the same word in the body of an otherwise alike article
    article("in-title", "Le paludisme recule", FILLER * 6 + "Les chiffres sont publiés.", date="2020-02-01"),
    article("in-body", "Les chiffres sont publiés", FILLER * 6 + "Le paludisme recule.", date="2020-02-02"),
    # a word in the lead, and the same word once at the end of a long body
    article("lead", "Rapport annuel", "La méningite recule dans la région. " + LONG, date="2020-01-05"),
    article("late", "Rapport annuel", LONG + "La méningite recule dans la région.", date="2020-01-06"),
    # two words side by side, and the same two words far apart
    article("close", "Les marchés s'inquiètent", FILLER * 4 + "Le prix du pétrole a encore augmenté. " + FILLER * 4,
            date="2020-01-01"),
    article("apart", "Les marchés s'inquiètent", FILLER * 4 + "Le prix du gaz double, le prix du gaz inquiète. "
            "Le pétrole recule. " + FILLER * 4, date="2020-01-02"),
    # about an attack in Mali, and about an attack in Niger that names Mali once, late
    article("mali", "Un soldat tué dans le nord du Mali",
            "Une attaque terroriste a visé un convoi près de Gao, au Mali. " + FILLER * 6, date="2020-01-03"),
    article("niger", "Attaque terroriste au Niger",
            "Une attaque terroriste a frappé Niamey. L'attaque terroriste a fait dix morts. " + LONG
            + "Le groupe armé est aussi actif au Mali.", date="2020-01-04"),
    # the form typed, and another form of its stem
    article("form", "Chronique du jour", FILLER * 3 + "Un coup de tonnerre. " + FILLER * 3, date="2020-03-01"),
    article("stem", "Chronique du jour", FILLER * 3 + "Une coupe de fruits. " + FILLER * 3, date="2020-03-02"),
] + [article(f"other{i}", f"Chronique {i}", f"{place} : {event}. " + ("Le prix du pain monte." if i % 2 else ""),
             date="2019-01-01")
     for i, (place, event) in enumerate([
         ("Ségou", "la foire aux bestiaux ouvre samedi"), ("Mopti", "le port attend la crue du fleuve"),
         ("Kayes", "une nouvelle école accueille trois cents élèves"),
         ("Sikasso", "la récolte de mangues commence"),
         ("Tombouctou", "les manuscrits restaurés sont exposés"), ("Gao", "le marché aux légumes s'agrandit"),
         ("Koulikoro", "un pont relie enfin les deux rives"), ("Kita", "le festival de musique revient"),
     ])]

#: (query, the article presse ranks first, the article it ranks below it)
PREFERENCES = [
    ("paludisme", "in-title", "in-body"),
    ("méningite", "lead", "late"),
    ("prix du petrole", "close", "apart"),
    ("attaque terroriste mali", "mali", "niger"),
    ("coup", "form", "stem"),
]
QUERIES = [q for q, _a, _b in PREFERENCES] + ["prix", "marché -pétrole", "titre:chronique", "prix OU gaz",
                                                "\"prix du gaz\"", "recule"]


@pytest.fixture(scope="module")
def engines(opensearch_url, tmp_path_factory):  # noqa: F811 (fixture)
    """Return (OpenSearch engine, Whoosh SearchService) over the ranking archive."""
    eng = OpenSearchEngine(opensearch_url, alias=_alias("ranking"))
    eng.reindex(None, persons=False, articles=ARTICLES)
    svc = SearchService(build_index(tmp_path_factory.mktemp("ranking-index"), ARTICLES))
    yield eng, svc
    _drop(eng)


def _ids(engine, q: str, **params) -> list[str]:
    res = engine.search(SearchRequest.from_params({"q": q, "limit": "50", **params}))
    return [h["id"] for h in res.to_dict()["hits"]]


@pytest.mark.parametrize("q, first, second", PREFERENCES)
def test_presse_s_preferences_hold_on_opensearch_as_on_whoosh(engines, q, first, second):
    eng, svc = engines
    for order in (_ids(eng, q), _ids(svc, q)):
        assert first in order and second in order
        assert order.index(first) < order.index(second)


@pytest.mark.parametrize("q", QUERIES)
def test_the_ranking_never_adds_or_drops_a_hit(engines, q):
    eng, svc = engines
    for scope in ("all", "articles", "comments"):
        ours = eng.search(SearchRequest.from_params({"q": q, "limit": "50", "scope": scope}))
        theirs = svc.search(SearchRequest.from_params({"q": q, "limit": "50", "scope": scope}))
        assert ours.total == theirs.total
        assert sorted(h["id"] for h in ours.to_dict()["hits"]) == sorted(h["id"] for h in theirs.to_dict()["hits"])


@pytest.mark.parametrize("q", ["prix du petrole", "attaque terroriste mali", "paludisme", "coup"])
def test_both_engines_give_the_same_order_on_a_small_archive(engines, q):
    eng, svc = engines
    # the first three: where the ranking's preferences decide (idf differs between the engines)
    assert _ids(eng, q)[:3] == _ids(svc, q)[:3]


def test_dated_orders_are_not_touched_by_the_ranking(engines):
    eng, svc = engines
    for sort in ("newest", "oldest"):
        assert _ids(eng, "prix", sort=sort) == _ids(svc, "prix", sort=sort)


@pytest.mark.parametrize("salience", [0.0, 0.001, 0.01, 0.05, 0.2, 0.5, 0.81, 0.9, 1.0])
def test_a_salience_level_stands_for_a_factor_within_its_step(salience):
    level = ranking.salience_level(salience)
    assert 0 <= level <= ranking.SALIENCE_STEPS
    if salience == 0:
        assert level == 0
        return
    for floor in (rel.NAME_FLOOR, rel.FLOOR):
        exact = floor + (1 - floor) * salience
        stood = floor + (1 - floor) * ranking.level_salience(level)
        assert abs(stood / exact - 1) < 0.026


def test_levels_grow_with_salience_and_a_title_word_is_the_top_level():
    levels = [ranking.salience_level(s / 100) for s in range(101)]
    assert levels == sorted(levels)
    assert levels[-1] == ranking.SALIENCE_STEPS


@pytest.mark.parametrize("title, body, term, expected", [
    ("Le paludisme recule", "Rien.", "palud", 1.0),  # in the title: 1
    ("Rapport", "Le paludisme recule. " + LONG, "palud", rel.LEAD_SALIENCE),  # first word of the body
    ("Rapport", LONG + "Le paludisme recule.", "palud", rel.DENSITY_WORDS / 302),  # once in 302 words, late
    ("Rapport", LONG + "paludisme " * 200, "palud", rel.DENSITY_CAP),  # late but dense: the cap
])
def test_a_word_s_salience_is_the_one_presse_s_booster_computes(title, body, term, expected):
    assert ranking.saliences(title, body)[term] == pytest.approx(expected)


class _Vocabulary:
    """The part of ``VocabularyReader`` the statistics read: the article count and exact forms' counts."""

    index, token = "ranking.vocabulary", "run"

    def __init__(self, docs: int, df: int):
        self.docs, self.df = docs, df

    def doc_count_all(self) -> int:
        return self.docs

    def doc_frequency(self, field: str, term: str) -> int:
        return self.df


@pytest.mark.parametrize("live, with_field, df", [
    (1000, 1000, 1), (1000, 1000, 500), (1000, 1000, 1000), (1000, 40, 3),
    (10, 40, 35),  # updated articles: Lucene still counts their deleted versions
])
def test_each_term_gets_whoosh_s_idf_in_place_of_lucene_s(live, with_field, df):
    stats = ranking.Stats(_Vocabulary(live, df))
    stats.doc_counts = {"body": with_field}
    n = max(live, with_field)
    whoosh = math.log(n / (min(df, with_field) + 1)) + 1
    lucene = math.log(1 + (with_field - min(df, with_field) + 0.5) / (min(df, with_field) + 0.5))
    assert stats.factor("body.exact", "mali") == pytest.approx(whoosh / lucene, rel=1e-5)
    assert stats.factor("body.exact", "mali") > 0


def test_without_statistics_lucene_s_idf_stays():
    assert ranking.Stats().factor("body", "mali") == 1.0
