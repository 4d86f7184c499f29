"""The query layer over a hand-made index, on both engines: disjunctive facets, exclusion, sorting, pagination, JSON."""

from __future__ import annotations

import json

import pytest

from search.query.request import MAX_LIMIT, BadParameter, SearchRequest
from tests.engine_fixture import build, whoosh_only
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.query_fixtures import ARTICLES, article


@pytest.fixture(scope="module")
def svc(engine_name, request):
    # several Whoosh segments: global docnums must line up
    return build(request, engine_name, articles=ARTICLES, segments=3)


def run(svc, **params):
    return svc.search(SearchRequest.from_params(params)).to_dict()


def values(result, facet):
    return {v["value"]: v["count"] for v in result["facets"][facet]}


def ids(result):
    return [h["id"] for h in result["hits"]]


def test_an_empty_query_matches_every_article(svc):
    res = run(svc, q="")
    assert res["total"] == len(ARTICLES)
    assert res["interpreted"] == "tous les articles"


def test_words_are_anded_by_default(svc):
    assert set(ids(run(svc, q="coopération militaire"))) == {"a1"}


@pytest.mark.parametrize("q, expected", [
    ("sécurité OR transhumance", {"a1", "a2", "a6", "a8"}),
    ("sécurité OU transhumance", {"a1", "a2", "a6", "a8"}),
    ("sécurité AND niger", {"a2"}),
    ("sécurité ET niger", {"a2"}),
    ("sécurité NOT niger", {"a1", "a6"}),
    ("sécurité SAUF niger", {"a1", "a6"}),
    ("sécurité -niger", {"a1", "a6"}),
    ("(niger OU sahel) sécurité", {"a1", "a2"}),
    ('"forces armées"', {"a2"}),
    ("« forces armées »", {"a2"}),
    ("“forces armées”", {"a2"}),
    ('"armées forces"', set()),
    ("coop*", {"a1", "a3", "a5"}),
    ("Beloussof~", set()),
    ("Lavrof~", {"a1"}),
    ("titre:sécurité", {"a2"}),
    ("title:sécurité", {"a2"}),
    ("texte:mil", {"d1", "d2"}),
    ("commentaires:bravo", {"a1"}),
    ("comments:bravo", {"a1"}),
    ("auteur:traore", {"a2"}),
    ("author:Traoré", {"a2"}),
    ("media:essor", {"a2", "a8"}),
    ("journal:essor", {"a2", "a8"}),
    ("personne:goita", {"a2", "a3"}),
    ("person:GOÏTA", {"a2", "a3"}),
    ('personne:"Assimi Goïta"', {"a2", "a3"}),
    ("annee:2023", {"a1", "a2", "a7"}),
    ("année:2021..2022", {"a3", "a4", "a8"}),
    ("date:2023-08", {"a1", "a7"}),
    ("date:2021..2022", {"a3", "a4", "a8"}),
    ("date:2023-08-02", {"a1"}),
    ("-annee:2023 -annee:2022 -annee:2024", {"a3", "a5", "a6"}),
])
def test_each_operator_and_field_finds_the_right_articles(svc, q, expected):
    res = run(svc, q=q)
    assert set(ids(run(svc, q=q, limit=50))) == expected, res["interpreted"]
    assert res["fallback"] is False


@pytest.mark.parametrize("q", [
    '"coopération (militaire', "title:", "AND", "~", "coopération" + " x" * 3000, "😀 coopération 🇲🇱",
    "coopération\x00\x1b[31m", "https://www.maliweb.net/politique/a-b.html?x=(1)", "?!?!", "*", "*ation",
    "OR OR", "date:abcd", "annee:", "personne:", "((((", ")))", '""', "« »",
])
def test_malformed_or_hostile_queries_never_fail(svc, q):
    res = run(svc, q=q)
    json.dumps(res)
    assert isinstance(res["interpreted"], str) and res["interpreted"]


def test_a_malformed_query_says_it_fell_back_to_plain_words(svc):
    res = run(svc, q='"coopération (militaire')
    assert res["fallback"] is True
    assert ids(res) == ["a1"]
    assert "coopération" in res["interpreted"] and res["warnings"]


