"""Unit tests for the web app's view helpers: URL state, facets, timeline, dates, safe highlights."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from webapp import create_app
from webapp.article import comment_tree
from webapp.dates import display_date
from webapp.facets import build_chips, build_facets
from webapp.guard import header_problem, url_bytes
from webapp.links import article_url, person_url
from search.query.request import BadParameter
from webapp.params import SearchState
from webapp.timeline import build_timeline
from webapp.views import marked


@pytest.fixture()
def ctx(tmp_path):
    app = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True})
    with app.test_request_context("/search"):
        yield


def state(*pairs, **kw):
    return SearchState.from_args(MultiDict(list(pairs)), **kw)


def query(url):
    return parse_qsl(urlsplit(url).query)


@pytest.mark.parametrize("html, expected", [
    ("la <mark>coopération</mark> militaire", "la <mark>coopération</mark> militaire"),
    ("a &lt;b&gt; &amp; <mark>c</mark>", "a &lt;b&gt; &amp; <mark>c</mark>"),
    ("<script>alert(1)</script><mark>x</mark>", "&lt;script&gt;alert(1)&lt;/script&gt;<mark>x</mark>"),
    ('<mark onclick="x">y</mark>', "&lt;mark onclick=&#34;x&#34;&gt;y"),
    ("<mark>open", "<mark>open</mark>"),
    ("close</mark> only", "close only"),
    ("<mark><mark>nested</mark></mark>", "<mark>nested</mark>"),
    ("", ""),
])
def test_highlighted_html_keeps_only_balanced_mark_tags(html, expected):
    assert str(marked(html)) == expected


@pytest.mark.parametrize("args, message", [
    ([("page", "-1")], "page"),
    ([("page", "abc")], "page"),
    ([("page", "0")], "page"),
    ([("year", "abc")], "année"),
    ([("year", "20234")], "année"),
    ([("month", "2023-13")], "mois"),
    ([("-month", "2023-13")], "mois"),
    ([("sort", "bogus")], "tri"),
    ([("scope", "everything")], "portée"),
    ([("facet_limit", "-2")], "facet_limit"),
    ([("limit", "100000")], "limit"),
])
def test_bad_parameters_raise_a_french_message(args, message):
    with pytest.raises(BadParameter, match=message):
        state(*args)


def test_the_page_size_defaults_to_the_app_setting_and_urls_leave_it_out(ctx):
    assert state().limit == 20 and state(default_limit=5).limit == 5
    assert query(state(default_limit=5).page_url(2)) == [("page", "2")]
    assert query(state(("limit", "7"), default_limit=5).page_url(2)) == [("limit", "7"), ("page", "2")]


def test_exclusions_accept_both_spellings_and_are_written_with_a_minus(ctx):
    s = state(("-outlet", "Maliweb"), ("not_person", "Sadio Camara"), ("not_month", "2023-08"), ("outlet", "APA"))
    assert s.excluded["outlet"] == ["Maliweb"] and s.excluded["person"] == ["Sadio Camara"]
    assert s.selected["outlet"] == ["APA"]
    assert query(s.url()) == [("outlet", "APA"), ("-outlet", "Maliweb"), ("-month", "2023-08"),
                              ("-person", "Sadio Camara")]


def test_control_characters_and_blank_values_are_dropped():
    s = state(("q", "coop\x00ération\x1b"), ("outlet", "  "), ("outlet", "APA"), ("outlet", "APA"))
    assert s.q == "coop ération"
    assert s.selected["outlet"] == ["APA"]


def test_toggle_adds_then_removes_a_value_and_resets_the_page(ctx):
    s = state(("q", "mali"), ("outlet", "APA"), ("page", "3"))
    added = query(s.toggle_url("outlet", "Maliweb"))
    assert ("outlet", "APA") in added and ("outlet", "Maliweb") in added
    assert not any(k == "page" for k, _ in added)
    removed = query(s.toggle_url("outlet", "APA"))
    assert removed == [("q", "mali")]


def test_exclude_url_moves_a_value_from_selected_to_excluded(ctx):
    s = state(("outlet", "APA"))
    assert query(s.exclude_url("outlet", "APA")) == [("-outlet", "APA")]
    assert query(state(("-outlet", "APA")).unexclude_url("outlet", "APA")) == []


def test_page_urls_keep_sort_scope_and_filters(ctx):
    s = state(("q", "x"), ("sort", "newest"), ("scope", "comments"), ("year", "2023"))
    assert query(s.page_url(2)) == [("q", "x"), ("year", "2023"), ("sort", "newest"),
                                    ("scope", "comments"), ("page", "2")]


def test_facets_are_plain_data_with_urls_and_keep_selected_values_visible(ctx):
    s = state(("outlet", "APA"), ("-person", "X"))
    result = {"facets": {"outlet": [{"value": "Maliweb", "count": 3}], "year": [], "person": [],
                         "author": []},
              "facet_totals": {"outlet": 1}}
    facets = {f["name"]: f for f in build_facets(result, s)}
    outlets = {v["value"]: v for v in facets["outlet"]["options"]}
    assert outlets["APA"]["selected"] and outlets["APA"]["count"] == 0
    assert not outlets["Maliweb"]["selected"]
    assert ("outlet", "Maliweb") in query(outlets["Maliweb"]["toggle_url"])
    assert ("-outlet", "Maliweb") in query(outlets["Maliweb"]["exclude_url"])
    person = facets["person"]["options"][0]
    assert person["excluded"] and person["exclude_url"] is None
    chips = build_chips(s)
    assert [c["label"] for c in chips] == ["APA", "sauf X"]
    assert query(chips[0]["remove_url"]) == [("-person", "X")]


def test_a_truncated_facet_offers_voir_plus_for_that_facet_only(ctx):
    s = state()
    result = {"facets": {"person": [{"value": f"P{i}", "count": 1} for i in range(10)]},
              "facet_totals": {"person": 25}}
    person = {f["name"]: f for f in build_facets(result, s)}["person"]
    assert person["truncated"] and ("more", "person") in query(person["more_url"])
    assert person["filterable"] and person["hidden_count"] == 0


def test_an_expanded_facet_says_how_many_values_the_filter_box_can_find(ctx):
    s = state(("more", "person"))
    result = {"facets": {"person": [{"value": f"P{i}", "count": 1} for i in range(100)]},
              "facet_totals": {"person": 30965}}
    person = {f["name"]: f for f in build_facets(result, s)}["person"]
    assert person["more_url"] is None and person["hidden_count"] == 30865
    assert ("more", "person") not in query(person["less_url"])


def test_timeline_fills_missing_years_and_links_each_bar(ctx):
    s = state(("q", "mali"))
    tl = build_timeline([{"value": "2019", "count": 2}, {"value": "2021", "count": 4, "estimated": 1}], s)
    assert [b["value"] for b in tl["bars"]] == ["2019", "2020", "2021"]
    b2019, b2020, b2021 = tl["bars"]
    assert b2020["url"] is None and b2020["h"] == 0
    assert ("year", "2021") in query(b2021["url"])
    assert b2021["h"] == tl["plot_h"] and b2019["h"] == tl["plot_h"] / 2
    assert "estimée" in b2021["title"] and b2021["est_h"] > 0


def test_timeline_inside_one_year_shows_twelve_months(ctx):
    s = state(("year", "2023"))
    tl = build_timeline([{"value": "2023-08", "count": 3}], s)
    assert tl["kind"] == "month" and len(tl["bars"]) == 12
    august = tl["bars"][7]
    assert august["title"].startswith("août 2023") and ("month", "2023-08") in query(august["url"])


def test_timeline_summary_counts_undated_articles(ctx):
    tl = build_timeline([{"value": "2021", "count": 2}], state(), undated=3)
    assert tl["summary"] == "2 articles en 2021 ; 3 articles sans date"


def test_timeline_with_no_counts_is_not_drawn(ctx):
    assert build_timeline([], state()) is None
    assert build_timeline([{"value": "2020", "count": 0}], state()) is None


@pytest.mark.parametrize("hit, text, estimated", [
    ({"date": "2023-08-02"}, "2 août 2023", False),
    ({"date": "2023-08-01"}, "1er août 2023", False),
    ({"date": "2022-03"}, "mars 2022", False),
    ({"date": "2021-06-16", "date_estimated": True}, "≈ 2021", True),
    ({"date": None}, "date inconnue", False),
])
def test_dates_are_french_and_estimates_show_only_a_marked_year(hit, text, estimated):
    d = display_date(hit)
    assert d["text"] == text and d["estimated"] is estimated
    if estimated:
        assert "estimée" in d["title"]


def test_comment_tree_nests_flat_comments_and_survives_cycles_and_orphans():
    comments = [
        {"id": "1", "text": "a", "author": "A", "reply_to": None},
        {"id": "2", "text": "b", "author": "B", "reply_to": "1"},
        {"id": "3", "text": "c", "author": "C", "reply_to": "2"},
        {"id": "4", "text": "d", "author": "D", "reply_to": "missing"},
        {"id": "5", "text": "e", "author": "E", "reply_to": "6"},
        {"id": "6", "text": "f", "author": "F", "reply_to": "5"},
        {"id": "7", "text": "g", "author": "G", "reply_to": "7"},
    ]
    roots = comment_tree(comments)
    assert roots[0]["id"] == "1"
    assert roots[0]["replies"][0]["id"] == "2"
    assert roots[0]["replies"][0]["replies"][0]["parent_author"] == "B"
    flat_ids = []

    def walk(nodes):
        for n in nodes:
            flat_ids.append(n["id"])
            walk(n["replies"])
    walk(roots)
    assert sorted(flat_ids) == ["1", "2", "3", "4", "5", "6", "7"]


def test_comment_tree_keeps_an_already_threaded_list_and_names_the_parent():
    threaded = [{"id": "1", "author": "A", "text": "a", "replies": [
        {"id": "2", "author": "B", "text": "b", "replies": [{"id": "3", "author": None, "text": "c", "replies": []}]}]}]
    roots = comment_tree(threaded)
    child = roots[0]["replies"][0]
    assert child["parent_author"] == "A" and child["replies"][0]["parent_author"] == "B"
    assert [roots[0]["anchor"], child["anchor"], child["replies"][0]["anchor"]] == ["c1", "c2", "c3"]


@pytest.mark.parametrize("html, expected", [
    ("<p>un <mark>mot</mark></p><p>deux<br>trois</p>", "<p>un <mark>mot</mark></p><p>deux<br>trois</p>"),
    ("<p><mark>ouvert</p><p>x</p>", "<p><mark>ouvert</mark></p><p>x</p>"),
    ('<p onclick="x">a</p><img src=x>', "&lt;p onclick=&#34;x&#34;&gt;a</p>&lt;img src=x&gt;"),
])
def test_highlighted_blocks_allow_only_paragraphs_breaks_and_marks(html, expected):
    from webapp.views import marked_blocks

    assert str(marked_blocks(html)) == expected


@pytest.mark.parametrize("article_id, url", [
    ("Bamako avril 2024", "/article/Bamako%20avril%202024"),
    ("lemonde/2023/abc", "/article/lemonde%2F2023%2Fabc"),
    ("a//b", "/article/a%2F%2Fb"),
    ("rapport?final", "/article/rapport%3Ffinal"),
    ("note#2", "/article/note%232"),
    ("100%", "/article/100%25"),
    ("%2F", "/article/%252F"),
    ("Ségou été", "/article/S%C3%A9gou%20%C3%A9t%C3%A9"),
    ("-tiret", "/article/-tiret"),
    (".cache", "/article/.cache"),
    ("...", "/article/..."),
    ("..", "/article?id=.."),
    (".", "/article?id=."),
])
def test_article_links_quote_the_whole_id_into_one_path_segment(ctx, article_id, url):
    assert article_url(article_id) == url


@pytest.mark.parametrize("name, url", [
    ("Sadio Camara", "/personne/Sadio%20Camara"),
    ("Nom/Avec/Barres", "/personne/Nom%2FAvec%2FBarres"),
    ("Ali « le Sage » ?#%", "/personne/Ali%20%C2%AB%20le%20Sage%20%C2%BB%20%3F%23%25"),
    ("..", "/personne?nom=.."),
])
def test_person_links_quote_the_whole_name_into_one_path_segment(ctx, name, url):
    assert person_url(name) == url


def test_an_article_link_keeps_the_query_in_the_query_string(ctx):
    assert query(article_url("a/b", q="sécurité & co")) == [("q", "sécurité & co")]


@pytest.mark.parametrize("environ, size", [
    ({"RAW_URI": "/search?q=%C3%A9"}, 16),  # gunicorn: as sent
    ({"REQUEST_URI": "/search?q=a", "RAW_URI": ""}, 11),  # Werkzeug's server and test client
    ({"PATH_INFO": "/article/S\xc3\xa9gou", "QUERY_STRING": "q=a"}, 23),  # only the decoded parts
])
def test_the_url_length_is_the_request_target_as_sent_in_bytes(environ, size):
    assert url_bytes(environ) == size


@pytest.mark.parametrize("environ, refused", [
    ({"HTTP_HOST": "x", "HTTP_X_A": "b"}, None),
    ({f"HTTP_X_{i}": "x" for i in range(101)}, "trop d’en-têtes"),
    ({"HTTP_COOKIE": "x" * 8180}, None),
    ({"HTTP_COOKIE": "x" * 8181}, "trop long"),
    ({"CONTENT_TYPE": "x" * 9000}, "trop long"),
])
def test_header_limits_count_fields_and_their_bytes_as_gunicorn_does(environ, refused):
    problem = header_problem(environ)
    assert (problem is None) if refused is None else (refused in problem)
