"""The « du … au » date range, on both engines: one parser for ``from``/``to``, partial dates, URLs, chips, 400s."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from search.cli import main
from search.query.request import BadParameter, SearchRequest
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.query_fixtures import article

#: Days, months and years around a range, so that every boundary of the rule is crossed.
DATED = [
    article("a-1031", "Sécurité à Gao", "Les forces armées patrouillent.", outlet="Maliweb", date="2019-10-31"),
    article("a-1101", "Sécurité à Mopti", "Un convoi escorté.", outlet="L'Essor", date="2019-11-01"),
    article("a-1126", "Sommet de Bamako", "La sécurité au menu.", outlet="Maliweb", date="2019-11-26"),
    article("m-2019-11", "Bilan de novembre", "La sécurité du mois.", outlet="L'Essor", date="2019-11"),
    article("m-2019-12", "Bilan de décembre", "Le mois des fêtes.", outlet="Maliweb", date="2019-12"),
    article("a-1215", "Accord signé", "La sécurité progresse.", outlet="L'Essor", date="2019-12-15"),
    article("a-1216", "Lendemain d'accord", "Réactions.", outlet="Maliweb", date="2019-12-16"),
    article("y-2019", "Rétrospective", "Une année de sécurité.", outlet="Maliweb", date="2019"),
    article("a-2020-0101", "Vœux", "Bonne année.", outlet="L'Essor", date="2020-01-01"),
    article("y-2020", "Une année", "Bilan de l'année.", outlet="L'Essor", date="2020"),
    article("m-2021-03", "Mars", "Le printemps.", outlet="Maliweb", date="2021-03"),
    article("undated", "Sans date", "Texte sans date sur la sécurité.", outlet="Maliweb"),
]
ALL = {a["id"] for a in DATED}
DATED_IDS = ALL - {"undated"}
RANGE = {"a-1101", "a-1126", "m-2019-11", "a-1215"}  # du 01/11/2019 au 15/12/2019


@pytest.fixture(scope="module")
def svc(engine_name, request):
    return build(request, engine_name, articles=DATED, segments=2, label="dates")


@pytest.fixture(scope="module")
def client(svc):
    return svc.web(HITS_PER_PAGE=50)


def cli_run(svc, args):
    """Run ``presse`` on the engine of ``svc`` (its folder as ``--index``)."""
    return CliRunner(env=svc.environ()).invoke(main, [args[0], "--index", str(svc.index_dir), *args[1:]])


def found(svc, **params) -> set[str]:
    return {h["id"] for h in svc.search(SearchRequest.from_params({"limit": "100", **params})).to_dict()["hits"]}


# ------------------------------------------------------------------ parsing (search/query/request.py)


@pytest.mark.parametrize("params, expected", [
    ({"from": "2019-11-01"}, ("2019-11-01", "")),
    ({"to": "2019-12-15"}, ("", "2019-12-15")),
    ({"from": "01/11/2019", "to": "15/12/2019"}, ("2019-11-01", "2019-12-15")),
    ({"from": "1/11/2019", "to": "15-12-2019"}, ("2019-11-01", "2019-12-15")),
    ({"from": "2019-11", "to": "2019-11"}, ("2019-11-01", "2019-11-30")),
    ({"from": "2020", "to": "2020"}, ("2020-01-01", "2020-12-31")),
    ({"date_from": "2019-02", "date_to": "2020-02"}, ("2019-02-01", "2020-02-29")),
    ({"from": "novembre 2019"}, ("2019-11-01", "")),
    ({"from": "15/12/2019", "to": "01/11/2019"}, ("2019-11-01", "2019-12-15")),
    ({"from": "2021", "to": "2019"}, ("2019-01-01", "2021-12-31")),
    ({"from": "", "to": ""}, ("", "")),
    ({"from": ["2019", "2021"]}, ("2021-01-01", "")),
    ({"from": " 2019-11-01 "}, ("2019-11-01", "")),
])
def test_from_and_to_are_read_as_first_and_last_days_and_put_in_order(params, expected):
    req = SearchRequest.from_params(params)
    assert (req.date_from, req.date_to) == expected


def test_a_range_survives_the_round_trip_through_url_parameters():
    req = SearchRequest.from_params({"q": "mali", "from": "01/11/2019", "to": "2019-12"})
    assert req.to_params()["from"] == ["2019-11-01"] and req.to_params()["to"] == ["2019-12-31"]
    assert SearchRequest.from_params(req.to_params()) == req


@pytest.mark.parametrize("params, message", [
    ({"from": "31/02/2019"}, "« from » (date de début) : date invalide (31/02/2019 : ce jour n'existe pas)"),
    ({"to": "2019-13"}, "« to » (date de fin) : date invalide (2019-13 : mois 13)"),
    ({"from": "demain"}, "« from » (date de début) : date invalide (demain)"),
    ({"to": "0000"}, "l'année 0 n'existe pas"),
    ({"date_from": "2019-11-31"}, "ce jour n'existe pas"),
    ({"from": "12/2019/01"}, "date invalide (12/2019/01)"),
    ({"from": "x" * 5000}, "date invalide"),
])
def test_a_date_that_cannot_be_read_is_a_bad_parameter_in_french(params, message):
    with pytest.raises(BadParameter) as err:
        SearchRequest.from_params(params)
    assert message in str(err.value) and "JJ/MM/AAAA" in str(err.value)


# ------------------------------------------------------------------ filtering (search/query/service.py)


@pytest.mark.parametrize("date_from, date_to, expected", [
    ("2019-11-01", "2019-12-15", RANGE),
    ("01/11/2019", "15/12/2019", RANGE),
    ("15/12/2019", "01/11/2019", RANGE),
    ("2019-11", "2019-12", RANGE | {"m-2019-12", "a-1216"}),
    ("2019", "2019", {i for i in DATED_IDS if "2019" in i or i.startswith("a-1")}),
    ("2019-12-16", "", {"a-1216", "a-2020-0101", "y-2020", "m-2021-03"}),
    ("", "2019-10-31", {"a-1031"}),
    ("2019-11-02", "2019-11-30", {"a-1126"}),
    ("2020-01-01", "2020-01-01", {"a-2020-0101"}),
    ("2020", "2019", DATED_IDS - {"m-2021-03"}),
    ("1900", "", DATED_IDS),
])
def test_the_range_keeps_what_lies_wholly_within_it_and_never_undated_articles(svc, date_from, date_to, expected):
    assert found(svc, **{"from": date_from, "to": date_to}) == expected


@pytest.mark.parametrize("params, expected", [
    ({"q": "securite"}, RANGE),
    ({"outlet": "Maliweb"}, {"a-1126"}),
    ({"-outlet": "Maliweb"}, {"a-1101", "m-2019-11", "a-1215"}),
    ({"year": "2019", "month": "2019-11"}, {"a-1101", "a-1126", "m-2019-11"}),
    ({"q": "date:2019-12"}, {"a-1215"}),
])
def test_the_range_is_anded_with_the_words_and_the_other_filters(svc, params, expected):
    assert found(svc, **{"from": "2019-11-01", "to": "2019-12-15", **params}) == expected


def test_year_facet_and_timeline_count_only_inside_the_range(svc):
    res = svc.search(SearchRequest.from_params({"from": "2019-11-01", "to": "2020-12-31"})).to_dict()
    years = {r["value"]: r["count"] for r in res["facets"]["year"]}
    assert years == {"2019": 6, "2020": 2}
    assert {r["value"]: r["count"] for r in res["timeline"]} == {"2019": 6, "2020": 2}
    months = svc.search(SearchRequest.from_params({"from": "2019-11-01", "to": "2019-12-15",
                                                   "year": "2019"})).to_dict()["facets"]["month"]
    assert {r["value"]: r["count"] for r in months} == {"2019-11": 3, "2019-12": 1}


def test_a_range_inside_one_year_draws_the_timeline_by_month(svc):
    res = svc.search(SearchRequest.from_params({"from": "2019-11-01", "to": "2019-12-15"})).to_dict()
    counts = {r["value"]: r["count"] for r in res["timeline"]}
    assert len(counts) == 12 and counts["2019-11"] == 3 and counts["2019-12"] == 1 and sum(counts.values()) == 4
    assert res["facets"]["month"] == []  # the sidebar keeps its years: no year was ticked


@pytest.mark.parametrize("years, counts", [(5, "all"), (12, "all"), (30, "wide"), (80, "focus")])
def test_counts_are_printed_above_the_bars_only_where_they_fit(years, counts):
    from webapp.timeline import build_timeline

    rows = [{"value": str(1950 + i), "count": 100 + i} for i in range(years)]
    tl = build_timeline(rows, None, link=lambda kind, value: f"/search?{kind}={value}")
    assert tl["counts"] == counts
    labelled = [b["label"] for b in tl["bars"] if b["label_where"] == "all"]
    assert 1 <= len(labelled) <= 6 + 1 and all(label for label in labelled)


# ------------------------------------------------------------------ HTTP and the command line


@pytest.mark.parametrize("path, headers", [("/search", {}), ("/search", {"HX-Request": "true"}), ("/api/search", {})])
@pytest.mark.parametrize("query", ["from=31/02/2019", "to=2019-13", "from=hier", "date_from=0000&to=2019"])
def test_a_bad_date_is_a_french_400_on_every_endpoint_never_a_500(client, path, headers, query):
    resp = client.get(f"{path}?{query}", headers=headers)
    assert resp.status_code == 400
    assert "date invalide" in resp.get_data(as_text=True)


def test_presse_search_reads_from_and_to_with_the_same_parser(svc):
    out = cli_run(svc, ["search", "--json", "--limit", "100", "--from", "01/11/2019", "--to", "15/12/2019"])
    assert out.exit_code == 0, out.output
    assert {h["id"] for h in json.loads(out.stdout)["hits"]} == RANGE


def test_presse_search_refuses_a_bad_date_with_the_api_message(client, svc):
    out = cli_run(svc, ["search", "--from", "31/02/2019"])
    assert out.exit_code == 2
    api = client.get("/api/search?from=31/02/2019").get_json()["error"]
    assert "ce jour n'existe pas" in out.stderr and out.stderr.strip().removeprefix("error: ") in api


# ------------------------------------------------------------------ the page: form, chips, links


def soup(resp) -> BeautifulSoup:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def test_the_search_form_has_two_labelled_date_fields_holding_the_range(client):
    page = soup(client.get("/search?q=securite&from=01/11/2019&to=2019-12-15"))
    form = page.select_one("form#search-form[method=get]")
    start, end = form.select_one("input#date-from"), form.select_one("input#date-to")
    assert (start["type"], start["name"], start["value"]) == ("date", "from", "2019-11-01")
    assert (end["type"], end["name"], end["value"]) == ("date", "to", "2019-12-15")
    assert "date de début" in page.select_one("label[for=date-from]").get_text()
    assert "date de fin" in page.select_one("label[for=date-to]").get_text()
    assert {" ".join(h.select_one(".hit-title a").get_text().split()) for h in page.select(".hit")} \
        == {a["title"] for a in DATED if a["id"] in RANGE}


@pytest.mark.parametrize("query, label", [
    ("from=2019-11-01&to=2019-12-15", "Du 01/11/2019 au 15/12/2019"),
    ("from=01/11/2019", "Depuis le 01/11/2019"),
    ("to=2019-12", "Jusqu’au 31/12/2019"),
])
def test_the_range_is_a_chip_whose_link_removes_only_the_dates(client, query, label):
    page = soup(client.get(f"/search?q=securite&outlet=Maliweb&{query}"))
    chip = next(c for c in page.select(".chips a.chip") if "Période" in c.get_text())
    assert label in chip.get_text()
    assert query_of(chip["href"]) == [("q", "securite"), ("outlet", "Maliweb")]
    clear = page.select_one(".chips a.chip-clear")
    assert query_of(clear["href"]) == [("q", "securite")]


def test_facet_and_page_links_carry_the_range(client):
    page = soup(client.get("/search?from=01/11/2019&to=15/12/2019&limit=1"))
    facet_links = [dict(query_of(a["href"])) for a in page.select(".sidebar a[href*='outlet=']")]
    bars = [dict(query_of(a["href"])) for a in page.select("figure.timeline svg a.bar")]
    pages = [dict(query_of(a["href"])) for a in page.select(".pagination a")]
    for params in facet_links + bars + pages:
        assert (params["from"], params["to"]) == ("2019-11-01", "2019-12-15")
    assert bars and pages


def test_a_timeline_with_its_own_links_offers_no_range_and_no_htmx_swap(client):
    from webapp.timeline import build_timeline

    tl = build_timeline([{"value": "2019", "count": 2}], None, link=lambda kind, value: f"/search?{kind}={value}")
    assert tl["range"] is False and tl["bars"][0]["url"] == "/search?year=2019"
    page = soup(client.get("/search"))
    assert page.select_one("figure.tl")["data-range"] == "year"
    assert all(a["hx-get"] == a["href"] for a in page.select("figure.tl a.tl-bar"))