def test_a_url_in_the_query_finds_the_article_with_that_url(engine_name, request):
    built = build(request, engine_name, articles=[
        article("u1", "Titre", "Texte", url="https://www.maliweb.net/x/article-1.html"),
        article("u2", "Autre", "Texte")])
    res = run(built, q="https://www.maliweb.net/x/article-1.html")
    assert ids(res) == ["u1"]


@pytest.mark.parametrize("scope, expected", [
    ("all", {"a1"}), ("articles", set()), ("comments", {"a1"}),
])
def test_scope_selects_articles_or_comments(svc, scope, expected):
    assert set(ids(run(svc, q="bravo", scope=scope))) == expected


def test_each_hit_says_where_it_matched(svc):
    hit = {h["id"]: h for h in run(svc, q="sécurité")["hits"]}
    assert hit["a2"]["matched_in"] == ["title", "body"]
    assert hit["a1"]["matched_in"] == ["body"]
    comment_hit = run(svc, q="transhumance")["hits"][0]
    assert comment_hit["matched_in"] == ["comments"]
    assert comment_hit["snippets"][0]["where"] == "comments"


# ---------------------------------------------------------------- facets


def test_facet_counts_cover_all_hits(svc):
    res = run(svc, q="")
    assert values(res, "outlet") == {"Maliweb": 3, "L'Essor": 2, "Bamada.net": 1, "<i>Evil</i>": 1, "Malijet": 2}
    assert values(res, "person") == {"Sadio Camara": 2, "Sergueï Lavrov": 2, "Assimi Goïta": 2}


def test_two_ticked_outlets_are_ored_and_keep_their_own_counts(svc):
    res = run(svc, q="", outlet=["Maliweb", "L'Essor"])
    assert res["total"] == 5
    outlets = {v["value"]: v for v in res["facets"]["outlet"]}
    # the outlet facet ignores its own filter: other outlets keep the counts they would add
    assert outlets["Bamada.net"]["count"] == 1 and outlets["Malijet"]["count"] == 2
    assert outlets["Maliweb"]["selected"] and outlets["L'Essor"]["selected"]
    assert not outlets["Bamada.net"]["selected"]


def test_filters_are_anded_across_facets(svc):
    res = run(svc, q="", outlet=["Maliweb", "L'Essor"], year=["2023"])
    assert set(ids(res)) == {"a1", "a2", "a7"}
    assert values(res, "outlet")["Maliweb"] == 2  # counted with the year filter
    assert values(res, "year") == {"2023": 3, "2022": 1, "2021": 1}  # counted with the outlet filter only


def test_an_excluded_value_removes_its_articles_and_is_flagged(svc):
    res = svc.search(SearchRequest.from_params({"q": "", "-outlet": ["Maliweb"]})).to_dict()
    assert "a1" not in ids(run(svc, q="", not_outlet=["Maliweb"], limit=50))
    assert res["total"] == len(ARTICLES) - 3
    row = next(v for v in res["facets"]["outlet"] if v["value"] == "Maliweb")
    assert row["excluded"] is True and row["count"] == 3


def test_person_filter_and_exclusion(svc):
    assert set(ids(run(svc, q="", person=["sadio camara"]))) == {"a1", "a3"}
    # two ticked persons: the articles that mention both
    assert set(ids(run(svc, q="", person=["Sadio Camara", "Sergueï Lavrov"]))) == {"a1"}
    assert "a3" not in ids(run(svc, q="", not_person=["Assimi Goita"], limit=50))


def test_a_selected_value_is_listed_even_with_no_hits(svc):
    res = run(svc, q="coton", outlet=["Malijet"])
    row = next(v for v in res["facets"]["outlet"] if v["value"] == "Malijet")
    assert row["selected"] and row["count"] == 0  # Malijet has no article about coton
    res = run(svc, q="coton", outlet=["Inconnu"])
    assert res["total"] == 0
    assert {"value": "Inconnu", "count": 0, "selected": True, "excluded": False} in res["facets"]["outlet"]


