"""Exporting a whole search (``/export``, ``presse export``), on both engines: every hit in order, with provenance."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from search.cli import main as cli
from search.query import export as ex
from search.query.request import MAX_LIMIT, SearchRequest
from tests.engine_fixture import absent, build, seeds, whoosh_only
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)

OUTLETS = ["Maliweb", "L'Essor", "APA", "Sahel Tribune"]
#: Records whose cells a spreadsheet would run as formulas, or that test quoting and accents.
TRICKY = [
    {"id": "eq", "title": "=HYPERLINK(\"http://evil.example\";\"clic\")", "outlet": "Maliweb",
     "author": "Awa Traoré", "date": "2023-08-02", "url": "https://www.maliweb.net/a-1.html",
     "body": "Coopération militaire, « forces » ; virgules, \"guillemets\".\n\nSécurité au Sahel."},
    {"id": "plus", "title": "+223 Coopération régionale", "outlet": "APA", "date": "2021",
     "body": "La coopération régionale avance."},
    {"id": "at", "title": "@Bamako: coopération", "outlet": "L'Essor", "date": "2022-03",
     "url": "https://lessor.ml/b?x=1&y=2", "body": "Coopération et sécurité."},
    {"id": "minus", "title": "-10 % : la coopération recule", "outlet": "APA", "body": "Coopération en recul."},
]


def _records(n: int = 130) -> list[dict]:
    """Return ``n`` articles about cooperation over several outlets and years (some undated)."""
    out = []
    for i in range(n):
        rec = {"id": f"n{i:03d}", "title": f"Coopération militaire numéro {i}",
               "body": "La coopération militaire " + "progresse " * (i % 7 + 1) + f"à Bamako ({i}).",
               "outlet": OUTLETS[i % len(OUTLETS)]}
        if i % 9:
            rec["date"] = f"{2015 + i % 9}-{i % 12 + 1:02d}-{i % 27 + 1:02d}"
        out.append(rec)
    return out + TRICKY


@pytest.fixture(scope="module")
def export_index(engine_name, request, tmp_path_factory):
    src = tmp_path_factory.mktemp("export-src")
    (src / "bulk.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), "utf-8")
    return build(request, engine_name, source=src, label="export")


@pytest.fixture(scope="module")
def client(export_index):
    return export_index.web()


def cli_run(built, args):
    """Run ``presse`` on the engine of ``built`` (its folder as ``--index``)."""
    return CliRunner(env=built.environ()).invoke(cli, [*args, "--index", str(built.index_dir)])


def _paged_ids(svc, params: dict) -> list[str]:
    """Return the ids of every hit by walking the search's pages, as a reader of the page would."""
    ids, page = [], 1
    while True:
        res = svc.search(SearchRequest.from_params({**params, "page": str(page), "limit": str(MAX_LIMIT)}))
        ids += [h["id"] for h in res.hits]
        if page >= res.pages:
            return ids
        page += 1


def _jsonl(client, query: str) -> list[dict]:
    resp = client.get(f"/export?{query}&format=jsonl")
    assert resp.status_code == 200
    return [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]


SEARCHES = [
    {"q": "cooperation"},
    {"q": "cooperation", "sort": "newest"},
    {"q": "cooperation", "sort": "oldest"},
    {"q": "cooperation militaire", "outlet": ["Maliweb", "APA"]},
    {"q": "", "sort": "relevance"},
    {"q": "cooperation", "-outlet": "APA", "year": ["2016", "2018", "2021"]},
    {"q": "progresse OR securite", "scope": "articles"},
    {"q": "\"cooperation militaire\"", "sort": "oldest", "-year": "2019"},
]


@pytest.mark.parametrize("params", SEARCHES, ids=lambda p: json.dumps(p, ensure_ascii=False))
def test_an_export_holds_every_hit_of_every_page_in_the_page_order(client, export_index, params, monkeypatch):
    monkeypatch.setattr(ex, "BATCH", 7)  # many batches, so that their seams are tested too
    query = "&".join(f"{k}={v}" for k, vs in params.items() for v in ([vs] if isinstance(vs, str) else vs))
    rows = _jsonl(client, query)
    expected = _paged_ids(export_index, params)
    assert len(expected) > 0
    assert [r["id"] for r in rows] == expected


def test_the_export_carries_more_hits_than_a_page_can_hold(client):
    rows = _jsonl(client, "q=cooperation")
    assert len(rows) == 134 > MAX_LIMIT


