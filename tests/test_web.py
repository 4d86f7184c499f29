"""The web app through Flask's test client, on both engines: every page, the htmx partial, the API, headers, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.engine_fixture import absent, build, seeds
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.query_fixtures import article
from webapp import HTMX_SRI, HTMX_VERSION, STATIC_DIR, create_app

PROBE = "<script>alert(1)</script>"

#: A corpus where every facet, thread, link and trap is known exactly.
WEB_ARTICLES = [
    article("w01", "Coopération militaire avec la Russie", "La coopération militaire progresse à Bamako.",
            outlet="Maliweb", date="2023-08-02", persons=["Sadio Camara", "Vladimir Poutine"],
            author="Mohamed Keita", url="https://www.maliweb.net/politique/cooperation-123.html",
            comments=[{"id": "1", "text": "Bravo pour cette coopération", "author": "Awa", "reply_to": None},
                      {"id": "2", "text": "Je ne suis pas d'accord", "author": "Bakary", "reply_to": "1"},
                      {"id": "3", "text": "Pourquoi donc ?", "author": None, "reply_to": "2"},
                      {"id": "4", "text": "Autre sujet", "author": "Coumba", "reply_to": None}]),
    article("w02", "Sécurité au Sahel", "Les forces armées renforcent la sécurité. Coopération régionale.",
            outlet="L'Essor", date="2023-05-10", persons=["Assimi Goïta"]),
    article("w03", "Visite à Moscou", "Le ministre évoque la coopération avec Moscou.",
            outlet="Bamada.net", date="2021", estimated=True, persons=["Sadio Camara"]),
    article("w04", f"{PROBE} Titre piégé", f"Corps {PROBE} avec coopération piégée.",
            outlet=f"<i>Evil</i>{PROBE}", date="2020-02-02", author=f"<b>Auteur</b>{PROBE}",
            persons=[f"Evil {PROBE}"], url="javascript:alert(1)",
            comments=[{"id": "x", "text": f"commentaire {PROBE}", "author": PROBE, "reply_to": None}]),
    article("w05", "Transhumance", "Un texte neutre.", outlet="L'Essor", date="2022-06-01",
            comments=["La transhumance est un sujet oublié."]),
] + [
    article(f"p{i:02d}", f"Dépêche numéro {i} sur la coopération", f"Texte {i} sur la coopération agricole.",
            outlet="APA", date=f"2019-{(i % 12) + 1:02d}-01")
    for i in range(1, 13)
]


def soup(resp) -> BeautifulSoup:
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


@pytest.fixture(scope="module")
def client(engine_name, request):
    return seeds(request, engine_name).web()


@pytest.fixture(scope="module")
def web_index(engine_name, request):
    return build(request, engine_name, articles=WEB_ARTICLES, label="web")


@pytest.fixture(scope="module")
def wclient(web_index):
    return web_index.web(HITS_PER_PAGE=5)


def api(client, query: str = "") -> dict:
    resp = client.get("/api/search?" + query)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


# ------------------------------------------------------------------ search page on the seeds


@pytest.mark.parametrize("path", ["/", "/search"])
def test_home_and_search_list_every_seed_article_with_a_real_get_form(client, path):
    page = soup(client.get(path))
    form = page.find("form", id="search-form")
    assert form["method"] == "get" and form["action"] == "/search"
    q = form.find("input", attrs={"name": "q"})
    assert page.find("label", attrs={"for": q["id"]}) is not None
    assert len(page.select("ol.hits > li.hit")) == 5
    assert page.find("main") and page.find("header", attrs={"role": "banner"}) and page.find("aside")
    assert page.select_one("a.skip-link")["href"] == "#resultats"
    assert page.find(id="resultats") is not None


def test_search_shows_count_interpretation_and_highlights_accentless_words(client):
    page = soup(client.get("/search?q=securite"))
    assert re.search(r"\d+ résultats?", page.find(id="results-heading").get_text())
    assert "securite" in page.select_one(".interpreted").get_text()
    marks = [m.get_text().lower() for m in page.select(".snippet mark")]
    assert "sécurité" in marks
    status = page.find(id="result-status")
    assert status["aria-live"] == "polite" and "securite" in status.get_text()


def test_each_hit_links_to_its_article_with_the_query_and_lists_persons_as_filter_links(client):
    page = soup(client.get("/search?q=cooperation"))
    hit = page.select_one("li.hit")
    link = hit.select_one(".hit-title a")
    assert link["href"].startswith("/article/") and ("q", "cooperation") in query_of(link["href"])
    persons = hit.select(".persons a")
    assert persons, "every seed mentions persons"
    assert ("person", persons[0].get_text()) in query_of(persons[0]["href"])
    assert hit.select_one(".matched .tag") is not None


def test_person_facet_counts_match_the_seeds(client):
    page = soup(client.get("/"))
    counts = {li["data-label"]: li.select_one(".count").get_text(strip=True)
              for li in page.select("#facet-person-list li")}
    assert counts.get("Sadio Camara") == "4" and counts.get("Vladimir Poutine") == "4"


def test_misspelled_query_gets_a_did_you_mean_link(client):
    page = soup(client.get("/search?q=cooperasion+militere"))
    link = page.select_one(".did-you-mean a")
    assert link is not None and ("q", "coopération militaire") in query_of(link["href"])


def test_a_query_without_hits_shows_suggestions_not_an_empty_page(client):
    page = soup(client.get("/search?q=zzyzxqwv"))
    assert page.select_one(".empty") is not None
    assert "Aucun" in page.select_one(".empty-title").get_text()
    assert page.select(".empty-tips li")


def test_query_syntax_help_is_on_the_page_in_french(client):
    help_box = soup(client.get("/")).find(id="aide")
    text = help_box.get_text()
    assert "OU" in text and "coop*" in text and "personne:" in text


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_sort_select_keeps_the_chosen_order(client, sort):
    page = soup(client.get(f"/search?q=mali&sort={sort}"))
    assert page.select_one("#sort option[selected]")["value"] == sort


def test_scope_comments_finds_words_only_in_reader_comments(wclient):
    page = soup(wclient.get("/search?q=transhumance&scope=comments"))
    assert [a.get_text() for a in page.select(".hit-title a")] == ["Transhumance"]
    assert page.select_one('input[name="scope"][value="comments"]').has_attr("checked")


# ------------------------------------------------------------------ htmx partial and headers


def test_htmx_request_gets_only_the_results_partial_with_facets_and_status(client):
    resp = client.get("/search?q=securite", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html and "<form" not in html
    page = BeautifulSoup(html, "html.parser")
    assert page.select("li.hit") and page.select("aside .facet")
    oob = page.find(id="result-status")
    assert oob["hx-swap-oob"] == "innerHTML"


def test_history_restore_request_gets_the_full_page(client):
    resp = client.get("/search?q=securite", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in resp.get_data(as_text=True)


def test_the_full_page_wraps_the_same_partial_in_a_swap_region(client):
    page = soup(client.get("/search?q=securite"))
    region = page.find(id="results-region")
    assert region.find("aside") and region.select("li.hit")
    q = page.find("input", id="q")
    assert region.find("input", id="q") is None, "the search box must stay outside the swapped region"
    assert q["hx-target"] == "#results-region" and "keyup changed delay:300ms" in q["hx-trigger"]
    assert q["hx-push-url"] == "true"
    assert page.find(id="loading") is not None


@pytest.mark.parametrize("path", ["/", "/search?q=mali", "/article/000_099785bdeec106f2", "/personne/Sadio%20Camara",
                                  "/api/search", "/healthz", "/article/nope", "/search?page=abc",
                                  "/static/css/presse.css"])
def test_every_response_varies_on_hx_request_and_carries_security_headers(client, path):
    resp = client.get(path)
    assert "HX-Request" in resp.headers.get("Vary", "")
    csp = resp.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self' https://cdn.jsdelivr.net", "style-src 'self'",
                      "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"]
    resp.close()


def test_htmx_is_pinned_on_the_cdn_with_a_matching_sri_hash_and_a_local_fallback(client):
    page = soup(client.get("/"))
    scripts = page.find_all("script")
    cdn = scripts[0]
    assert cdn["src"] == f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
    assert cdn["crossorigin"] == "anonymous"
    vendored = (STATIC_DIR / "htmx.min.js").read_bytes()
    digest = base64.b64encode(hashlib.sha384(vendored).digest()).decode()
    assert cdn["integrity"] == HTMX_SRI == f"sha384-{digest}"
    assert f"htmx.org@{HTMX_VERSION}" in (Path(STATIC_DIR).parent / "README.md").read_text(encoding="utf-8") or \
        HTMX_VERSION in (Path(STATIC_DIR).parent / "README.md").read_text(encoding="utf-8")
    fallback = scripts[1]
    assert fallback["src"] == "/static/js/htmx-fallback.js"
    with client.get(fallback["data-src"]) as resp:
        assert resp.data == vendored
    with client.get(fallback["src"]) as resp:
        assert resp.status_code == 200


@pytest.mark.parametrize("path", ["/", "/search?q=securite", "/article/000_099785bdeec106f2?q=mali",
                                  "/personne/Sadio%20Camara", "/article/nope"])
def test_pages_have_no_inline_script_or_style_so_the_csp_holds(client, path):
    page = soup(client.get(path))
    assert all(s.has_attr("src") for s in page.find_all("script"))
    assert not page.find_all("style")
    assert not page.find_all(attrs={"style": True})
    assert not [t for t in page.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    assert page.find("html")["lang"] == "fr"


# ------------------------------------------------------------------ facets, chips, timeline


def test_two_outlets_ticked_are_ored_and_counts_stay_disjunctive(wclient):
    data = api(wclient, "outlet=Maliweb&outlet=L%27Essor")
    assert data["total"] == 3
    page = soup(wclient.get("/search?outlet=Maliweb&outlet=L%27Essor"))
    boxes = {i["value"]: i.has_attr("checked") for i in page.select('input[type=checkbox][name="outlet"]')}
    assert boxes["Maliweb"] and boxes["L'Essor"] and not boxes["APA"]
    counts = {li["data-label"]: li.select_one(".count").get_text(strip=True)
              for li in page.select("#facet-outlet-list li")}
    assert counts["APA"] == "12", "a facet's own selection must not shrink its counts"
    assert len(page.select(".hit")) == 3


def test_facet_values_have_toggle_and_exclude_links_and_exclusion_works(wclient):
    page = soup(wclient.get("/search"))
    apa = next(li for li in page.select("#facet-outlet-list li") if li["data-label"] == "APA")
    exclude = apa.select_one("a.facet-exclude")["href"]
    assert ("-outlet", "APA") in query_of(exclude)
    excluded = soup(wclient.get(exclude))
    assert "APA" not in [m.get_text() for m in excluded.select(".hit-meta .outlet")]
    chip = excluded.select_one(".chips .chip-excluded")
    assert "sauf APA" in chip.get_text()
    assert excluded.find("input", attrs={"type": "hidden", "name": "-outlet", "value": "APA"})


def test_a_chip_removes_only_its_own_filter(wclient):
    page = soup(wclient.get("/search?q=cooperation&outlet=Maliweb&year=2023"))
    chips = {c.select_one(".chip-facet").get_text(strip=True): c["href"] for c in page.select(".chips a.chip")}
    assert query_of(chips["Média :"]) == [("q", "cooperation"), ("year", "2023")]
    assert query_of(chips["Année :"]) == [("q", "cooperation"), ("outlet", "Maliweb")]
    assert page.select_one(".chip-clear") is not None


def test_voir_plus_expands_that_facet_only_and_a_filter_box_is_offered_for_long_lists(wclient):
    page = soup(wclient.get("/search?facet_limit=2"))
    more = page.select_one("#facet-outlet-list ~ .facet-more a")
    assert ("more", "outlet") in query_of(more["href"])
    assert len(page.select("#facet-outlet-list li")) == 2
    full = soup(wclient.get(more["href"]))
    assert len(full.select("#facet-outlet-list li")) == 5
    assert len(full.select("#facet-person-list li")) == 2  # the other facets stay as they were
    less = full.select_one("#facet-outlet-list ~ .facet-more a")
    assert ("more", "outlet") not in query_of(less["href"])
    box = soup(wclient.get("/search?person_filter=cam")).find("input", id="filter-person")
    assert box["value"] == "cam" and box["name"] == "person_filter"


def test_person_filter_box_narrows_the_person_list_on_the_server(wclient):
    page = soup(wclient.get("/search?person_filter=goita"))
    labels = [li["data-label"] for li in page.select("#facet-person-list li")]
    assert labels == ["Assimi Goïta"]


def test_timeline_is_an_svg_of_links_per_year_then_per_month_inside_a_year(wclient):
    page = soup(wclient.get("/search"))
    svg = page.select_one("figure.timeline svg")
    bars = svg.select("a.bar")
    assert bars and all(b.get("aria-label") and b.find("title") for b in bars)
    by_year = {dict(query_of(b["href"]))["year"]: b for b in bars}
    assert set(by_year) >= {"2019", "2020", "2021", "2022", "2023"}
    assert "estimée" in by_year["2021"].find("title").get_text()
    months = soup(wclient.get(by_year["2023"]["href"])).select("figure.timeline svg a.bar")
    assert {dict(query_of(b["href"]))["month"] for b in months} == {"2023-05", "2023-08"}


def test_estimated_dates_are_shown_with_a_marker_and_an_explanation(wclient):
    page = soup(wclient.get("/search?q=moscou"))
    time = page.select_one(".hit-meta time.date-estimated")
    assert time.get_text().startswith("≈ 2021") and "estimée" in time["title"]


def test_pagination_links_keep_the_search_and_mark_the_current_page(wclient):
    page = soup(wclient.get("/search?q=cooperation&sort=newest"))
    nav = page.select_one("nav.pagination")
    assert nav["aria-label"] and nav.select_one('[aria-current="page"]').get_text() == "1"
    nxt = nav.select_one('a[rel="next"]')["href"]
    assert dict(query_of(nxt)) == {"q": "cooperation", "sort": "newest", "page": "2"}
    second = soup(wclient.get(nxt))
    assert second.select_one('nav.pagination [aria-current="page"]').get_text() == "2"
    assert second.select_one("ol.hits")["start"] == "6"


def test_a_page_beyond_the_last_says_so_with_a_way_back(wclient):
    page = soup(wclient.get("/search?q=cooperation&page=50"))
    assert "au-delà" in page.select_one(".empty").get_text()


# ------------------------------------------------------------------ escaping


@pytest.mark.parametrize("query", [
    "q=" + quote(PROBE), "outlet=" + quote(PROBE), "person=" + quote(PROBE), "author=" + quote(PROBE),
    "-person=" + quote(PROBE), "person_filter=" + quote(PROBE), "q=" + quote('"><img src=x onerror=alert(1)>'),
])
def test_user_input_is_escaped_everywhere_in_the_page(client, query):
    for headers in ({}, {"HX-Request": "true"}):
        html = client.get("/search?" + query, headers=headers).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html


def test_hostile_titles_comments_outlets_and_persons_from_sources_are_escaped(wclient):
    for path in ("/search", "/search?q=piégée", "/article/w04", "/article/w04?q=commentaire",
                 "/personne/" + quote(f"Evil {PROBE}", safe="")):
        resp = wclient.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, path
        assert "<script>alert" not in html and "<i>Evil" not in html and "<b>Auteur" not in html, path
    article_page = soup(wclient.get("/article/w04"))
    assert article_page.select_one(".external") is None, "a javascript: URL is never a link"
    assert PROBE in article_page.find("h1").get_text()


# ------------------------------------------------------------------ article and person pages


def test_article_page_shows_text_highlights_metadata_persons_and_similar(client):
    page = soup(client.get("/article/000_099785bdeec106f2?q=securite"))
    assert page.find("h1").get_text(strip=True)
    assert [m.get_text().lower() for m in page.select(".article-body mark")].count("sécurité") >= 1
    assert page.select_one(".article-meta")
    persons = page.select(".article-persons .persons li")
    assert persons and ("person", persons[0].a.get_text()) in query_of(persons[0].a["href"])
    assert page.select_one(".person-sheet")["href"].startswith("/personne/")
    assert page.select(".similar li a")
    back = page.select_one(".back a")["href"]
    assert ("q", "securite") in query_of(back)


def test_article_comments_keep_their_thread_structure(wclient):
    page = soup(wclient.get("/article/w01"))
    top = page.select("section.comments > ol.comment-list > li.comment")
    assert len(top) == 2
    reply = top[0].select_one("ol.replies > li.comment")
    assert "Bakary" in reply.select_one(".comment-author").get_text()
    assert "en réponse à Awa" in reply.select_one(".comment-head").get_text()
    nested = reply.find("ol", class_="replies").find("li", class_="comment")
    assert nested.select_one(".comment-author").get_text() == "Anonyme"
    assert "(4)" in page.select_one("#comments-title").get_text()


def test_article_links_to_the_original_url_safely(wclient):
    link = soup(wclient.get("/article/w01")).select_one("a.external")
    assert link["href"] == "https://www.maliweb.net/politique/cooperation-123.html"
    assert set(link["rel"]) == {"noopener", "noreferrer"}


@pytest.mark.parametrize("path", ["/article/nope", "/article/..%2F..%2Fetc%2Fpasswd", "/article/../../etc/passwd",
                                  "/article/.hidden", "/personne/Personne%20Inconnue", "/nulle-part"])
def test_unknown_articles_persons_and_paths_get_a_french_404(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    page = soup(resp)
    assert "introuvable" in page.find("h1").get_text()
    assert "root:" not in resp.get_data(as_text=True)


def test_person_page_shows_count_timeline_outlets_and_co_mentioned(wclient):
    page = soup(wclient.get("/personne/Sadio%20Camara"))
    assert page.find("h1").get_text() == "Sadio Camara"
    assert "2 articles" in page.select_one(".lead").get_text()
    assert page.select("figure.timeline svg a.bar")
    outlets = [a.get_text() for a in page.select("#outlets-title + ul a")]
    assert set(outlets) == {"Maliweb", "Bamada.net"}
    co = [li.a.get_text() for li in page.select("#co-title + ul li")]
    assert co == ["Vladimir Poutine"]


# ------------------------------------------------------------------ bad parameters and faults


@pytest.mark.parametrize("query", ["page=-1", "page=abc", "page=0", "year=abc", "month=2023-13", "sort=bogus",
                                   "scope=partout", "facet_limit=abc", "page=99999999999999999999"])
def test_bad_parameters_give_a_french_400_page_never_a_500(client, query):
    for headers in ({}, {"HX-Request": "true"}):
        resp = client.get("/search?" + query, headers=headers)
        assert resp.status_code == 400
        page = soup(resp)
        assert "Requête incorrecte" in page.get_text()
        assert ("<html" in resp.get_data(as_text=True)) is (not headers)


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=1000", "page=-1", "year=abc"])
def test_api_rejects_bad_parameters_with_a_json_400(client, query):
    resp = client.get("/api/search?" + query)
    assert resp.status_code == 400 and resp.is_json and resp.get_json()["error"]


def test_api_returns_the_query_layer_json_with_limit(client):
    data = api(client, "q=cooperation&limit=2")
    assert data["limit"] == 2 and len(data["hits"]) == 2 and data["total"] == 5
    assert {"id", "title"} <= set(data["hits"][0])
    assert {"outlet", "year", "person", "author"} <= set(data["facets"])
    resp = client.get("/api/search?q=" + quote("coopération"))
    assert resp.headers["Content-Type"].startswith("application/json")
    assert "coopération" in resp.get_data(as_text=True), "JSON keeps accents readable"
    assert json.loads(resp.get_data(as_text=True))["query"] == "coopération"


def test_api_keeps_exclusions_and_filters(wclient):
    assert api(wclient, "-outlet=APA")["total"] == 5
    assert api(wclient, "not_outlet=APA&outlet=Maliweb")["total"] == 1


def test_healthz_is_200_with_an_index_and_503_without(client, engine_name, request):
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.get_json()["status"] == "ok"
    missing = create_app(absent(request, engine_name)).test_client().get("/healthz")
    assert missing.status_code == 503 and missing.get_json()["status"] == "unavailable"


@pytest.mark.parametrize("path", ["/", "/search?q=mali", "/article/x1", "/personne/X", "/api/search"])
def test_a_missing_index_gives_a_clear_503_page(engine_name, request, path):
    resp = create_app(absent(request, engine_name)).test_client().get(path)
    assert resp.status_code == 503
    assert "presse reindex" in resp.get_data(as_text=True)


def test_an_unexpected_error_gives_a_500_page_without_traceback(web_index):
    class Broken:
        """The engine, with a bug in its search (the index itself answers)."""

        def __getattr__(self, name):
            return getattr(web_index.service, name)

        def search(self, req):
            raise RuntimeError("secret internal detail")

    app = web_index.app()
    app.extensions["presse.service"] = Broken()
    app.logger.disabled = True
    resp = app.test_client().get("/search?q=x")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500 and "Erreur interne" in html
    assert "secret internal detail" not in html and "Traceback" not in html


def test_the_debugger_is_never_on_even_if_asked(monkeypatch, web_index):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = web_index.app(DEBUG=True, TESTING=False)
    assert app.debug is False


def test_the_app_defaults_to_the_index_the_environment_names(monkeypatch, web_index):
    monkeypatch.setenv("PRESSE_ENGINE", web_index.name)
    if web_index.name == "opensearch":
        monkeypatch.setenv("PRESSE_OPENSEARCH_URL", web_index.url)
        monkeypatch.setenv("PRESSE_OPENSEARCH_INDEX", web_index.alias)
    else:
        monkeypatch.setenv("PRESSE_INDEX_DIR", str(web_index.index_dir))
    app = create_app()
    if web_index.name == "whoosh":
        assert app.config["INDEX_DIR"] == str(web_index.index_dir)
    assert app.test_client().get("/healthz").status_code == 200
    assert app.test_client().get("/api/search").get_json()["total"] == len(WEB_ARTICLES)


def test_without_javascript_the_facets_submit_with_the_form(wclient):
    page = soup(wclient.get("/search?q=cooperation"))
    form = page.find("form", id="search-form")
    assert form.select('input[type=checkbox][name="outlet"]')
    noscript = form.find("noscript")
    assert noscript is not None and "Appliquer" in noscript.get_text()


def test_the_person_page_links_co_mentions_to_a_search_with_both_persons_ticked(wclient):
    page = soup(wclient.get("/personne/Sadio%20Camara"))
    links = page.select("a[aria-label^='Articles qui citent']")
    assert links
    for link in links:
        params = query_of(link["href"])
        assert ("person", "Sadio Camara") in params and [k for k, _ in params].count("person") == 2
        count = int(link.find_previous("span", class_="count").get_text())
        assert api(wclient, urlsplit(link["href"]).query)["total"] == count


def test_a_typo_finding_nothing_shows_the_corrected_results_and_offers_the_query_as_typed(wclient):
    page = soup(wclient.get("/search?q=cooperasion+militere"))
    note = page.select_one(".did-you-mean.corrected")
    assert note is not None and "Résultats pour" in note.get_text()
    assert page.select(".hit")
    as_typed = note.select("a")[-1]["href"]
    assert ("autocorrect", "0") in query_of(as_typed) and ("q", "cooperasion militere") in query_of(as_typed)
    typed = soup(wclient.get(as_typed))
    assert not typed.select(".hit") and "Essayez l’orthographe proposée" in typed.get_text()
    assert api(wclient, "q=cooperasion+militere")["corrected_from"] == "cooperasion militere"


def test_a_hit_found_only_in_a_comment_opens_the_article_at_that_comment(wclient):
    page = soup(wclient.get("/search?q=accord"))  # only in w01's second comment
    links = [a["href"] for a in page.select(".hit-title a")]
    assert len(links) == 1 and links[0].endswith("#c2")
    plain = soup(wclient.get("/search?q=russie")).select_one(".hit-title a")["href"]
    assert "#" not in plain  # found in the title: the article opens at its top
    for href in links:
        path, anchor = href.split("#")
        article = soup(wclient.get(path))
        target = article.find(id=anchor)
        assert target is not None and "comment" in target.get("class", [])
        assert target.find("mark") is not None  # the words found are highlighted in it


def test_an_article_without_comments_has_no_comment_block_and_a_bodyless_page_says_so(engine_name, request):
    client = build(request, engine_name, articles=[
        article("plain", "Sans commentaires", "Un texte.", outlet="Maliweb", date="2023-01-01"),
        article("talk", "Page de commentaires", "", outlet="Lefaso.net", date="2023-01-02",
                comments=["Bravo au capitaine.", "Je ne suis pas d'accord."]),
    ]).web()
    plain = soup(client.get("/article/plain"))
    assert plain.find(id="comments-title") is None and plain.select_one(".bodyless") is None
    talk = soup(client.get("/article/talk"))
    assert "pas de texte d’article" in talk.select_one(".bodyless").get_text()
    assert len(talk.select(".comment")) == 2


def test_back_to_the_results_keeps_every_filter_the_sort_and_the_page(wclient):
    search = "/search?q=cooperation&outlet=APA&year=2019&sort=newest&page=2"
    page = soup(wclient.get(search))
    href = page.select_one(".hit-title a")["href"]
    assert ("outlet", "APA") in query_of(href) and ("page", "2") in query_of(href)
    back = soup(wclient.get(href)).select_one("p.back a")
    assert sorted(query_of(back["href"])) == sorted(query_of(search))
    assert "Retour aux résultats pour « cooperation »" in back.get_text()
    # a parameter the search page would refuse never costs the article page
    broken = wclient.get(href.split("?")[0] + "?q=mali&page=abc")
    assert broken.status_code == 200


def test_the_avec_commentaires_filter_keeps_articles_with_reader_comments(wclient):
    every = api(wclient, "q=")
    assert every["facets"]["comments"][0]["count"] == 3  # w01, w04, w05 have comments
    only = api(wclient, "comments=1&collapse=0")
    assert only["total"] == 3 and {h["id"] for h in only["hits"]} == {"w01", "w04", "w05"}
    page = soup(wclient.get("/search?comments=1"))
    box = page.select_one('input[name="comments"][value="1"]')
    assert box is not None and box.has_attr("checked")
    chip = [c for c in page.select(".chips a.chip") if "avec commentaires" in c.get_text()]
    assert chip and ("comments", "1") not in query_of(chip[0]["href"])
    assert wclient.get("/search?comments=peut-etre").status_code == 400


def test_two_ticked_persons_read_as_personnes_a_et_b(wclient):
    page = soup(wclient.get("/search?person=Sadio+Camara&person=Vladimir+Poutine"))
    chips = " ".join(c.get_text(" ", strip=True) for c in page.select(".chips a.chip"))
    assert "Personnes : Sadio Camara" in chips and "et Vladimir Poutine" in chips
