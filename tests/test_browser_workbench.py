"""The journalist's workbench in a real Chromium: export downloads, feed link and « copier le lien », print, sources."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from search.index import reindex as indexer
from tests.test_browser import ARTIFACTS, CDN, TIMEOUT_MS, Tab, _cdn_serves_vendored_file, browser  # noqa: F401
from webapp import create_app

pytestmark = pytest.mark.browser

RECORDS = [
    {"id": f"b{i:02d}", "title": f"Coopération militaire, épisode {i}",
     "body": f"La coopération militaire avance à Bamako, épisode {i}.\n\nLes forces armées en parlent.",
     "outlet": ["Maliweb", "L'Essor", "APA", "Sahel Tribune"][i % 4], "author": "Awa Traoré" if i % 3 == 0 else None,
     "date": f"{2016 + i % 8}-{i % 12 + 1:02d}-{i % 27 + 1:02d}", "url": f"https://presse.example.ml/articles/{i}.html"}
    for i in range(23)
] + [{"id": "eq", "title": "=HYPERLINK(\"http://evil.example\") coopération", "outlet": "APA", "date": "2020-02-02",
      "body": "Une coopération piégée."}]


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):  # noqa: F811 - the browser fixture of tests/test_browser.py
    from werkzeug.serving import make_server

    src = tmp_path_factory.mktemp("workbench-src")
    (src / "bulk.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), "utf-8")
    index_dir = tmp_path_factory.mktemp("workbench-index")
    indexer.reindex(src, index_dir, full=True, persons=False)
    app = create_app({"INDEX_DIR": str(index_dir), "HITS_PER_PAGE": 5})
    app.logger.disabled = True
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _context(browser, width=1280, height=900, **kw):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR", accept_downloads=True,
                                  **kw)
    context.route(CDN, _cdn_serves_vendored_file)
    return context


@pytest.fixture()
def tab(browser):  # noqa: F811
    context = _context(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    t = Tab(context)
    yield t
    context.close()


def _download_csv(page, link) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        link.click()
    download = info.value
    with open(download.path(), "rb") as fh:
        raw = fh.read()
    assert raw.startswith("\ufeff".encode())
    return download.suggested_filename, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_the_export_menu_downloads_every_hit_of_the_search_shown(tab, server):
    page = tab.page
    page.goto(server + "/search?q=cooperation&-outlet=Maliweb&sort=oldest")
    tab.htmx_loaded()
    total = int(re.match(r"\d+", page.locator("#results-heading").inner_text()).group())
    assert total > 5  # more than one page of 5
    page.locator(".export-menu summary").click()
    name, table = _download_csv(page, page.get_by_role("link", name="CSV (tableur)"))
    assert re.fullmatch(r"presse-cooperation-\d{8}T\d{4}Z\.csv", name)
    assert len(table) - 1 == total
    outlets = {row[table[0].index("outlet")] for row in table[1:]}
    assert "Maliweb" not in outlets and "L’Essor" in outlets
    dates = [row[table[0].index("date")] for row in table[1:]]
    assert dates == sorted(dates)
    assert next(r for r in table if r[0] == "eq")[1].startswith("'=HYPERLINK")
    assert tab.csp_errors() == []


def test_after_a_live_search_the_export_and_feed_follow_the_new_query(tab, server):
    page = tab.page
    page.goto(server + "/")
    tab.htmx_loaded()
    tab.mark()
    page.locator("#q").press_sequentially("forces", delay=30)
    page.wait_for_url(re.compile(r"/search\?q=forces$"))
    page.wait_for_function("() => document.querySelector('.feed-link').getAttribute('href') === '/feed?q=forces'")
    assert tab.same_document()
    # the <head> is not swapped: the script keeps its feed link on the search now shown
    page.wait_for_function("() => document.querySelector('link[rel=\"alternate\"][type=\"application/atom+xml\"]')"
                           ".getAttribute('href') === '/feed?q=forces'")
    hrefs = page.locator(".export-links a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert [parse_qs(urlsplit(h).query) for h in hrefs] == [{"q": ["forces"], "format": [f]} for f in ("csv", "jsonl", "ris")]


def test_copier_le_lien_puts_the_feed_address_on_the_clipboard(tab, server):
    page = tab.page
    page.goto(server + "/search?q=cooperation&outlet=APA")
    tab.htmx_loaded()
    page.locator(".feed-menu summary").click()
    button = page.get_by_role("button", name="Copier le lien")
    button.click()
    page.locator(".copy-status", has_text="Lien copié").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == server + "/feed?q=cooperation&outlet=APA"
    feed = page.request.get(server + "/feed?q=cooperation&outlet=APA")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert feed.text().count("<entry>") == sum(1 for r in RECORDS if r["outlet"] == "APA")


def test_without_javascript_the_feed_address_is_visible_and_the_export_downloads(browser, server):  # noqa: F811
    context = _context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + "/search?q=cooperation&outlet=APA")
        page.locator(".feed-menu summary").click()
        assert not page.get_by_role("button", name="Copier le lien").is_visible()
        box = page.locator("#feed-url")
        assert box.is_visible() and box.input_value() == server + "/feed?q=cooperation&outlet=APA"
        box.select_text()
        assert page.evaluate("window.getSelection().toString() || document.activeElement.value.substring("
                             "document.activeElement.selectionStart, document.activeElement.selectionEnd)") \
            == box.input_value()
        page.locator(".export-menu summary").click()
        _name, table = _download_csv(page, page.get_by_role("link", name="CSV (tableur)"))
        assert len(table) - 1 == sum(1 for r in RECORDS if r["outlet"] == "APA")
    finally:
        context.close()


def test_printing_keeps_sources_and_metadata_and_drops_the_controls(tab, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = tab.page
    page.goto(server + "/search?q=cooperation&outlet=Maliweb")
    tab.htmx_loaded()
    page.emulate_media(media="print")
    for hidden in (".sidebar", ".export-menu", ".feed-menu", ".searchbar-options", ".timeline"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".print-source").inner_text() == f"Recherche : {server}/search?q=cooperation&outlet=Maliweb"
    first = page.locator(".hit").first
    assert first.locator(".hit-source").is_visible()
    assert first.locator(".hit-source").inner_text().startswith("Source : https://presse.example.ml/articles/")
    assert first.locator(".hit-meta .outlet").inner_text() == "Maliweb" and first.locator("time").is_visible()
    page.screenshot(path=str(ARTIFACTS / "search-print.png"), full_page=True)
    page.emulate_media(media="screen")
    assert not first.locator(".hit-source").is_visible() and page.locator(".sidebar").is_visible()
    page.goto(server + "/article/b01")
    page.emulate_media(media="print")
    after = page.locator("a.external").evaluate("el => getComputedStyle(el, '::after').content")
    assert after == '" https://presse.example.ml/articles/1.html"'
    page.screenshot(path=str(ARTIFACTS / "article-print.png"), full_page=True)


@pytest.mark.parametrize("width, suffix", [(1280, ""), (360, "-phone")])
def test_the_workbench_and_sources_page_fit_the_screen_and_are_photographed(browser, server, width, suffix):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    context = _context(browser, width=width, height=800)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + "/search?q=cooperation")
        page.wait_for_function("() => !!(window.htmx && window.htmx.version)")
        page.locator(".export-menu summary").click()
        page.locator(".feed-menu summary").click()
        assert page.locator(".export-links").is_visible()
        assert page.get_by_role("button", name="Copier le lien").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("#workbench").screenshot(path=str(ARTIFACTS / f"workbench{suffix}.png"))
        page.get_by_role("link", name="À propos des sources").click()
        page.wait_for_url(re.compile(r"/sources$"))
        assert page.locator("h1").inner_text() == "À propos des sources"
        assert page.locator(".coverage-outlets tbody tr").count() == 4
        assert page.locator(".coverage-years tbody tr").count() == 8
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"sources-page{suffix}.png"), full_page=True)
    finally:
        context.close()