def test_a_csv_export_opens_in_a_spreadsheet_with_its_accents_and_without_formulas(client):
    resp = client.get("/export?q=cooperation&sort=newest&format=csv")
    raw = resp.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    assert raw.count(b"\r\n") == 135 == raw.count(b"\n")  # header and 134 rows, every line ended by CRLF
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == list(ex.COLUMNS)
    rows = {r[0]: dict(zip(table[0], r)) for r in table[1:]}
    assert len(rows) == 134
    assert rows["eq"]["title"] == "'=HYPERLINK(\"http://evil.example\";\"clic\")"
    assert rows["plus"]["title"] == "'+223 Coopération régionale"
    assert rows["at"]["title"] == "'@Bamako: coopération"
    assert rows["minus"]["title"] == "'-10 % : la coopération recule"
    assert rows["eq"]["author"] == "Awa Traoré"
    assert rows["at"]["url"] == "https://lessor.ml/b?x=1&y=2"
    assert (rows["at"]["date"], rows["at"]["date_precision"]) == ("2022-03", "month")
    assert rows["n000"]["date"] == "" and rows["n000"]["date_precision"] == ""
    assert rows["eq"]["outlet"] == "Maliweb" and rows["at"]["outlet"] == "L’Essor"


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"),
    ("Coopération", "Coopération"), ("a=b", "a=b"), (None, ""), (True, "oui"), (False, "non"),
    (["Sadio Camara", "Assimi Goïta"], "Sadio Camara ; Assimi Goïta"), (["=cmd"], "'=cmd"),
])
def test_a_csv_cell_is_text_a_spreadsheet_never_runs(value, cell):
    assert ex.csv_cell(value) == cell


def test_a_json_lines_export_has_the_provenance_of_each_hit(client):
    rows = _jsonl(client, "q=cooperation&outlet=Maliweb&sort=oldest&page=3&limit=5")
    assert rows and all(list(r) == list(ex.COLUMNS) for r in rows)
    eq = next(r for r in rows if r["id"] == "eq")
    assert eq["title"].startswith("=HYPERLINK")  # JSON is data, not a spreadsheet: left as it is
    assert (eq["outlet"], eq["author"], eq["date"], eq["date_precision"]) == ("Maliweb", "Awa Traoré", "2023-08-02", "day")
    assert eq["url"] == "https://www.maliweb.net/a-1.html" and eq["persons"] == [] and eq["story"] is None
    assert eq["article_url"] == "http://localhost/article/eq"
    search = urlsplit(eq["search_url"])
    assert (search.scheme, search.netloc, search.path) == ("http", "localhost", "/search")
    # every filter and the sort, but not the page the export was started from
    assert parse_qs(search.query) == {"q": ["cooperation"], "outlet": ["Maliweb"], "sort": ["oldest"]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", eq["exported_at"])
    assert len({r["exported_at"] for r in rows}) == 1


def test_a_stored_story_is_exported_and_an_absent_one_left_empty():
    plan = ex.ExportPlan(searcher=None, docnums=None, search_url="/search", exported_at="2024-01-01T00:00:00Z")
    assert ex.record({"id": "a", "title": "T", "story": "s-42"}, plan)["story"] == "s-42"
    assert ex.record({"id": "a", "title": "T"}, plan)["story"] is None


def test_a_ris_export_gives_zotero_one_news_reference_per_hit(client):
    text = client.get("/export?q=cooperation&sort=newest&format=ris").get_data(as_text=True)
    entries = [e for e in text.split("ER  - \r\n") if e.strip()]
    assert len(entries) == 134
    assert all(e.lstrip("\r\n").startswith("TY  - NEWS\r\n") for e in entries)
    for line in text.split("\r\n"):
        assert line == "" or re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line), line
    eq = next(e for e in entries if "ID  - eq\r\n" in e)
    tags = dict(line.split("  - ", 1) for line in eq.strip().split("\r\n"))
    assert tags["TI"] == "=HYPERLINK(\"http://evil.example\";\"clic\")"
    assert (tags["T2"], tags["AU"], tags["PY"], tags["DA"]) == ("Maliweb", "Awa Traoré", "2023", "2023/08/02/")
    assert tags["UR"] == "https://www.maliweb.net/a-1.html"
    assert "précision : jour" in tags["N1"] and "http://localhost/search?q=cooperation&sort=newest" in tags["N1"]
    month = next(e for e in entries if "ID  - at\r\n" in e)
    assert "DA  - 2022/03//\r\n" in month
    undated = next(e for e in entries if "ID  - n000\r\n" in e)
    assert "PY  -" not in undated and "DA  -" not in undated