def test_facet_limit_zero_returns_every_value_and_facet_filter_narrows(svc):
    res = run(svc, q="", facet_limit="1")
    assert len(res["facets"]["outlet"]) == 1 and res["facet_totals"]["outlet"] == 5
    assert len(run(svc, q="", facet_limit="0")["facets"]["outlet"]) == 5
    res = run(svc, q="", facet_filter_person="goita")
    assert [v["value"] for v in res["facets"]["person"]] == ["Assimi Goïta"]


def test_estimated_dates_count_in_their_year_but_are_flagged(svc):
    years = {v["value"]: v for v in run(svc, q="")["facets"]["year"]}
    assert years["2021"]["count"] == 1 and years["2021"]["estimated"] == 1
    assert years["2023"]["estimated"] == 0


def test_months_are_offered_inside_one_selected_year(svc):
    assert run(svc, q="")["facets"]["month"] == []
    res = run(svc, q="", year=["2023"])
    assert {v["value"]: v["count"] for v in res["facets"]["month"]} == {"2023-08": 2, "2023-05": 1}
    assert set(ids(run(svc, q="", year=["2023"], month=["2023-08"]))) == {"a1", "a7"}
    timeline = run(svc, q="", year=["2023"])["timeline"]
    assert len(timeline) == 12 and timeline[7] == {"value": "2023-08", "label": "août", "count": 2, "estimated": 0}


def test_timeline_counts_years_with_gaps_filled(svc):
    timeline = run(svc, q="")["timeline"]
    assert [t["value"] for t in timeline] == ["2020", "2021", "2022", "2023", "2024"]
    assert {t["value"]: t["count"] for t in timeline}["2021"] == 1


# ---------------------------------------------------------------- sorting and paging


def test_newest_and_oldest_put_undated_articles_last(svc):
    newest = ids(run(svc, q="", sort="newest", limit=50))
    oldest = ids(run(svc, q="", sort="oldest", limit=50))
    assert newest[:3] == ["d1", "d2", "a7"] and newest[-1] == "a5"
    assert oldest[0] == "a6" and oldest[-1] == "a5"


def test_equal_scores_are_ordered_by_id(svc):
    assert ids(run(svc, q="récolte mil")) == ["d1", "d2"]


def test_relevance_boosts_the_title(svc):
    assert ids(run(svc, q="sécurité"))[0] == "a2"


def test_pages_are_stable_and_cover_every_hit_once(svc):
    seen = []
    for page in range(1, 5):
        seen += ids(run(svc, q="", limit=3, page=page))
    assert sorted(seen) == sorted(a["id"] for a in ARTICLES)
    ranked = ids(run(svc, q="sécurité", limit=len(ARTICLES)))
    paged = [i for p in range(1, len(ranked) + 2)
             for i in ids(run(svc, q="sécurité", limit=1, page=p))]
    assert len(ranked) > 2 and paged == ranked  # page by page, the order of the whole ranking
    assert run(svc, q="", page=999, limit=10)["hits"] == []


def test_a_page_beyond_the_end_is_empty_not_an_error(svc):
    res = run(svc, q="sécurité", page=50)
    assert res["hits"] == [] and res["total"] == 3 and res["pages"] == 1


# ---------------------------------------------------------------- request validation


@pytest.mark.parametrize("params", [
    {"page": "-1"}, {"page": "0"}, {"page": "abc"}, {"page": "1e9999"}, {"year": "abc"}, {"year": "20233"},
    {"month": "2023-13"}, {"sort": "random"}, {"scope": "everything"}, {"limit": str(MAX_LIMIT + 1)},
    {"limit": "0"}, {"facet_limit": "-3"}, {"outlet": ["x"] * 51}, {"person": "x" * 1000},
])
def test_invalid_parameters_raise_bad_parameter(params):
    with pytest.raises(BadParameter):
        SearchRequest.from_params(params)


