"""End-to-end tests in a real Chromium (Playwright): live search, facets, chips, history, no-JS, CDN fallback."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from tests.test_web import WEB_ARTICLES
from tests.query_fixtures import build_index
from webapp import STATIC_DIR, create_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CDN = "https://cdn.jsdelivr.net/**"
LAUNCH_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("PRESSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and PRESSE_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


def _serve(index_dir: Path):
    from werkzeug.serving import make_server

    app = create_app({"INDEX_DIR": str(index_dir), "HITS_PER_PAGE": 5})
    app.logger.disabled = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def seed_server(seed_index, browser):
    server, thread = _serve(seed_index)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory, browser):
    server, thread = _serve(build_index(tmp_path_factory.mktemp("browser-index"), WEB_ARTICLES))
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


class Tab:
    """A page plus what it asked for and complained about."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def csp_errors(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "integrity" in e.lower()]

    def mark(self) -> None:
        """Tag the window: the tag survives htmx swaps and vanishes on a full page load."""
        self.page.evaluate("window.__sameDocument = true")

    def same_document(self) -> bool:
        return self.page.evaluate("window.__sameDocument === true")

    def htmx_loaded(self) -> None:
        self.page.wait_for_function("() => !!(window.htmx && window.htmx.version)")


def _cdn_serves_vendored_file(route):
    route.fulfill(status=200, body=(STATIC_DIR / "htmx.min.js").read_bytes(),
                  headers={"Content-Type": "application/javascript", "Access-Control-Allow-Origin": "*"})


