"""Every documented URL parameter of ``/search`` (page and htmx fragment) and ``/api/search``, over HTTP.

One parser reads them all (search/query/request.py): each case asserts the parameter's effect on
the hits or the facets, on every endpoint, and each invalid value listed in the README gets the
same French 400 everywhere. The index is built from a JSONL file by ``presse reindex``'s own code,
on both engines.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from search.cli import main
from search.query.request import (DEFAULT_FACET_LIMIT, DEFAULT_LIMIT, MAX_FACET_VALUES, MAX_FILTER_VALUES, MAX_LIMIT,
                                  MAX_PAGE, MAX_VALUE_CHARS)
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent

#: Six articles where every filter, exclusion and order gives a different, known answer.
RECORDS = [
    {"id": "a1", "title": "Sécurité à Bamako", "body": "La sécurité est renforcée à Bamako.",
     "outlet": "Maliweb", "date": "2023-08-02", "persons": ["Assimi Goïta", "Sadio Camara"], "author": "Awa Traoré",
     "comments": [{"id": "1", "text": "Le marché de Kati est calme.", "author": "Bakary"}]},
    {"id": "a2", "title": "Le Sahel en question", "body": "Sahel, Sahel : la sécurité au Sahel d'abord.",
     "outlet": "L'Essor", "date": "2023-05-10", "persons": ["Assimi Goïta"], "author": "Moussa Diarra"},
    {"id": "a3", "title": "Routes du Nord", "body": "La sécurité des routes vers le Sahel inquiète.",
     "outlet": "APA", "date": "2023-08-20", "persons": ["Vladimir Poutine"], "author": "Awa Traoré"},
    {"id": "a4", "title": "Budget de la défense", "body": "Le budget parle de sécurité et du Sahel.",
     "outlet": "Maliweb", "date": "2022-03-01", "persons": ["Sadio Camara"], "author": "Moussa Diarra"},
    {"id": "a5", "title": "Prix au marché", "body": "Au marché de Ségou, les prix montent.",
     "outlet": "APA", "date": "2021-01-15", "persons": ["Fatoumata Diawara"], "author": "Ibrahim Koné"},
    {"id": "a6", "title": "Pluies d'hivernage", "body": "Les pluies arrivent tôt cette année.",
     "outlet": "Bamada.net", "date": "2020-07-07", "persons": [], "author": "Ibrahim Koné"},
]
ALL = {r["id"] for r in RECORDS}
ENDPOINTS = ["page", "htmx", "api"]


@pytest.fixture(scope="module")
def index_dir(engine_name, request, tmp_path_factory):
    src = tmp_path_factory.mktemp("params-src")
    (src / "articles.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), "utf-8")
    built = build(request, engine_name, source=src, label="params")
    assert built.report.total_docs == len(RECORDS), built.report
    return built


@pytest.fixture(scope="module")
def client(index_dir):
    return index_dir.web()


def get(client, endpoint: str, query: str):
    """GET ``query`` from one endpoint: the full page, the htmx fragment or the API."""
    path = "/api/search" if endpoint == "api" else "/search"
    headers = {"HX-Request": "true"} if endpoint == "htmx" else {}
    return client.get(f"{path}?{query}", headers=headers)


def page(resp) -> BeautifulSoup:
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def hit_ids(client, endpoint: str, query: str) -> list[str]:
    """Return the ids of the hits shown, in order."""
    resp = get(client, endpoint, query)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    if endpoint == "api":
        return [h["id"] for h in resp.get_json()["hits"]]
    links = page(resp).select("li.hit .hit-title a")
    return [unquote(urlsplit(a["href"]).path.removeprefix("/article/")) for a in links]


def facet_values(client, endpoint: str, query: str, name: str) -> list[str]:
    """Return the values a facet lists (the sidebar on the page, ``facets`` in the API)."""
    resp = get(client, endpoint, query)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    if endpoint == "api":
        return [row["value"] for row in resp.get_json()["facets"][name]]
    return [li["data-label"] for li in page(resp).select(f"#facet-{name}-list li")]


def error_text(resp) -> str:
    """Return the message of a 400: the JSON ``error``, or the page's text."""
    if resp.is_json:
        return resp.get_json()["error"]
    text = page(resp).get_text(" ")
    assert "Requête incorrecte" in text
    return text