def test_parameters_accept_flask_lists_and_cli_values():
    req = SearchRequest.from_params({"q": ["mali"], "outlet": ["A", "B", "A"], "-year": ["2020"], "page": 2,
                                     "limit": "5", "sort": "newest", "scope": "commentaires",
                                     "facet_filter": ["person:goi"]})
    assert req.q == "mali" and req.outlet == ["A", "B"] and req.not_year == ["2020"]
    assert (req.page, req.limit, req.sort, req.scope) == (2, 5, "newest", "comments")
    assert req.facet_filter == {"person": "goi"}
    assert SearchRequest.from_params(req.to_params()) == req


# ---------------------------------------------------------------- JSON, articles, persons


def test_result_has_the_documented_json_shape(svc):
    res = json.loads(json.dumps(run(svc, q="sécurité")))
    assert {"query", "interpreted", "fallback", "warnings", "total", "page", "limit", "pages", "sort", "scope",
            "hits", "facets", "facet_totals", "suggestion", "timeline", "total_stories", "collapse",
            "corrected_from"} <= set(res)
    hit = res["hits"][0]
    assert {"id", "title", "outlet", "date", "persons", "score", "matched_in", "snippets", "site", "author",
            "date_estimated", "year", "url", "comments_count", "story", "versions", "bodyless"} <= set(hit)
    assert set(res["facets"]) == {"outlet", "year", "month", "person", "author", "comments"}
    assert {"value", "count", "selected", "excluded"} <= set(res["facets"]["outlet"][0])
    assert isinstance(hit["score"], float)


def test_hostile_values_are_escaped_everywhere_html_is_produced(svc):
    res = run(svc, q="script")
    hit = res["hits"][0]
    assert "<script" not in hit["title_html"] and "&lt;<mark>script</mark>&gt;" in hit["title_html"]
    for snip in hit["snippets"]:
        assert "<script" not in snip["html"] and "<b>" not in snip["html"]
        assert snip["html"].replace("<mark>", "").replace("</mark>", "").count("<") == 0
    art = svc.article("a6", q="script")
    assert "<script" not in art["body_html"] and "<mark>script</mark>" in art["body_html"]


def test_article_returns_marked_paragraphs_and_threaded_comments(svc):
    art = svc.article("a1", q="securite")
    assert art["body_html"].count("<p>") == 2
    assert "<mark>sécurité</mark>" in art["body_html"]
    assert len(art["comments"]) == 1 and art["comments"][0]["replies"][0]["id"] == "c2"
    assert svc.article("nope") is None and svc.article("../../etc/passwd") is None


def test_more_like_this_leaves_out_the_article_and_its_duplicates(svc):
    similar = ids({"hits": svc.more_like_this("a1", limit=3)})
    assert "a1" not in similar and len(similar) <= 3
    assert "d2" not in ids({"hits": svc.more_like_this("d1")})
    assert svc.more_like_this("nope") == []


def test_person_page_data(svc):
    person = svc.person("sadio camara")
    assert person["name"] == "Sadio Camara" and person["count"] == 2
    assert person["timeline"] == [{"value": "2021", "label": "2021", "count": 1, "estimated": 1},
                                  {"value": "2023", "label": "2023", "count": 1, "estimated": 0}]
    assert person["outlets"] == [{"value": "Maliweb", "count": 2}]
    assert {"value": "Assimi Goïta", "count": 1} in person["co_persons"]
    assert svc.person("Personne Inconnue") is None


def test_a_new_index_generation_is_picked_up_without_restart(engine_name, request, monkeypatch):
    from search.engines import opensearch as eos
    from search.query.service import SearchService

    monkeypatch.setattr(eos, "VOCABULARY_CHECK", 0)  # the index behind the alias is looked at every search
    service = build(request, engine_name, articles=[article("g1", "Premier", "Texte un")])
    if engine_name == "whoosh":
        service.service = SearchService(service.index_dir, check_interval=0)
    assert run(service, q="")["total"] == 1
    service.rebuild([article("g1", "Premier", "Texte un"), article("g2", "Second", "Texte deux")])
    assert run(service, q="")["total"] == 2
    assert ids(run(service, q="deux")) == ["g2"]


