"""The « du … au » range and the timeline in a real Chromium: without and with JS, clicks, drags, screenshots."""

from __future__ import annotations

import re

import pytest

from tests.query_fixtures import build_index
from tests.test_browser import ARTIFACTS, CDN, Tab, _cdn_serves_vendored_file, _serve, browser  # noqa: F401
from tests.test_dates_range import DATED, RANGE
from tests.test_web import WEB_ARTICLES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):  # noqa: F811
    srv, thread = _serve(build_index(tmp_path_factory.mktemp("browser-dates"), WEB_ARTICLES + DATED))
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def _tab(browser, width=1280, height=900, js=True):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR",
                                  java_script_enabled=js, has_touch=width < 500)
    context.route(CDN, _cdn_serves_vendored_file)
    return Tab(context)


@pytest.fixture()
def tab(browser):  # noqa: F811
    t = _tab(browser)
    yield t
    t.context.close()


def _bar(page, year: str):
    return page.locator(f'figure.tl a.tl-bar[data-from="{year}-01-01"]')


def test_the_date_fields_filter_without_javascript(browser, server):  # noqa: F811
    t = _tab(browser, js=False)
    try:
        page = t.page
        page.goto(server + "/search?q=securite")
        page.get_by_label("Du (date de début)").fill("2019-11-01")
        page.get_by_label("au (date de fin)").fill("2019-12-15")
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_url(re.compile(r"from=2019-11-01&to=2019-12-15"))
        chip = page.locator(".chips a.chip", has_text="Période")
        assert "Du 01/11/2019 au 15/12/2019" in chip.inner_text()
        assert len(page.locator(".hit").all()) == len(RANGE)
        assert "résultat" in page.locator("#results-heading").inner_text()
        chip.click()
        page.wait_for_url(re.compile(r"/search\?q=securite$"))
        assert page.locator("#date-from").input_value() == ""
    finally:
        t.context.close()


def test_the_date_fields_update_the_results_in_place_and_a_chip_clears_them(tab, server):
    page = tab.page
    page.goto(server + "/search?q=securite")
    tab.htmx_loaded()
    tab.mark()
    page.locator("#date-from").fill("2019-11-01")
    page.wait_for_url(re.compile(r"from=2019-11-01"))
    page.locator("#date-to").fill("2019-12-15")
    page.wait_for_url(re.compile(r"from=2019-11-01&to=2019-12-15"))
    page.wait_for_function("() => /Du 01\\/11\\/2019 au 15\\/12\\/2019/"
                           ".test(document.querySelector('.chips').innerText)")
    heading = page.locator("#results-heading").inner_text()
    assert heading.startswith(f"{len(RANGE)} résultats"), heading
    assert tab.same_document()
    page.locator(".chips a.chip", has_text="Période").click()
    page.wait_for_url(re.compile(r"/search\?q=securite$"))
    page.wait_for_function("() => document.getElementById('date-from').value === ''")
    assert page.locator("#date-to").input_value() == ""
    # the old range does not come back with the next keystroke
    page.locator("#q").press("End")
    page.locator("#q").press_sequentially(" mali", delay=30)
    page.wait_for_url(re.compile(r"q=securite(\+|%20)mali$"))
    assert tab.same_document() and tab.csp_errors() == []


def test_a_click_on_a_bar_filters_by_its_year_through_htmx(tab, server):
    page = tab.page
    page.goto(server + "/search")
    tab.htmx_loaded()
    tab.mark()
    _bar(page, "2020").click()
    page.wait_for_url(re.compile(r"/search\?year=2020$"))
    page.wait_for_selector('figure.tl[data-range="month"]')
    assert tab.same_document()
    assert page.locator("figure.tl .tl-label").first.text_content() == "janv."


def test_two_clicks_in_choose_a_period_select_a_range_of_years(tab, server):
    page = tab.page
    page.goto(server + "/search?q=cooperation")
    tab.htmx_loaded()
    tab.mark()
    page.get_by_role("button", name="Choisir une période").click()
    assert page.get_by_role("button", name="Choisir une période").get_attribute("aria-pressed") == "true"
    _bar(page, "2021").click()
    assert "Choisissez la fin" in page.locator(".tl-readout").inner_text()
    assert "2021" not in page.url
    _bar(page, "2019").click()
    page.wait_for_url(re.compile(r"q=cooperation&from=2019-01-01&to=2021-12-31$"))
    page.wait_for_function("() => /Du 01\\/01\\/2019 au 31\\/12\\/2021/"
                           ".test(document.querySelector('.chips').innerText)")
    assert tab.same_document()
    assert page.locator("#date-from").input_value() == "2019-01-01"