# ------------------------------------------------------------------ filters and exclusions


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query, expected", [
    ("q=s%C3%A9curit%C3%A9", {"a1", "a2", "a3", "a4"}),
    ("q=securite+-sahel", {"a1"}),
    ("outlet=Maliweb", {"a1", "a4"}),
    ("outlet=Maliweb&outlet=APA", {"a1", "a3", "a4", "a5"}),
    ("year=2023", {"a1", "a2", "a3"}),
    ("year=2021&year=2020", {"a5", "a6"}),
    ("month=2023-08", {"a1", "a3"}),
    ("month=2023-08&month=2023-05", {"a1", "a2", "a3"}),
    ("person=Sadio+Camara", {"a1", "a4"}),
    ("person=Sadio+Camara&person=Assimi+Go%C3%AFta", {"a1"}),  # persons combine with AND
    ("person=Sadio+Camara&person=Vladimir+Poutine", set()),
    ("person=Sadio+Camara&person=Personne+Inconnue", set()),
    ("author=Awa+Traor%C3%A9", {"a1", "a3"}),
    ("author=Awa+Traor%C3%A9&author=Ibrahim+Kon%C3%A9", {"a1", "a3", "a5", "a6"}),
    ("outlet=Maliweb&year=2023", {"a1"}),
    ("-outlet=APA", ALL - {"a3", "a5"}),
    ("not_outlet=APA", ALL - {"a3", "a5"}),
    ("-outlet=APA&-outlet=Maliweb", {"a2", "a6"}),
    ("-year=2023", {"a4", "a5", "a6"}),
    ("not_year=2023", {"a4", "a5", "a6"}),
    ("-person=Assimi+Go%C3%AFta", ALL - {"a1", "a2"}),
    ("not_person=Assimi+Go%C3%AFta", ALL - {"a1", "a2"}),
    ("-author=Ibrahim+Kon%C3%A9", {"a1", "a2", "a3", "a4"}),
    ("not_author=Ibrahim+Kon%C3%A9", {"a1", "a2", "a3", "a4"}),
    ("year=2023&-month=2023-08", {"a2"}),
    ("year=2023&not_month=2023-08", {"a2"}),
    ("-month=2023-08", ALL - {"a1", "a3"}),
    ("outlet=Maliweb&-year=2023", {"a4"}),
])
def test_each_filter_and_exclusion_selects_exactly_its_articles(client, endpoint, query, expected):
    assert set(hit_ids(client, endpoint, query)) == expected


@pytest.mark.parametrize("query", ["year=2023&-month=2023-08", "year=2023&not_month=2023-08"])
def test_the_api_lists_an_excluded_month_as_excluded_with_its_disjunctive_count(client, query):
    months = get(client, "api", query).get_json()["facets"]["month"]
    assert [(m["value"], m["count"], m["selected"], m["excluded"]) for m in months] == [
        ("2023-08", 2, False, True), ("2023-05", 1, False, False)]


@pytest.mark.parametrize("endpoint", ["page", "htmx"])
def test_the_page_keeps_an_excluded_month_in_the_form_and_shows_a_chip_that_lifts_it(client, endpoint):
    html = page(get(client, endpoint, "year=2023&-month=2023-08"))
    chip = html.select_one(".chips .chip-excluded")
    assert "sauf août 2023" in chip.get_text(" ", strip=True)
    assert parse_qsl(urlsplit(chip["href"]).query) == [("year", "2023")]
    assert html.find("input", attrs={"type": "hidden", "name": "-month", "value": "2023-08"})


# ------------------------------------------------------------------ order, scope, pages


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query", ["q=sahel", "q=sahel&sort=relevance", "q=sahel&sort=pertinence"])
def test_relevance_puts_the_article_about_the_words_first_whatever_its_date(client, endpoint, query):
    ids = hit_ids(client, endpoint, query)
    assert ids[0] == "a2" and set(ids) == {"a2", "a3", "a4"}  # the title and three mentions win


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query, expected", [
    ("q=sahel&sort=newest", ["a3", "a2", "a4"]),
    ("q=sahel&sort=oldest", ["a4", "a2", "a3"]),
    ("sort=newest", ["a3", "a1", "a2", "a4", "a5", "a6"]),
    ("sort=oldest", ["a6", "a5", "a4", "a2", "a1", "a3"]),
    ("", ["a3", "a1", "a2", "a4", "a5", "a6"]),
])
def test_newest_and_oldest_order_hits_by_date_as_relevance_does_without_words(client, endpoint, query, expected):
    assert hit_ids(client, endpoint, query) == expected


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("scope, expected", [
    ("all", {"a1", "a5"}),
    ("articles", {"a5"}),
    ("comments", {"a1"}),
])
def test_scope_looks_for_words_in_articles_comments_or_both(client, endpoint, scope, expected):
    assert set(hit_ids(client, endpoint, f"q=march%C3%A9&scope={scope}")) == expected


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query, expected", [
    ("sort=oldest&limit=2", ["a6", "a5"]),
    ("sort=oldest&limit=2&page=2", ["a4", "a2"]),
    ("sort=oldest&limit=4&page=2", ["a1", "a3"]),
    ("sort=oldest&limit=2&page=9", []),
    ("sort=oldest&limit=1&page=6", ["a3"]),
])
def test_page_and_limit_cut_the_ordered_hits(client, endpoint, query, expected):
    assert hit_ids(client, endpoint, query) == expected