@pytest.fixture(scope="module")
def phrase_svc(engine_name, request):
    return build(request, engine_name, label="phrases", articles=[
        article("p1", "Forces armées", "Les forces armées maliennes patrouillent au nord."),
        article("p2", "Désordre", "Les forces de l'ordre et les armées maliennes se coordonnent."),
        article("p3", "Verbes", "Il faut forcer, armer et former les soldats."),
        article("p4", "Inverse", "Des armées, des forces : maliennes toutes."),
        article("p5", "Discours", "Le président de la République a parlé."),
        article("p6", "Écart", "Le président de la commission salue la République."),
        article("p7", "Paires séparées", "Le président de séance, puis de la République elle-même."),
        article("p8", "Bégaiement", "Le président de, de la République, bafouille."),
        article("p9", "Long", "Le chef de l'état de droit et de la république du Mali."),
    ])


@pytest.mark.parametrize("q, expected", [
    ('"forces armées"', {"p1"}),
    ('"FORCES ARMEES"', {"p1"}),
    ('"forces armées maliennes"', {"p1"}),
    ('"armées maliennes"', {"p1", "p2"}),
    ('"armées forces"', set()),
    ('"forcer armer"', {"p3"}),
    ('"président de la république"', {"p5"}),
    ('"de la république"', {"p5", "p7", "p8", "p9"}),
    ('"état de droit et de la république du mali"', {"p9"}),
    ('"état de droit et de la république du niger"', set()),
    ('"droit et de la"', {"p9"}),
    ('titre:"forces armées"', {"p1"}),
    ('"forces armées" -nord', set()),
    ('"forces armées" OR "forcer armer"', {"p1", "p3"}),
])
def test_phrases_match_the_words_in_order_and_nothing_else(phrase_svc, q, expected):
    assert set(ids(run(phrase_svc, q=q, limit=50))) == expected


def test_a_phrase_hit_marks_its_content_words_not_its_stop_words(phrase_svc):
    hit = run(phrase_svc, q='"président de la république"')["hits"][0]
    html = " ".join(s["html"] for s in hit["snippets"])
    assert "<mark>président</mark>" in html and "<mark>République</mark>" in html
    assert "<mark>de</mark>" not in html and "<mark>la</mark>" not in html
    assert hit["matched_in"] == ["body"]


@whoosh_only("the Whoosh query builder's pair fields")
def test_a_two_word_phrase_is_one_pair_term(phrase_svc):
    from whoosh import query as wq

    from search.query.build import Builder

    searcher, _gen = phrase_svc._current()
    built = Builder(searcher, "articles").build(ql_parse('"forces armées"'))
    assert {t for t in built.query.iter_all_terms()} == {("title_pairs", "forces armees"),
                                                         ("body_pairs", "forces armees")}
    assert not any(isinstance(q, wq.Phrase) for q in built.query.leaves())


def ql_parse(text):
    from search.query import language as ql

    return ql.parse(text).tree


@pytest.fixture(scope="module")
def sparse_pairs_svc(engine_name, request):
    return build(request, engine_name, label="sparse", articles=[
        article("s1", "Barkhane", "L'opération Barkhane quitte le Mali. Les forces armées restent."),
        article("s2", "Inverse", "Barkhane opération : la fin, et les armées, des forces."),
        article("s3", "Autre", "Une opération de police, puis Barkhane."),
    ], frequent={"les", "forces", "armees", "operation", "la", "le"})


@pytest.mark.parametrize("q, expected", [
    ('"opération barkhane"', {"s1"}),
    ('"barkhane opération"', {"s2"}),
    ('"forces armées"', {"s1"}),
    ('"armées forces"', set()),
    ('"opération barkhane quitte le mali"', {"s1"}),
    ('"opération de barkhane"', set()),
])
def test_phrases_with_a_word_whose_pairs_are_not_indexed_still_match_exactly(sparse_pairs_svc, q, expected):
    assert set(ids(run(sparse_pairs_svc, q=q, limit=50))) == expected


