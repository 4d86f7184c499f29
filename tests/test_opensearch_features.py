"""What OpenSearch once lacked, against a real node: export, the sources page, deep pages, capped prefixes.

Each test builds one archive twice through the product's own reindex (the Whoosh index folder and
an OpenSearch index) and asks both engines the same thing: the rows, counts and orders must be
Whoosh's. The node comes from ``tests/test_opensearch_engine.py`` (skipped without Java, failed
with ``PRESSE_REQUIRE_OPENSEARCH=1``).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from click.testing import CliRunner

from search.cli import main as cli
from search.engines import opensearch as eos
from search.engines import opensearch_index as osi
from search.engines.opensearch import OpenSearchEngine
from search.index import reindex as indexer
from search.query import export as ex
from search.query.request import SearchRequest
from search.query.service import SearchService
from tests.query_fixtures import article
from tests.opensearch_node import _alias, _drop
from tests.test_opensearch_engine import _summary
from webapp import create_app

pytestmark = pytest.mark.slow

OUTLETS = ["Maliweb", "L'Essor", "APA", "Sahel Tribune", "maliweb"]  # « maliweb » is Maliweb, spelt otherwise
COPY = ("Le gouvernement de transition a annoncé la signature d'un accord de coopération sécuritaire avec "
        "ses voisins du Sahel, portant sur le renseignement, la formation des unités et la surveillance "
        "commune des frontières, selon un communiqué lu à la télévision nationale mardi soir.")


def _records() -> list[dict]:
    """Return articles with date ties, partial, estimated and missing dates, persons, copies and hostile cells."""
    out = []
    for i in range(47):
        rec = {"id": f"r{i:02d}", "title": f"Coopération militaire numéro {i}", "outlet": OUTLETS[i % 5],
               "body": "La coopération militaire " + "progresse " * (i % 4 + 1) + f"à Bamako ({i}).",
               "author": "Awa Traoré" if i % 6 == 0 else None, "credit": "AFP" if i % 8 == 0 else None,
               "url": f"https://example.ml/{i}" if i % 3 else None,
               "persons": ["Assimi Goïta", "Sadio Camara"][: i % 3]}
        # forty forms of one prefix, form k in 47 - k articles: a prefix expands to the 30 commonest
        rec["body"] += " " + " ".join(f"zorb{chr(97 + k // 26)}{chr(97 + k % 26)}" for k in range(min(i + 1, 40)))
        if i % 10 == 9:
            pass  # undated
        elif i % 7 == 0:
            rec["date"] = "2022-05-04"  # a tie broken by id in every date order
        elif i % 5 == 0:
            rec["date"], rec["date_estimated"] = f"{2016 + i % 3}", True
        else:
            rec["date"] = f"{2018 + i % 6}-{i % 12 + 1:02d}" + (f"-{i % 27 + 1:02d}" if i % 4 else "")
        out.append({k: v for k, v in rec.items() if v is not None})
    for n, outlet in enumerate(["Maliweb", "APA", "L'Essor"]):  # one dispatch, three outlets: a story
        out.append({"id": f"copy{n}", "title": "Accord de coopération sécuritaire au Sahel", "outlet": outlet,
                    "date": f"2023-03-0{n + 1}", "body": COPY})
    out += [
        {"id": "eq", "title": '=HYPERLINK("http://evil.example";"clic")', "outlet": "APA", "date": "2023-08-02",
         "body": "Coopération militaire, « forces » ; virgules, \"guillemets\".\n\nSécurité au Sahel."},
        {"id": "at", "title": "@Bamako: coopération\nsur deux lignes", "outlet": "L'Essor", "date": "2022-03",
         "url": "https://lessor.ml/b?x=1&y=2", "body": "Coopération et sécurité."},
    ]
    return out


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Return the source folder, and (OpenSearch engine, Whoosh SearchService) both built from it."""
    src = tmp_path_factory.mktemp("features-src")
    (src / "bulk.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), "utf-8")
    index_dir = tmp_path_factory.mktemp("features-index")
    indexer.reindex(src, index_dir, full=True, persons=False)
    return src, index_dir


@pytest.fixture(scope="module")
def pair(opensearch_url, archive):
    src, index_dir = archive
    eng = OpenSearchEngine(opensearch_url, alias=_alias("features"))
    eng.reindex(src, persons=False)
    yield eng, SearchService(index_dir)
    _drop(eng)


def _export(service, params: dict, fmt: str) -> bytes:
    req = SearchRequest.from_params(params)
    plan = ex.plan_export(service, req, search_url="/search", exported_at="2024-01-02T03:04:05Z",
                          article_link=lambda i: f"https://presse.example/article/{i}")
    out = io.BytesIO()
    assert ex.write_export(plan, fmt, out) == plan.total
    return out.getvalue()


#: Requests whose order both engines share (dates, ties broken by id; no query: newest first).
ORDERED = [
    {"q": ""}, {"q": "", "sort": "oldest"}, {"q": "coopération", "sort": "newest"},
    {"q": "coopération", "sort": "oldest", "outlet": ["Maliweb", "APA"]},
    {"q": "", "sort": "newest", "-outlet": ["APA"], "person": ["Assimi Goïta"]},
    {"q": "militaire OR sahel", "sort": "oldest", "from": "2019-01-01", "to": "2022-12-31"},
    {"q": "sécurité", "sort": "newest", "scope": "articles"}, {"q": "", "year": ["2022"], "sort": "oldest"},
    {"q": "absentissime", "sort": "newest"},
]


@pytest.mark.parametrize("fmt", sorted(ex.FORMATS))
@pytest.mark.parametrize("params", ORDERED, ids=lambda p: json.dumps(p, ensure_ascii=False))
def test_an_opensearch_export_is_the_whoosh_export_byte_for_byte(pair, params, fmt, monkeypatch):
    eng, svc = pair
    monkeypatch.setattr(eos, "EXPORT_BATCH", 7)  # several search_after pages, a last one short
    assert _export(eng, params, fmt) == _export(svc, params, fmt)


def test_the_exported_rows_hold_persons_credits_and_hostile_cells(pair):
    eng, _svc = pair
    rows = [json.loads(line) for line in _export(eng, {"q": ""}, "jsonl").splitlines()]
    assert len(rows) == len(_records())
    by_id = {r["id"]: r for r in rows}
    assert by_id["r02"]["persons"] == ["Assimi Goïta", "Sadio Camara"] and by_id["r08"]["credit"] == "AFP"
    assert by_id["r07"]["date"] == "2022-05-04" and by_id["r05"]["date_estimated"] is True
    assert "'=HYPERLINK" in _export(eng, {"q": "hyperlink"}, "csv").decode("utf-8")


@pytest.mark.parametrize("params", [{"q": "coopération"}, {"q": "militaire sahel"}, {"q": "coop*"},
                                    {"q": "coopération", "collapse": "0", "outlet": ["APA"]}])
def test_a_relevance_export_holds_the_whoosh_rows_in_the_opensearch_ranking(pair, params, monkeypatch):
    # the two engines score differently (see the README): same rows, each in its own engine's order
    eng, svc = pair
    monkeypatch.setattr(eos, "EXPORT_BATCH", 5)
    ours, theirs = (_export(s, params, "jsonl").splitlines() for s in (eng, svc))
    assert ours and sorted(ours) == sorted(theirs)
    ranked = eng.search(SearchRequest.from_params({**params, "collapse": "0", "limit": "100"}))
    assert [json.loads(line)["id"] for line in ours] == [h["id"] for h in ranked.hits]


def test_an_export_walks_with_search_after_in_one_point_in_time(pair, monkeypatch):
    eng, _svc = pair
    sent = []
    real = eng.client.request

    def spy(method, path, body=None, **kwargs):
        sent.append((method, path, body))
        return real(method, path, body, **kwargs)

    monkeypatch.setattr(eng.client, "request", spy)
    monkeypatch.setattr(eos, "EXPORT_BATCH", 10)
    _export(eng, {"q": ""}, "csv")
    searches = [b for m, p, b in sent if p.startswith("/_search?") or p == "/_search"]
    assert len(searches) == 1 + -(-len(_records()) // 10) + (len(_records()) % 10 == 0)
    assert all("pit" in b and not b.get("from") for b in searches)
    assert sum("search_after" in b for b in searches) == len(searches) - 2
    assert [m for m, p, _b in sent if "point_in_time" in p] == ["POST", "DELETE"]  # opened, then released


def test_an_export_whose_counting_runs_out_of_time_is_refused(pair):
    eng, _svc = pair

    class Spent:
        seconds = 0.001

        @staticmethod
        def expired():
            return True

    with pytest.raises(ex.ExportTooLong):
        ex.plan_export(eng, SearchRequest.from_params({"q": "coopération"}), deadline=Spent())


@pytest.fixture(scope="module")
def apps(pair, archive):
    """Return (web client on OpenSearch, web client on Whoosh) over the same archive."""
    eng, _svc = pair
    on_os = create_app({"ENGINE": "opensearch", "OPENSEARCH_URL": eng.client.url, "OPENSEARCH_INDEX": eng.alias,
                        "TESTING": True}).test_client()
    on_whoosh = create_app({"INDEX_DIR": str(archive[1]), "ENGINE": "whoosh", "TESTING": True}).test_client()
    return on_os, on_whoosh


def _no_stamp(body: bytes) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<when>", body.decode("utf-8"))


@pytest.mark.parametrize("fmt", sorted(ex.FORMATS))
@pytest.mark.parametrize("query", ["q=cooperation&sort=newest", "outlet=Maliweb&sort=oldest", "q=zzzz&sort=newest"])
def test_the_web_export_on_opensearch_is_the_whoosh_download(apps, query, fmt):
    on_os, on_whoosh = apps
    a, b = (c.get(f"/export?{query}&format={fmt}") for c in (on_os, on_whoosh))
    assert a.status_code == b.status_code == 200
    assert a.headers["X-Presse-Total"] == b.headers["X-Presse-Total"]
    assert a.headers["Content-Type"] == b.headers["Content-Type"]
    assert _no_stamp(a.get_data()) == _no_stamp(b.get_data())


def test_the_search_page_on_opensearch_offers_the_export(apps):
    on_os, on_whoosh = apps
    page = on_os.get("/search?q=cooperation").get_data(as_text=True)
    assert "Export non disponible" not in page
    assert re.findall(r'href="(/export\?[^"]+)"', page) == re.findall(
        r'href="(/export\?[^"]+)"', on_whoosh.get("/search?q=cooperation").get_data(as_text=True))


def test_the_command_line_export_uses_the_configured_engine(pair, archive, monkeypatch, tmp_path):
    eng, _svc = pair
    args = ["export", "coopération", "--format", "jsonl", "--sort", "oldest", "--index", str(archive[1])]
    whoosh = CliRunner().invoke(cli, args + ["-o", str(tmp_path / "w.jsonl")])
    monkeypatch.setenv("PRESSE_ENGINE", "opensearch")
    monkeypatch.setenv("PRESSE_OPENSEARCH_URL", eng.client.url)
    monkeypatch.setenv("PRESSE_OPENSEARCH_INDEX", eng.alias)
    ours = CliRunner().invoke(cli, args + ["-o", str(tmp_path / "o.jsonl")])
    assert ours.exit_code == whoosh.exit_code == 0, ours.output
    assert ours.output.replace("o.jsonl", "w.jsonl") == whoosh.output and "52 article(s) exporté(s)" in ours.output
    assert _no_stamp((tmp_path / "o.jsonl").read_bytes()) == _no_stamp((tmp_path / "w.jsonl").read_bytes())


# ---------------------------------------------------------------- the sources page


def _coverage_html(client) -> str:
    resp = client.get("/sources")
    assert resp.status_code == 200
    # the build time is each index's own
    return re.sub(r"Index construit le <time[^>]*>[^<]*</time>", "", resp.get_data(as_text=True))


def test_the_sources_page_on_opensearch_is_the_whoosh_page(apps):
    on_os, on_whoosh = apps
    ours = _coverage_html(on_os)
    assert "coverage-outlets" in ours and "Maliweb" in ours and "maliweb" not in ours
    assert ours == _coverage_html(on_whoosh)


def test_the_sources_counts_on_opensearch_are_the_whoosh_counts(pair, apps):
    from webapp import sources as sp

    eng, svc = pair
    on_os, _ = apps
    with on_os.application.app_context():
        ours = sp.coverage(eng)
    with create_app({"INDEX_DIR": str(svc.index_dir), "TESTING": True}).app_context():
        theirs = sp.coverage(svc)
    for key in ("total", "outlets", "no_outlet", "years", "undated", "estimated"):
        assert ours[key] == theirs[key], key
    assert ours["estimated"] and ours["undated"] and ours["no_outlet"] == 0
    assert ours["built"] is not None and "(UTC)" in ours["built_text"]


def test_the_sources_page_without_an_opensearch_index_says_to_build_one(opensearch_url):  # noqa: F811
    client = create_app({"ENGINE": "opensearch", "OPENSEARCH_URL": opensearch_url,
                         "OPENSEARCH_INDEX": _alias("never-built"), "TESTING": True}).test_client()
    resp = client.get("/sources")
    assert resp.status_code == 503 and "presse reindex" in resp.get_data(as_text=True)


# ---------------------------------------------------------------- pages deep in the results

DEEP = [
    {"q": ""}, {"q": "", "collapse": "0"}, {"q": "", "sort": "oldest"}, {"q": "coopération", "sort": "newest"},
    {"q": "coopération sahel", "sort": "oldest", "collapse": "0"}, {"q": "", "outlet": ["Maliweb"]},
    {"q": "", "sort": "newest", "-outlet": ["APA"]},
]


@pytest.mark.parametrize("params", DEEP, ids=lambda p: json.dumps(p, ensure_ascii=False))
def test_pages_past_the_from_limit_are_the_whoosh_pages(pair, params, monkeypatch):
    eng, svc = pair
    monkeypatch.setattr(eos, "FROM_LIMIT", 4)  # every page but the first is walked to with search_after
    monkeypatch.setattr(osi, "WALK_BATCH", 3)
    for page in range(1, 14):
        req = SearchRequest.from_params({**params, "limit": "4", "page": str(page), "autocorrect": "0"})
        assert _summary(eng.search(req)) == _summary(svc.search(req)), page


def test_a_collapsed_deep_page_lists_each_storys_other_versions(pair, monkeypatch):
    eng, svc = pair
    monkeypatch.setattr(eos, "FROM_LIMIT", 0)
    req = SearchRequest.from_params({"q": "sécuritaire", "limit": "1"})
    ours, theirs = eng.search(req).hits, svc.search(req).hits
    assert [v["id"] for v in ours[0]["versions"]] == [v["id"] for v in theirs[0]["versions"]] == ["copy1", "copy2"]


def test_a_page_past_ten_thousand_hits_is_served(opensearch_url):  # noqa: F811
    eng = OpenSearchEngine(opensearch_url, alias=_alias("deep"))
    docs = [article(f"d{i:05d}", f"Note {i}", f"Note brève numéro {i}.", outlet="APA", date=f"{2000 + i % 20}-01-01")
            for i in range(10_250)]
    try:
        eng.reindex(None, persons=False, articles=docs)
        req = SearchRequest.from_params({"sort": "oldest", "limit": "100", "page": "101", "collapse": "0"})
        res = eng.search(req)
        expected = sorted(docs, key=lambda d: (d["date"], d["id"]))[10_000:10_100]
        assert res.total == 10_250 and res.pages == 103
        assert [h["id"] for h in res.hits] == [d["id"] for d in expected]
        last = eng.search(SearchRequest.from_params({"limit": "100", "page": "103", "sort": "newest"}))
        assert len(last.hits) == 50
    finally:
        _drop(eng)


# ---------------------------------------------------------------- prefixes, fuzzy words and corrections

SPELLING = [
    "zorb*", "zorbb*", "zorba* OR zorbb*", "zorb* coop* milit*", "titre:coop*", "personne:goï*", "media:mali*",
    "coopérasion", "cooperasion militere", "militere", "bamoko", "securite bamoko", "cooperation~", "Goïtta~",
    "zorbzz~", "sahell", "zzzzqqq", "coopération sécuritée", "personne:goita coopérasion",
]


@pytest.mark.parametrize("autocorrect", ["1", "0"])
@pytest.mark.parametrize("q", SPELLING)
def test_prefixes_fuzzy_words_and_corrections_are_whooshs(pair, q, autocorrect):
    eng, svc = pair
    # every copy: a story is shown at its best-scored copy, and the engines score differently
    req = SearchRequest.from_params({"q": q, "limit": "100", "autocorrect": autocorrect, "collapse": "0"})
    assert _summary(eng.search(req)) == _summary(svc.search(req))


def test_a_prefix_expands_to_its_thirty_commonest_forms_and_says_which(pair):
    eng, _svc = pair
    res = eng.search(SearchRequest.from_params({"q": "zorb*", "limit": "100"}))
    assert res.interpreted == "zorb* (30 forme(s) : zorbaa, zorbab, zorbac, zorbad, zorbae, …)"
    # the rarest of the forty forms (zorbbn, in 8 articles) is not searched: its articles all hold commoner ones
    assert res.total == 47
    rare = eng.search(SearchRequest.from_params({"q": "zorbbn", "limit": "100"}))
    assert rare.total == 8
    assert eng.search(SearchRequest.from_params({"q": "zorbbn*"})).interpreted == "zorbbn* (1 forme(s) : zorbbn)"


@pytest.mark.parametrize("q, corrected", [("cooperasion militere", "coopération militaire"), ("bamoko", "Bamako")])
def test_a_search_finding_nothing_is_corrected_on_opensearch_as_on_whoosh(apps, q, corrected):
    on_os, on_whoosh = apps
    a, b = (c.get("/api/search", query_string={"q": q}).get_json() for c in (on_os, on_whoosh))
    assert a["corrected_from"] == b["corrected_from"] == q
    assert a["query"] == b["query"] == corrected and a["total"] == b["total"] > 0
    page = on_os.get("/search", query_string={"q": "zzzzqqq"}).get_data(as_text=True)
    assert "corrections d’orthographe ne sont pas disponibles" not in page


def test_an_index_without_a_vocabulary_still_searches_its_prefixes(pair):
    eng, _svc = pair
    (target,) = eng._alias_targets()
    bare = OpenSearchEngine(eng.client.url, alias=eng.alias)
    bare._vocab = (float("inf"), [target], None, None)  # as an index written before the vocabulary
    res = bare.search(SearchRequest.from_params({"q": "zorb*"}))
    assert res.total == 47 and res.suggestion is None