@pytest.mark.parametrize("limit", [1, MAX_LIMIT])
def test_the_api_reports_the_limit_it_used_from_1_to_the_maximum(client, limit):
    data = get(client, "api", f"limit={limit}").get_json()
    assert data["limit"] == limit and len(data["hits"]) == min(limit, len(RECORDS))
    assert data["pages"] == -(-len(RECORDS) // limit)


def test_page_links_keep_the_limit_and_the_exclusions(client):
    html = page(get(client, "page", "sort=oldest&limit=2&-outlet=Bamada.net"))
    nxt = html.select_one('nav.pagination a[rel="next"]')["href"]
    assert hit_ids(client, "page", urlsplit(nxt).query) == ["a2", "a1"]


# ------------------------------------------------------------------ facet options


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query, expected", [
    ("facet_limit=1", ["Assimi Goïta"]),
    ("facet_limit=2", ["Assimi Goïta", "Sadio Camara"]),
    ("", ["Assimi Goïta", "Sadio Camara", "Fatoumata Diawara", "Vladimir Poutine"]),
    ("facet_limit=0", ["Assimi Goïta", "Sadio Camara", "Fatoumata Diawara", "Vladimir Poutine"]),
])
def test_facet_limit_caps_each_facet_and_zero_lists_every_value(client, endpoint, query, expected):
    assert facet_values(client, endpoint, query, "person") == expected


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query, facet, expected", [
    ("facet_filter_person=goi", "person", ["Assimi Goïta"]),
    ("facet_filter=person:goi", "person", ["Assimi Goïta"]),
    ("person_filter=goi", "person", ["Assimi Goïta"]),
    ("facet_filter_person=CAMARA", "person", ["Sadio Camara"]),
    ("facet_filter_author=kone", "author", ["Ibrahim Koné"]),
    ("facet_filter=outlet:mali", "outlet", ["Maliweb"]),
    ("facet_filter_person=zzz", "person", []),
])
def test_a_facet_filter_lists_only_values_containing_the_text_accents_ignored(client, endpoint, query, facet,
                                                                             expected):
    assert facet_values(client, endpoint, query, facet) == expected
    assert set(hit_ids(client, endpoint, query)) == ALL, "a facet filter narrows the list, not the hits"


@pytest.mark.parametrize("query", ["person_filter=goi", "facet_filter_person=goi"])
def test_the_person_filter_box_shows_the_text_it_filters_with(client, query):
    box = page(get(client, "page", query)).find("input", id="filter-person")
    assert box["name"] == "person_filter" and box["value"] == "goi"


# ------------------------------------------------------------------ invalid values


