"""Hostile input, on both engines: any query string or URL parameter gives a clean answer, never a 5xx or raw input."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine_fixture import seeds
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.test_xss import assert_inert

PARAMS = ["q", "outlet", "year", "month", "person", "author", "-outlet", "-year", "-person",
          "-author", "not_outlet", "not_person", "sort", "scope", "page", "limit", "facet_limit",
          "person_filter", "outlet_filter", "author_filter", "facet_filter_person", "facet_filter"]
PROBE = "<script>alert(1)</script>"
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "werkzeug.debug")

# Text a person or a bot might type: letters with accents, operators, quotes, controls, emoji.
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(list('()"«»“”*~:-+^\\/?&=%<>\'’ ORANDNOTouetsauf')), max_size=60),
    st.sampled_from(["", "*", "~", "AND", "OR", "NOT", "title:", "titre:", '"coopération (militaire',
                     "date:2021..", "date:..", "annee:abc", "x" * 6000, "\x00\x01\x1b[31m", "😀🇲🇱",
                     "https://example.org/a?b=c&d=e", "../../etc/passwd", "%00", "-", "--", "((((((",
                     "coop*", "*ation", "Beloussof~", "personne:", PROBE]),
    st.builds(lambda a, b: a + PROBE + b, st.text(max_size=20), st.text(max_size=20)),
)


@pytest.fixture(scope="module")
def seeds_index(engine_name, request):
    return seeds(request, engine_name)


@pytest.fixture(scope="module")
def client(seeds_index):
    return seeds_index.web()


def assert_clean(resp, raw_values):
    assert resp.status_code < 500, resp.status_code
    body = resp.get_data(as_text=True)
    for marker in TRACEBACK_MARKERS:
        assert marker not in body
    if resp.mimetype == "text/html":
        assert_inert(body)  # no script, handler or javascript: URL that is not ours
        for value in raw_values:
            if "<script" in value.lower():
                # an injected tag must never reach the HTML unescaped
                assert "<script>alert" not in body.lower()
    elif resp.mimetype == "application/json":
        json.loads(body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=hostile_text)
def test_any_query_string_gives_a_clean_search_page(client, q):
    resp = client.get("/search?q=" + quote(q, safe=""))
    assert_clean(resp, [q])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=hostile_text)
def test_any_query_string_gives_valid_json_from_the_api(client, q):
    resp = client.get("/api/search?q=" + quote(q, safe=""))
    assert resp.status_code in (200, 400)
    data = json.loads(resp.get_data(as_text=True))
    if resp.status_code == 200:
        assert isinstance(data["total"], int)
        assert isinstance(data["hits"], list)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(PARAMS), hostile_text, max_size=5),
       path=st.sampled_from(["/", "/search", "/api/search"]),
       htmx=st.booleans())
def test_any_combination_of_url_parameters_never_gives_a_server_error(client, params, path, htmx):
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
    headers = {"HX-Request": "true"} if htmx else {}
    resp = client.get(f"{path}?{query}", headers=headers)
    assert resp.status_code in (200, 400, 414)  # 414: five 6,000-character values make a URL too long
    assert_clean(resp, list(params.values()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=hostile_text)
def test_any_article_id_or_person_name_gives_a_clean_page(client, name):
    for prefix in ("/article/", "/personne/"):
        resp = client.get(prefix + quote(name, safe=""))
        assert resp.status_code in (200, 301, 308, 400, 404)
        assert_clean(resp, [name])


@pytest.mark.parametrize("path", [
    "/article/../../etc/passwd", "/article/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/../pyproject.toml",
    "/search?page=-1", "/search?page=abc", "/search?year=abc", "/search?sort=bogus", "/search?page=99999999999999999999",
    "/api/search?limit=-5", "/api/search?limit=100000", "/search?q=%ff%fe", "/personne/%00",
])
def test_malformed_requests_get_a_client_error_or_an_empty_page(client, path):
    resp = client.get(path)
    assert resp.status_code in (200, 400, 404)
    assert_clean(resp, [])
    assert "root:" not in resp.get_data(as_text=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=hostile_text, htmx=st.booleans())
def test_any_query_on_an_article_page_gives_a_clean_page(client, seeds_dir, q, htmx):
    article_id = sorted(p.stem for p in seeds_dir.glob("*.txt"))[0]
    headers = {"HX-Request": "true"} if htmx else {}
    resp = client.get(f"/article/{article_id}?q=" + quote(q, safe=""), headers=headers)
    assert resp.status_code == 200
    assert_clean(resp, [q])


# -- query nesting and length: deep groups, long runs of operators, many terms


def _levels(open_, close, n, inner="mali"):
    return open_ * n + inner + close * n


#: Queries of the shapes that once overflowed the parser or cost seconds, each near the 500-character cap.
DEEP_QUERIES = {
    "nested parentheses": _levels("(", ")", 248),
    "nested negated groups": _levels("-(", ")", 160),
    "nested NOT groups": _levels("NOT (", ")", 95),
    "nested field groups": _levels("titre:(", ")", 62),
    "nested alternatives": _levels("(niger OU ", ")", 45),
    "unclosed parentheses": "(" * 499,
}
#: Long flat queries: each must answer inside the time limit, with or without the plain-words fallback.
LONG_QUERIES = {
    "a run of NOT": "NOT " * 124 + "mali",
    "a run of dashes": "- " * 248 + "mali",
    "hundreds of OR terms": " OR ".join(f"mot{i}" for i in range(500)),
    "a chain of fields": "titre:" * 80 + "mali",
    "500 quotes": '"' * 500,
    "501 quotes": '"' * 501,
    "many prefixes": " ".join(f"{a}{b}*" for a in "bcdfghjklmnp" for b in "aeiou")[:499],
    "many fuzzy words": " ".join(f"mot{i}~" for i in range(100)),
    "many fuzzy words at distance 3": " ".join(f"mali{i}~3" for i in range(100)),
}


@pytest.mark.parametrize("path", ["/search?q=", "/api/search?q=", "/article/{id}?q="])
@pytest.mark.parametrize("name", list(DEEP_QUERIES))
def test_deeply_nested_queries_fall_back_to_plain_words_on_every_page(client, seeds_dir, path, name):
    article_id = sorted(p.stem for p in seeds_dir.glob("*.txt"))[0]
    q = DEEP_QUERIES[name]
    resp = client.get(path.format(id=article_id) + quote(q, safe=""))
    assert resp.status_code == 200
    assert_clean(resp, [q])
    if path.startswith("/api/"):
        data = resp.get_json()
        assert data["fallback"] is True
        assert any("mal formée" in w for w in data["warnings"])


@pytest.mark.parametrize("path", ["/search?q=", "/api/search?q=", "/article/{id}?q="])
@pytest.mark.parametrize("name", list(LONG_QUERIES))
def test_long_runs_of_operators_and_terms_answer_cleanly_on_every_page(client, seeds_dir, path, name):
    article_id = sorted(p.stem for p in seeds_dir.glob("*.txt"))[0]
    q = LONG_QUERIES[name]
    resp = client.get(path.format(id=article_id) + quote(q, safe=""))
    assert resp.status_code == 200
    assert_clean(resp, [q])
    if path.startswith("/api/"):
        data = resp.get_json()
        assert isinstance(data["total"], int) and not any("interrompue" in w for w in data["warnings"])


@pytest.mark.parametrize("name", list(DEEP_QUERIES))
def test_deeply_nested_queries_give_a_short_answer_in_the_cli(seeds_index, name):
    from click.testing import CliRunner

    from search.cli import main

    args = ["search", "--index", str(seeds_index.index_dir), "--json", "--", DEEP_QUERIES[name]]
    result = CliRunner(env=seeds_index.environ()).invoke(main, args)
    assert result.exit_code == 0, result.output[-2000:]
    assert "Traceback" not in result.output
    assert json.loads(result.stdout)["fallback"] is True


# Nesting: each level opens a group (maybe negated, maybe in a field, maybe after a word and an
# operator); a short pattern of levels is repeated to any depth up to 300, so that shallow and very
# deep nestings are both drawn often, and the groups are closed or left open.
LEVEL = st.sampled_from([("(", ")"), ("-(", ")"), ("NOT (", ")"), ("SAUF (", ")"), ("titre:(", ")"),
                         ("(mali OU ", ")"), ("(niger ", " sahel)"), ("(« ", " »)"), ('("', '")'),
                         ("personne:(", ")"), ("((", "))")])


def _nest(pattern, depth, inner, closed):
    levels = [pattern[i % len(pattern)] for i in range(depth)]
    return "".join(o for o, _c in levels) + inner + ("".join(c for _o, c in reversed(levels)) if closed else "")


nested_queries = st.builds(
    _nest,
    st.lists(LEVEL, min_size=1, max_size=6),
    st.integers(min_value=0, max_value=300),
    st.sampled_from(["mali", "coop*", "Beloussof~", '"forces armées"', "annee:2023", "date:0000", "x", ""]),
    st.booleans(),
)
# Length: hundreds of words, operators, quotes, prefixes, fuzzy words and fields in a row.
TERM = st.sampled_from(["mali", "niger", "coop*", "terror*", "Lavrof~", "x~2", '"forces armées"', "titre:sahel",
                        "auteur:keita", "annee:2023", "date:2021..2023", "date:0000", "OR", "OU", "AND", "ET",
                        "NOT", "SAUF", "-", "(", ")", '"', "«", "»", "*", "~", "titre:", "-mali", "+niger"])
long_queries = st.lists(TERM, min_size=0, max_size=400).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=nested_queries)
def test_any_nesting_gives_valid_json_and_deep_nesting_falls_back(client, q):
    from search.query import language as ql

    resp = client.get("/api/search?q=" + quote(q, safe=""))
    assert resp.status_code == 200
    data = json.loads(resp.get_data(as_text=True))
    assert isinstance(data["total"], int) and isinstance(data["hits"], list)
    assert isinstance(data["interpreted"], str) and data["interpreted"]
    cleaned = ql.clean_query(q)[0]
    depth = max_depth(cleaned)
    if depth > ql.MAX_DEPTH:
        assert data["fallback"] is True


def max_depth(text: str) -> int:
    """Return the deepest parenthesis nesting of ``text`` outside quotes (the parser's reading)."""
    from search.query import language as ql

    depth = deepest = 0
    i = 0
    while i < len(text):
        quote_ = ql._closing_quote(text, i)
        if quote_ is not None:
            closers, width = quote_
            j = i + width
            while j < len(text) and text[j] not in closers:
                j += 1
            i = j + 1
            continue
        if text[i] == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif text[i] == ")":
            depth -= 1
        i += 1
    return deepest


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=long_queries, path=st.sampled_from(["/search?q=", "/api/search?q=", "/article/{id}?q="]))
def test_any_long_query_answers_cleanly_on_every_page(client, seeds_dir, q, path):
    article_id = sorted(p.stem for p in seeds_dir.glob("*.txt"))[0]
    resp = client.get(path.format(id=article_id) + quote(q, safe=""))
    assert resp.status_code == 200
    assert_clean(resp, [q])
    if path.startswith("/api/"):
        data = resp.get_json()
        assert isinstance(data["total"], int) and isinstance(data["fallback"], bool)