@whoosh_only("the Whoosh query builder's pair fields")
def test_only_phrases_of_frequent_words_use_the_pair_fields(sparse_pairs_svc):
    from search.query.build import Builder

    searcher, _gen = sparse_pairs_svc._current()
    frequent = Builder(searcher, "articles").build(ql_parse('"forces armées"')).query
    rare = Builder(searcher, "articles").build(ql_parse('"opération barkhane"')).query
    assert {f for f, _t in frequent.iter_all_terms()} == {"title_pairs", "body_pairs"}
    assert {f for f, _t in rare.iter_all_terms()} == {"title_exact", "body_exact"}


# -- undated articles (date_sort 0) and impossible dates


@pytest.mark.parametrize("q", [
    "date:0000", "date:0000..", "date:..0000", "date:0000..2023", "date:0000-2024", "date:0000-01-01",
    "annee:0", "annee:0000", "annee:0000..2024", "annee:..2024", "annee:-2024", "date:..2024", "date:2023-00",
    "date:2023-02-30", "date:99999", "date:-2023", "date:9999",
])
def test_no_date_query_matches_an_undated_article(svc, q):
    assert "a5" not in ids(run(svc, q=q, limit=50))


def test_a_negated_date_keeps_the_undated_articles(svc):
    # "not in 2023" is every article outside 2023, undated ones included
    assert "a5" in ids(run(svc, q="-date:2023", limit=50))


@whoosh_only("a Whoosh query built by hand, checked against Whoosh docnums")
@pytest.mark.parametrize("lo, hi", [(0, 1299), (0, None), (None, 0), (-5, 20250000), (0, 0), (None, None)])
def test_a_date_range_built_from_year_zero_never_matches_undated_articles(svc, lo, hi):
    from search.query import language as ql
    from search.query.build import Builder

    searcher, gen = svc._current()
    query = Builder(searcher).build(ql.DateRange(lo, hi, "test")).query
    assert gen.facets.docnum_by_id["a5"] not in set(searcher.docs_for_query(query))


# -- bounded work for queries of many prefixes or fuzzy words


@pytest.fixture(scope="module")
def lexicon_svc(engine_name, request):
    """An index where each of 32 two-letter prefixes has 40 words (more than one prefix may expand to)."""
    prefixes = [a + b for a in "bcdfghjk" for b in "aeio"]
    words = [f"{p}{chr(97 + i // 26)}{chr(97 + i % 26)}ment" for p in prefixes for i in range(40)]
    arts = [article(f"l{n:03d}", "Lexique", " ".join(words[n::7])) for n in range(7)]
    return build(request, engine_name, label="lexicon", articles=arts), prefixes


def _expanded_terms(service, q):
    from search.query import language as ql
    from search.query.build import Builder

    searcher, gen = service._current()
    built = Builder(searcher, "all", fuzzy=gen.vocab.fuzzy).build(ql.parse(q).tree)
    return [t for t in built.query.iter_all_terms()] if built.query is not None else []


@whoosh_only("the terms of a Whoosh query")
def test_one_prefix_keeps_its_thirty_commonest_forms(lexicon_svc):
    from search.query.build import MAX_EXPANSION

    service, prefixes = lexicon_svc
    assert len(_expanded_terms(service, prefixes[0] + "*")) == MAX_EXPANSION


@whoosh_only("the terms of a Whoosh query")
@pytest.mark.parametrize("joiner", [" ", " OR "])
@pytest.mark.parametrize("suffix", ["*", "aament~"])
def test_many_prefixes_or_fuzzy_words_share_a_bounded_number_of_forms(lexicon_svc, joiner, suffix):
    from search.query.build import MAX_QUERY_EXPANSION, MIN_EXPANSION

    service, prefixes = lexicon_svc
    terms = _expanded_terms(service, joiner.join(p + suffix for p in prefixes))
    assert MIN_EXPANSION * len(prefixes) <= len(terms) <= MAX_QUERY_EXPANSION
    assert {t[:2] for _f, t in terms} == set(prefixes)  # every word still gets its share