@pytest.fixture()
def tab(browser):
    """A tab whose CDN answers with the pinned file (the SRI check then runs for real)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.route(CDN, _cdn_serves_vendored_file)
    t = Tab(context)
    yield t
    context.close()


def _hits(page) -> list[str]:
    return page.locator(".hit-title a").all_inner_texts()


def test_the_cdn_copy_passes_its_integrity_check_and_no_fallback_is_needed(tab, seed_server):
    tab.page.goto(seed_server + "/")
    tab.htmx_loaded()
    assert tab.page.evaluate("htmx.version") == "2.0.11"
    assert not any(u.endswith("/static/htmx.min.js") for u in tab.requests)
    assert tab.csp_errors() == []


def test_typing_a_query_updates_results_live_and_pushes_the_url(tab, seed_server):
    page = tab.page
    page.goto(seed_server + "/")
    tab.htmx_loaded()
    tab.mark()
    page.locator("#q").press_sequentially("securite", delay=40)
    page.wait_for_url(re.compile(r"/search\?q=securite$"))
    page.locator(".snippet mark").first.wait_for()
    assert tab.same_document(), "results must be swapped in, not reloaded"
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.locator("#q").input_value() == "securite"
    assert "securite" in page.locator("#result-status").inner_text()
    assert "sécurité" in [m.lower() for m in page.locator(".snippet mark").all_inner_texts()]
    assert tab.csp_errors() == []


def test_ticking_two_outlets_ors_them_and_keeps_other_counts(tab, web_server):
    page = tab.page
    page.goto(web_server + "/search?q=cooperation")
    tab.htmx_loaded()
    tab.mark()
    page.get_by_label(re.compile(r"^Maliweb")).check()
    page.wait_for_url(re.compile(r"outlet=Maliweb"))
    page.get_by_label(re.compile(r"^L.Essor")).check()
    page.wait_for_url(lambda url: "outlet=Maliweb" in url and "outlet=L%27Essor" in url)
    page.wait_for_function("() => document.querySelectorAll('.hit').length === 2")
    assert tab.same_document()
    assert sorted(page.locator(".hit-meta .outlet").all_inner_texts()) == ["L'Essor", "Maliweb"]
    apa = page.locator('#facet-outlet-list li[data-label="APA"] .count').inner_text()
    assert apa == "12"
    assert page.locator(".chips .chip").count() == 2


def test_removing_a_chip_drops_that_filter_only(tab, web_server):
    page = tab.page
    page.goto(web_server + "/search?q=cooperation&outlet=Maliweb&outlet=APA")
    tab.htmx_loaded()
    tab.mark()
    page.locator(".chips a.chip", has_text="Maliweb").click()
    page.wait_for_url(re.compile(r"/search\?q=cooperation&outlet=APA$"))
    page.wait_for_function("() => document.querySelectorAll('.chips .chip').length === 1")
    assert tab.same_document()
    # focus lands on the results once htmx has settled the swap (not on <body>)
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'resultats'")
    assert not page.get_by_label(re.compile(r"^Maliweb")).is_checked()
    assert page.get_by_label(re.compile(r"^APA")).is_checked()


def test_back_button_restores_the_previous_search_state(tab, web_server):
    page = tab.page
    page.goto(web_server + "/")
    tab.htmx_loaded()
    page.locator("#q").press_sequentially("cooperation", delay=30)
    page.wait_for_url(re.compile(r"q=cooperation$"))
    page.locator(".hit").first.wait_for()
    total_before = page.locator("#results-heading").inner_text()
    page.get_by_label(re.compile(r"^Maliweb")).check()
    page.wait_for_url(re.compile(r"outlet=Maliweb"))
    page.wait_for_function("() => document.querySelectorAll('.hit').length === 1")
    page.go_back()
    page.wait_for_url(re.compile(r"/search\?q=cooperation$"))
    page.wait_for_function("() => !document.querySelector('#facet-outlet-list input[value=\"Maliweb\"]').checked")
    assert page.locator("#results-heading").inner_text() == total_before
    assert page.locator("#q").input_value() == "cooperation"
    page.go_forward()
    page.wait_for_url(re.compile(r"outlet=Maliweb"))
    page.wait_for_function("() => document.querySelectorAll('.hit').length === 1")


def test_opening_an_article_shows_it_highlighted_and_saves_screenshots(tab, seed_server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = tab.page
    page.goto(seed_server + "/search?q=securite")
    tab.htmx_loaded()
    page.screenshot(path=str(ARTIFACTS / "search-page.png"), full_page=True)
    first = page.locator(".hit-title a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/article/[^?]+\?q=securite"))
    assert page.locator("h1").inner_text() == title
    assert page.locator(".article-body mark").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "article-page.png"), full_page=True)
    page.locator(".back a").click()
    page.wait_for_url(re.compile(r"/search\?q=securite"))
    assert tab.csp_errors() == []


def test_phone_width_layout_has_no_horizontal_scroll(browser, seed_server):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="fr-FR")
    context.route(CDN, _cdn_serves_vendored_file)
    try:
        page = context.new_page()
        for path, shot in (("/search?q=cooperation", "search-page-phone.png"),
                           ("/article/000_099785bdeec106f2?q=securite", "article-page-phone.png")):
            page.goto(seed_server + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    finally:
        context.close()


def test_keyboard_users_get_a_skip_link_first_and_can_tick_a_facet(tab, web_server):
    page = tab.page
    page.goto(web_server + "/search?q=cooperation")
    tab.htmx_loaded()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = page.locator('#facet-outlet-list input[value="APA"]')
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"outlet=APA"))


def test_person_filter_box_narrows_the_list_as_you_type(tab, seed_server):
    page = tab.page
    page.goto(seed_server + "/")
    tab.htmx_loaded()
    box = page.locator("#filter-person")
    box.press_sequentially("goi", delay=30)
    visible = page.locator("#facet-person-list li:visible").evaluate_all("els => els.map(e => e.dataset.label)")
    assert visible == ["Assimi Goïta"]


def test_without_javascript_the_form_and_facets_still_work(browser, web_server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(web_server + "/")
        page.fill("#q", "cooperation")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r"/search\?q=cooperation"))
        assert page.locator(".hit").count() == 5
        page.check('#facet-outlet-list input[value="Maliweb"]')
        page.check('#facet-outlet-list input[value="APA"]')
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(lambda url: "outlet=Maliweb" in url and "outlet=APA" in url)
        assert page.locator(".chips .chip").count() == 2
        page.locator(".chips a.chip", has_text="APA").click()
        page.wait_for_url(re.compile(r"outlet=Maliweb$"))
        assert page.locator(".hit").count() == 1
    finally:
        context.close()


def test_when_the_cdn_is_unreachable_the_vendored_htmx_loads_and_live_search_works(browser, seed_server):
    context = browser.new_context()
    context.route(CDN, lambda route: route.abort())
    try:
        t = Tab(context)
        t.page.goto(seed_server + "/")
        t.htmx_loaded()
        assert any(u.endswith("/static/htmx.min.js") for u in t.requests)
        t.mark()
        t.page.locator("#q").press_sequentially("russie", delay=30)
        t.page.wait_for_url(re.compile(r"q=russie$"))
        t.page.locator(".snippet mark").first.wait_for()
        assert t.same_document()
        assert t.csp_errors() == []
    finally:
        context.close()


def _many_persons() -> list[dict]:
    from tests.query_fixtures import article

    # thirty persons named twice each, and one named once: a default list never shows that one
    arts = []
    for i in range(30):
        for j in range(2):
            arts.append(article(f"m{i:02d}{j}", f"Conseil {i}", "Réunion à Bamako.", outlet="Maliweb",
                                date="2023-01-01", persons=[f"Awa Diallo{chr(65 + i % 26)}{i}"]))
    arts.append(article("rare", "Ouagadougou", "Le capitaine a parlé.", outlet="Sidwaya", date="2023-02-01",
                        persons=["Ibrahim Traoré"]))
    return arts


@pytest.fixture(scope="module")
def persons_server(tmp_path_factory, browser):
    server, thread = _serve(build_index(tmp_path_factory.mktemp("persons-index"), _many_persons()))
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_person_filter_box_finds_a_person_the_list_does_not_show(tab, persons_server):
    page = tab.page
    page.goto(persons_server + "/search")
    tab.htmx_loaded()
    tab.mark()
    assert page.locator('#facet-person-list li[data-label="Ibrahim Traoré"]').count() == 0
    page.locator("#filter-person").press_sequentially("traore", delay=30)
    page.wait_for_selector('#facet-person-list li[data-label="Ibrahim Traoré"]')
    page.wait_for_url(re.compile(r"person_filter=traore"))
    assert tab.same_document()
    page.get_by_label(re.compile(r"^Ibrahim Traoré")).check()
    page.wait_for_function("() => document.querySelectorAll('.hit').length === 1")
    assert _hits(page) == ["Ouagadougou"]


def test_voir_plus_expands_the_person_facet_only(tab, persons_server):
    page = tab.page
    page.goto(persons_server + "/search")
    tab.htmx_loaded()
    outlets_before = page.locator("#facet-outlet-list li").count()
    page.locator("#facet-person-list ~ .facet-more a").click()
    page.wait_for_url(re.compile(r"more=person"))
    page.wait_for_function("() => document.querySelectorAll('#facet-person-list li').length === 31")
    assert page.locator("#facet-outlet-list li").count() == outlets_before


def test_on_a_phone_filtrer_opens_the_filters_and_a_tap_shows_the_new_results(browser, web_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR")
    context.route(CDN, _cdn_serves_vendored_file)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(web_server + "/search?q=cooperation")
        page.wait_for_function("() => !!(window.htmx && window.htmx.version)")
        filtrer = page.locator(".to-filters")
        assert filtrer.inner_text() == "Filtrer" and filtrer.bounding_box()["y"] < 700  # on the first screen
        filtrer.click()
        sidebar, results = page.locator("#filtres"), page.locator("#resultats")
        assert sidebar.bounding_box()["y"] < results.bounding_box()["y"]  # the filters come first
        assert filtrer.get_attribute("aria-expanded") == "true"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-filters-open.png"))
        page.locator('#facet-outlet-list input[value="APA"]').check()
        page.wait_for_url(re.compile(r"outlet=APA"))
        page.wait_for_function("() => [...document.querySelectorAll('.hit-meta .outlet')].every(e => e.textContent === 'APA')")
        # the new results come on screen, not the end of the facet list
        page.wait_for_function("() => { const t = document.getElementById('resultats').getBoundingClientRect().top;"
                               " return t > -5 && t < 740; }")
        assert sidebar.bounding_box()["y"] > results.bounding_box()["y"]
        page.screenshot(path=str(ARTIFACTS / "phone-after-filter.png"))
    finally:
        context.close()


def test_the_help_link_opens_the_help(tab, web_server):
    page = tab.page
    page.goto(web_server + "/search?q=cooperation")
    assert not page.locator("#aide").evaluate("d => d.open")
    page.get_by_role("link", name="Aide à la recherche").click()
    page.wait_for_function("() => document.getElementById('aide').open")
    assert page.locator("#aide dl.help-list").is_visible()  # the help text is shown
    page.goto(web_server + "/search?q=mali#aide")
    page.wait_for_function("() => document.getElementById('aide').open")


def test_back_to_the_results_from_an_article_keeps_filters_sort_and_page(tab, web_server):
    page = tab.page
    search = web_server + "/search?q=cooperation&outlet=APA&sort=newest&page=2"
    page.goto(search)
    first = page.locator(".hit-title a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/article/"))
    page.get_by_role("link", name=re.compile("Retour aux résultats")).click()
    page.wait_for_url(lambda url: "outlet=APA" in url and "sort=newest" in url and "page=2" in url)
    assert title in _hits(page)


def test_a_hit_found_in_a_comment_opens_the_article_at_that_comment_highlighted(tab, web_server):
    page = tab.page
    page.goto(web_server + "/search?q=accord")
    page.locator(".hit-title a").first.click()
    page.wait_for_url(re.compile(r"#c2$"))
    target = page.locator(".comment:target")
    assert target.count() == 1 and target.locator("mark").count() >= 1
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 900  # scrolled to it


def test_from_the_search_box_two_tabs_reach_the_first_result(tab, web_server):
    page = tab.page
    page.goto(web_server + "/search?q=cooperation")
    tab.htmx_loaded()
    page.locator("#q").focus()
    page.keyboard.press("Tab")  # the search button
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Aller aux résultats"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.hit') !== null")