def test_an_estimated_date_is_never_given_to_a_reference_manager_as_published():
    plan = ex.ExportPlan(None, None, "/search", "2024-01-01T00:00:00Z")
    entry = ex.ris_entry(ex.record({"id": "e", "title": "T", "date": "2021", "date_precision": "year",
                                    "date_estimated": True}, plan))
    assert "PY  -" not in entry and "DA  -" not in entry
    assert "Date estimée d’après le texte, non publiée : 2021" in entry


@pytest.mark.parametrize("fmt, media_type, extension", [
    ("csv", "text/csv", "csv"), ("jsonl", "application/x-ndjson", "jsonl"),
    ("ris", "application/x-research-info-systems", "ris"),
])
def test_an_export_is_a_streamed_download_named_after_the_query(client, export_index, fmt, media_type, extension):
    resp = client.get(f"/export?q=coopération militaire&format={fmt}")
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.mimetype == media_type and resp.mimetype_params["charset"] == "utf-8"
    disposition = resp.headers["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="presse-cooperation-militaire-\d{{8}}T\d{{4}}Z\.{extension}"',
                        disposition)
    assert resp.headers["X-Presse-Total"] == str(len(_paged_ids(export_index, {"q": "coopération militaire"})))


@whoosh_only("the stored fields of a Whoosh searcher")
def test_the_export_reads_one_batch_at_a_time(export_index, monkeypatch):
    monkeypatch.setattr(ex, "BATCH", 5)
    plan = ex.plan_export(export_index.service, SearchRequest(q="cooperation"))
    reads = []
    real = plan.searcher

    class Counting:
        def stored_fields(self, docnum):
            reads.append(docnum)
            return real.stored_fields(docnum)

    plan.searcher = Counting()
    chunks = ex.iter_export(plan, "csv")
    assert next(chunks).startswith("\ufeffid,".encode())
    assert reads == []
    next(chunks)
    assert len(reads) == 5
    rest = list(chunks)
    assert len(reads) == plan.total == 134 and len(rest) == -(-134 // 5) - 1


def test_an_export_whose_matching_runs_out_of_time_is_refused_not_cut(client, monkeypatch):
    monkeypatch.setenv("PRESSE_SEARCH_TIME_LIMIT", "1e-9")
    # a match kept by an earlier search of the module would answer without running out of time
    monkeypatch.setattr("search.query.service.RESULT_CACHE_SIZE", 0)
    resp = client.get("/export?q=cooperation&format=csv")
    assert resp.status_code == 503
    assert "trop longue pour un export complet" in resp.get_data(as_text=True)


HOSTILE = [
    "format=xls", "format=", "format=csv&format=../../etc/passwd", "format=%00", "q=%00%01&format=csv",
    "year=abcd&format=csv", "month=2023-13&format=jsonl", "page=0&format=csv", "limit=100000&format=csv",
    "sort=random&format=ris", "scope=nowhere&format=csv", "q=" + "a" * 5000 + "&format=jsonl",
    "outlet=" + "&outlet=".join(str(i) for i in range(60)) + "&format=csv", "q=\"unbalanced&format=csv",
    "q=(((((&format=ris", "q=coop*~&format=jsonl", "outlet=%3Cscript%3E&format=csv", "-outlet=%E2%80%AE&format=csv",
    "q=%F0%9F%92%A5&format=ris", "q=titre:&format=csv", "format=CSV", "format=JsonL",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_export_parameters_get_a_file_or_a_french_400_never_a_500(client, query):
    resp = client.get(f"/export?{query}")
    body = resp.get_data(as_text=True)
    assert resp.status_code in (200, 400), body[:300]
    if resp.status_code == 400:
        assert "Paramètre invalide" in body and "<script>" not in body


def test_the_search_page_offers_the_export_of_its_own_parameters(client):
    html = client.get("/search?q=cooperation&outlet=APA&-year=2021&sort=oldest&page=2").get_data(as_text=True)
    links = re.findall(r'href="(/export\?[^"]+)"', html)
    assert len(links) == 3
    for link, fmt in zip(links, ("csv", "jsonl", "ris")):
        params = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert params == {"q": ["cooperation"], "outlet": ["APA"], "-year": ["2021"], "sort": ["oldest"],
                          "format": [fmt]}
    assert 'hx-boost="false"' in html.split("export-links")[1].split("</ul>")[0]


def test_a_search_without_hits_offers_no_export(client):
    html = client.get("/search?q=zzzzqqqq").get_data(as_text=True)
    assert "/export?" not in html and "/feed?q=zzzzqqqq" in html


def test_the_command_line_export_writes_the_same_hits_as_the_web_export(client, export_index, tmp_path):
    out = tmp_path / "out.csv"
    result = cli_run(export_index, ["export", "cooperation", "--outlet", "APA", "--sort", "newest",
                                    "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    web = _jsonl(client, "q=cooperation&outlet=APA&sort=newest")
    assert [r[0] for r in table[1:]] == [r["id"] for r in web]
    assert table[1][table[0].index("search_url")] == "/search?q=cooperation&outlet=APA&sort=newest"


@pytest.mark.parametrize("fmt, first", [("jsonl", b"{"), ("ris", b"TY  - NEWS\r\n"), ("csv", "\ufeffid".encode())])
def test_the_command_line_export_streams_to_standard_output(export_index, fmt, first):
    result = cli_run(export_index, ["export", "--format", fmt, "--base-url", "https://presse.example/"])
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(first)
    assert b"https://presse.example/article/n000" in result.stdout_bytes
    assert "134 article(s) exporté(s)" in result.stderr


@pytest.mark.parametrize("args, status, message", [
    (["--year", "deux-mille"], 2, "année invalide"),
    (["--sort", "random"], 2, "tri inconnu"),
    (["--format", "xls"], 2, "xls"),
])
def test_the_command_line_export_refuses_bad_options_with_the_parsers_message(export_index, tmp_path, args, status,
                                                                              message):
    out = tmp_path / "never.csv"
    result = cli_run(export_index, ["export", "cooperation", "--output", str(out), *args])
    assert result.exit_code == status
    assert message in result.output
    assert not out.exists()


def test_the_command_line_export_of_an_absent_index_says_so(engine_name, request):
    config = absent(request, engine_name)
    env = {"PRESSE_ENGINE": engine_name, "PRESSE_OPENSEARCH_URL": config.get("OPENSEARCH_URL"),
           "PRESSE_OPENSEARCH_INDEX": config.get("OPENSEARCH_INDEX")}
    result = CliRunner(env=env).invoke(cli, ["export", "x", "--index", config["INDEX_DIR"]])
    assert result.exit_code == 1 and "presse reindex" in result.output


def test_persons_of_the_seeds_are_exported_as_the_article_page_lists_them(engine_name, request):
    svc = seeds(request, engine_name)
    plan = ex.plan_export(svc, SearchRequest(q="cooperation"))
    records = list(ex.iter_records(plan))
    assert records and any(r["persons"] for r in records)
    for r in records:
        assert r["persons"] == svc.article(r["id"])["persons"]


def test_a_long_export_tells_the_server_it_is_alive_after_every_batch(export_index, monkeypatch):
    monkeypatch.setattr(ex, "BATCH", 10)
    beats = []
    app = export_index.app(HEARTBEAT=lambda: beats.append(1))
    resp = app.test_client().get("/export?q=cooperation&format=jsonl")
    lines = resp.get_data(as_text=True).splitlines()
    assert len(lines) == 134 and len(beats) == -(-134 // 10)


@pytest.mark.parametrize("article_id, path", [
    ("a b/c?d#e%f", "/article/a%20b%2Fc%3Fd%23e%25f"), ("..", "/article?id=.."), (".", "/article?id=."),
    ("Goïta", "/article/Go%C3%AFta"),
])
def test_article_links_of_an_export_are_the_article_pages_own(client, article_id, path):
    from webapp.export import article_linker
    from webapp.links import article_url

    with client.application.test_request_context("/export"):
        assert article_linker()(article_id) == "http://localhost" + path == "http://localhost" + article_url(article_id)


def test_a_hostile_query_reaches_the_export_and_feed_links_escaped(client):
    hostile = 'cooperation OR "><script>alert(1)</script>&x="'
    html = client.get("/search", query_string={"q": hostile}).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    links = re.findall(r'href="(/(?:export|feed)\?[^"]+)"', html)
    assert len(links) == 5  # three formats, the feed in the head and in the page
    for link in links:
        assert parse_qs(urlsplit(link.replace("&amp;", "&")).query)["q"] == [hostile]