@whoosh_only("Whoosh posting lists read under a deadline")
def test_the_time_limit_stops_reading_posting_lists(svc):
    import time

    from search.query import match as fm
    from search.query import language as ql
    from search.query.build import Builder
    from search.query.timelimit import Deadline

    searcher, gen = svc._current()
    query = Builder(searcher, "all", fuzzy=gen.vocab.fuzzy).build(ql.parse("coop* OR sécurité").tree).query
    assert fm.evaluate(gen.postings, gen.facets.live, query, Deadline(60)).mask.any()
    spent = Deadline(60)
    spent.end = time.monotonic() - 1
    cut = fm.evaluate(gen.postings, gen.facets.live, query, spent)
    assert spent.hit and not cut.mask.any()  # no guessed hits, and the results say they are partial


def test_person_counts_are_co_mentions_while_outlet_counts_stay_disjunctive(svc):
    res = run(svc, q="", person=["Sadio Camara"])
    persons = {v["value"]: v["count"] for v in res["facets"]["person"]}
    mentioning = set(ids(run(svc, q="", person=["Sadio Camara"], limit=50)))
    for name, count in persons.items():
        both = set(ids(run(svc, q="", person=["Sadio Camara", name], limit=50)))
        assert count == len(both) and both <= mentioning
    assert persons["Sadio Camara"] == len(mentioning)
    outlets = {v["value"]: v["count"] for v in run(svc, q="", outlet=["Maliweb"])["facets"]["outlet"]}
    assert outlets == {v["value"]: v["count"] for v in run(svc, q="")["facets"]["outlet"]}


def _cut_short(svc, monkeypatch) -> list[str]:
    """Make every search run out of time; return the timeouts the node was sent (OpenSearch).

    Whoosh: each deadline starts spent. OpenSearch: the node answers as cut by its timeout.
    """
    sent = []
    if svc.name == "whoosh":
        from search.query import timelimit

        start = timelimit.Deadline.__init__

        def spent(self, seconds=None):
            start(self, seconds)
            if self.end is not None:
                self.end -= 3600

        monkeypatch.setattr(timelimit.Deadline, "__init__", spent)
        return sent
    real = svc.client.request

    def request(method, path, body=None, **kwargs):
        answer = real(method, path, body, **kwargs)
        if isinstance(body, dict) and "timeout" in body and "aggs" in body:
            sent.append(body["timeout"])
            answer = {**answer, "timed_out": True}
        return answer

    monkeypatch.setattr(svc.client, "request", request)
    return sent


def test_a_search_cut_by_the_time_limit_says_its_results_are_partial(svc, monkeypatch):
    from search.query.timelimit import MESSAGE

    monkeypatch.setenv("PRESSE_SEARCH_TIME_LIMIT", "0.001")
    sent = _cut_short(svc, monkeypatch)
    res = run(svc, q="coopératoin OR sécuritee")  # words a correction would be looked for
    assert MESSAGE.format(seconds=0.001) in res["warnings"]
    assert res["suggestion"] is None and res["corrected_from"] is None  # no optional work past the limit
    assert sent == ([] if svc.name == "whoosh" else ["1ms"])


@pytest.mark.parametrize("limit, timeout", [("2.5", "2500ms"), ("0", None)])
def test_a_search_within_the_time_limit_is_whole_and_the_node_is_told_the_limit(svc, monkeypatch, limit, timeout):
    from search.query.timelimit import MESSAGE

    monkeypatch.setenv("PRESSE_SEARCH_TIME_LIMIT", limit)
    sent = []
    if svc.name == "opensearch":
        real = svc.client.request

        def request(method, path, body=None, **kwargs):
            if isinstance(body, dict) and "aggs" in body and "highlight" in body:
                sent.append(body.get("timeout"))
            return real(method, path, body, **kwargs)

        monkeypatch.setattr(svc.client, "request", request)
    res = run(svc, q="sécurité", scope="articles", limit=7)
    assert not [w for w in res["warnings"] if w.startswith(MESSAGE[:20])]
    assert set(ids(res)) == {"a2", "a1", "a6"}
    assert sent == ([] if svc.name == "whoosh" else [timeout])