def test_a_drag_across_bars_selects_their_range(tab, server):
    page = tab.page
    page.goto(server + "/search")
    tab.htmx_loaded()
    tab.mark()
    start, end = _bar(page, "2020").bounding_box(), _bar(page, "2022").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] - 5)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] - 5, steps=8)
    page.mouse.up()
    page.wait_for_url(re.compile(r"from=2020-01-01&to=2022-12-31$"))
    assert tab.same_document()
    assert "year=" not in page.url


def test_the_keyboard_moves_between_bars_reads_their_counts_and_picks_a_range(tab, server):
    page = tab.page
    page.goto(server + "/search?year=2019")
    tab.htmx_loaded()
    page.locator("figure.tl a.tl-bar").first.focus()
    page.keyboard.press("ArrowRight")
    name = page.evaluate("document.activeElement.getAttribute('data-name')")
    assert name and page.locator(".tl-readout").inner_text().startswith(name + " : ")
    page.get_by_role("button", name="Choisir une période").click()
    page.locator('figure.tl a.tl-bar[data-from="2019-11-01"]').focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "from=2019-11-01&to=2019-12-31" in url and "year=2019" in url)


def test_counts_and_axis_show_without_hovering_and_screenshots_are_saved(browser, server):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1280, 900), (360, 740)):
        t = _tab(browser, width, height)
        try:
            page = t.page
            page.goto(server + "/search?q=cooperation&from=2019-01-01&to=2023-12-31")
            t.htmx_loaded()
            counts = page.locator("figure.tl .tl-count")
            assert counts.count() and all(c.is_visible() for c in counts.all())
            assert page.locator("figure.tl .tl-label").first.text_content() == "2019"
            box = page.locator("figure.tl").bounding_box()
            assert box["width"] <= width, box
            page.screenshot(path=str(ARTIFACTS / f"dates-{width}.png"), full_page=False)
            page.locator("figure.tl").screenshot(path=str(ARTIFACTS / f"timeline-{width}.png"))
            page.goto(server + "/search?year=2019")
            t.htmx_loaded()
            page.locator("figure.tl").screenshot(path=str(ARTIFACTS / f"timeline-months-{width}.png"))
            if width < 500:
                # a tap on a bar filters by that month, as a click does
                page.locator('figure.tl a.tl-bar[data-from="2019-11-01"]').tap()
                page.wait_for_url(re.compile(r"month=2019-11"))
            assert t.csp_errors() == []
        finally:
            t.context.close()


def test_back_and_forward_bring_the_range_back_into_the_fields(tab, server):
    page = tab.page
    page.goto(server + "/search?q=securite&from=2019-11-01&to=2019-12-15")
    tab.htmx_loaded()
    page.locator(".chips a.chip", has_text="Période").click()
    page.wait_for_url(re.compile(r"/search\?q=securite$"))
    page.wait_for_function("() => document.getElementById('date-from').value === ''")
    page.go_back()
    page.wait_for_url(re.compile(r"from=2019-11-01&to=2019-12-15$"))
    page.wait_for_function("() => document.getElementById('date-from').value === '2019-11-01'")
    assert page.locator("#date-to").input_value() == "2019-12-15"
    page.go_forward()
    page.wait_for_url(re.compile(r"/search\?q=securite$"))
    page.wait_for_function("() => document.getElementById('date-from').value === ''")


def test_a_finger_sliding_across_bars_selects_their_range(browser, server):  # noqa: F811
    t = _tab(browser, 360, 740)
    try:
        page = t.page
        page.goto(server + "/search")
        t.htmx_loaded()
        t.mark()
        page.locator("figure.tl").scroll_into_view_if_needed()
        start, end = _bar(page, "2019").bounding_box(), _bar(page, "2021").bounding_box()
        y = start["y"] + start["height"] - 8
        cdp = t.context.new_cdp_session(page)
        xs = [start["x"] + start["width"] / 2 + (end["x"] - start["x"]) * k / 8 for k in range(9)]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": xs[0], "y": y}]})
        for x in xs[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_url(re.compile(r"from=2019-01-01&to=2021-12-31$"))
        assert t.same_document()
    finally:
        t.context.close()