TOO_MANY = urlencode([("outlet", f"Journal {i}") for i in range(MAX_FILTER_VALUES + 1)])
TOO_MANY_EXCLUDED = urlencode([("-outlet", f"Journal {i}") for i in range(MAX_FILTER_VALUES)]
                              + [("not_outlet", "Journal x")])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query, message", [
    ("page=abc", "« page » doit être un nombre entier"),
    ("page=0", "« page » doit être compris entre 1 et"),
    ("page=-1", "« page » doit être compris entre 1 et"),
    ("year=abc", "année invalide : « abc »"),
    ("-year=23", "année invalide : « 23 »"),
    ("month=2023-13", "mois invalide : « 2023-13 »"),
    ("year=2023&-month=2023-13", "mois invalide : « 2023-13 »"),
    ("sort=random", "tri inconnu « random »"),
    ("scope=partout", "portée inconnue « partout »"),
    ("limit=500", f"« limit » doit être compris entre 1 et {MAX_LIMIT}"),
    ("limit=0", f"« limit » doit être compris entre 1 et {MAX_LIMIT}"),
    ("facet_limit=abc", "« facet_limit » doit être un nombre entier"),
    ("person=" + "x" * (MAX_VALUE_CHARS + 1), f"valeur trop longue pour « person » (au plus {MAX_VALUE_CHARS}"),
    ("-author=" + "x" * (MAX_VALUE_CHARS + 1), "valeur trop longue pour « -author »"),
    ("facet_filter_person=" + "x" * (MAX_VALUE_CHARS + 1), "valeur trop longue pour « facet_filter_person »"),
    (TOO_MANY, f"trop de valeurs pour « outlet » (au plus {MAX_FILTER_VALUES})"),
    (TOO_MANY_EXCLUDED, f"trop de valeurs pour « -outlet » (au plus {MAX_FILTER_VALUES})"),
])
def test_each_invalid_value_gets_the_same_french_400_on_every_endpoint(client, endpoint, query, message):
    resp = get(client, endpoint, query)
    assert resp.status_code == 400
    assert resp.is_json is (endpoint == "api")
    assert ("<html" in resp.get_data(as_text=True)) is (endpoint == "page")
    assert message in error_text(resp)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("query, expected", [
    ("person=" + "x" * MAX_VALUE_CHARS, set()),
    (urlencode([("outlet", "APA")] * MAX_FILTER_VALUES), {"a3", "a5"}),
    ("sort=&scope=&page=&limit=", ALL),
    ("q=&outlet=", ALL),
])
def test_values_at_the_limits_or_left_empty_are_accepted(client, endpoint, query, expected):
    assert set(hit_ids(client, endpoint, query)) == expected


# ------------------------------------------------------------------ the command line, same parser


@pytest.mark.parametrize("args, expected", [
    (["--year", "2023", "--not-month", "2023-08"], ["a2"]),
    (["--sort", "oldest", "--limit", "2", "--page", "2"], ["a4", "a2"]),
    (["--not-outlet", "APA", "--not-outlet", "Maliweb"], ["a2", "a6"]),
])
def test_presse_search_reads_its_options_with_the_same_parser(index_dir, args, expected):
    out = CliRunner(env=index_dir.environ()).invoke(main, ["search", "--json", "--index", str(index_dir.index_dir),
                                                           *args])
    assert out.exit_code == 0, out.output
    ids = [h["id"] for h in json.loads(out.stdout)["hits"]]
    assert ids == expected if "--sort" in args else set(ids) == set(expected)


@pytest.mark.parametrize("args, query", [
    (["--limit", "500"], "limit=500"),
    (["--month", "2023-13"], "month=2023-13"),
    (["--sort", "random"], "sort=random"),
    (["--person", "x" * (MAX_VALUE_CHARS + 1)], "person=" + "x" * (MAX_VALUE_CHARS + 1)),
])
def test_presse_search_refuses_what_the_api_refuses_with_the_same_message(client, index_dir, args, query):
    out = CliRunner(env=index_dir.environ()).invoke(main, ["search", "--index", str(index_dir.index_dir), *args])
    assert out.exit_code == 2
    assert f"error: {get(client, 'api', query).get_json()['error'].removeprefix('Paramètre invalide : ')}" \
        in out.stderr


def test_presse_search_help_states_the_parsers_defaults_and_bounds():
    out = CliRunner().invoke(main, ["search", "--help"])
    text = " ".join(out.output.split())
    assert f"default {DEFAULT_LIMIT}, at most {MAX_LIMIT}" in text
    assert f"default {DEFAULT_FACET_LIMIT}, 0: all" in text


# ------------------------------------------------------------------ the documentation


def test_the_readme_parameter_table_states_the_parsers_limits():
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme[readme.index("## JSON API"):readme.index("Query language:")]
    for fact in (f"at most {MAX_FILTER_VALUES} values per filter", f"{MAX_VALUE_CHARS} characters per value",
                 f"1–{MAX_LIMIT}, default {DEFAULT_LIMIT}", f"at most {MAX_PAGE:,}",
                 f"default {DEFAULT_FACET_LIMIT}, `0` = all, at most {MAX_FACET_VALUES:,}",
                 "`page=abc`", "`page=0`", "`year=abc`", "`month=2023-13`", "`limit=500`",
                 "`-month`", "`not_outlet`", "`facet_filter_person=goi`", "`facet_filter=person:goi`",
                 "`person_filter=goi`"):
        assert fact in table, fact
