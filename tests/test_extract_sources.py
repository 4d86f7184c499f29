"""Source files around extraction: sidecars, JSONL bulk files, standalone JSON, bad input."""

from __future__ import annotations

import gzip
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.extract.files import (ARTICLE_KEYS, MAX_PAGE_BYTES, SkipFile, SkippedRecord, extract_text, iter_file,
                            load_file, normalize_record)

PAGE = "Un titre de page de test\n\nUn paragraphe de texte assez long pour faire le corps d'un article.\n"


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_sidecar_keys_override_what_extraction_found(tmp_path):
    page = _write(tmp_path / "a.txt", PAGE.encode())
    (tmp_path / "a.json").write_text(json.dumps({
        "url": "https://www.maliweb.net/politique/article-1.html", "date": "2023-08-02",
        "outlet": "l'essor", "author": "Awa Traoré", "extra": 1,
    }), encoding="utf-8")
    (art,) = load_file(page)
    assert art["url"] == "https://www.maliweb.net/politique/article-1.html"
    assert (art["date"], art["date_precision"], art["date_estimated"]) == ("2023-08-02", "day", False)
    assert art["outlet"] == "L’Essor"  # canonical spelling from the outlet table
    assert art["site"] == "maliweb.net"
    assert art["author"] == "Awa Traoré"
    assert art["title"] == "Un titre de page de test"
    assert set(art) == set(ARTICLE_KEYS)


def test_sidecar_change_changes_the_content_hash(tmp_path):
    page = _write(tmp_path / "a.txt", PAGE.encode())
    before = load_file(page)[0]["content_hash"]
    (tmp_path / "a.json").write_text('{"date": "2020"}', encoding="utf-8")
    assert load_file(page)[0]["content_hash"] != before


def test_a_sidecar_is_not_an_article_of_its_own(tmp_path):
    _write(tmp_path / "a.txt", PAGE.encode())
    side = tmp_path / "a.json"
    side.write_text('{"date": "2020"}', encoding="utf-8")
    assert load_file(side) == []


def test_broken_sidecar_is_reported_and_the_page_still_read(tmp_path):
    page = _write(tmp_path / "a.txt", PAGE.encode())
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    items = list(iter_file(page))
    assert isinstance(items[0], SkippedRecord) and "sidecar ignored" in items[0].reason
    assert items[1]["title"] == "Un titre de page de test"


def test_standalone_json_is_one_article(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"title": "Titre", "body": "Corps.", "date": "2024-05-06"}), encoding="utf-8")
    (art,) = load_file(path)
    assert (art["id"], art["title"], art["date"]) == ("b", "Titre", "2024-05-06")


CORPUS_LIKE = [
    {"id": "lefaso-1", "outlet": "Lefaso.net", "site": "lefaso.net", "url": "https://lefaso.net/spip.php?article1",
     "title": "Burkina : un titre", "date": "2025-09-02", "author": None, "body": "",
     "comments": ["Premier commentaire.", "Une réponse."],
     "comments_meta": [{"id": "C001", "parent": None, "author": "jan jan", "text": "Premier commentaire."},
                       {"id": "C001R01", "parent": "C001", "author": "West", "text": "Une réponse."}],
     "section": "politique"},
    {"id": "malijet-2", "outlet": "Mondafrique", "url": "https://malijet.com/a/2", "title": "Le Pre\u0301sident",
     "date": None, "author": None, "body": "Un corps de\u0301compose\u0301.", "comments": []},
    {"outlet": "Orange Actu", "title": "Sans id", "date": "2020-06-15", "body": "Texte.", "comments": [
        {"text": "Un avis", "author": "Moi"}]},
]


def _jsonl(tmp_path, records, name="bulk.jsonl", extra_lines=()):
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(extra_lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_records_shaped_like_the_corpus_become_articles(tmp_path):
    arts = load_file(_jsonl(tmp_path, CORPUS_LIKE))
    assert [a["id"] for a in arts][:2] == ["lefaso-1", "malijet-2"]
    lefaso, malijet, orange = arts
    assert lefaso["comments"] == [
        {"text": "Premier commentaire.", "author": "jan jan", "reply_to": None, "id": "C001"},
        {"text": "Une réponse.", "author": "West", "reply_to": "C001", "id": "C001R01"},
    ]
    assert lefaso["comments_count"] == 2 and lefaso["title"] == "Burkina : un titre"
    assert malijet["title"] == "Le Président" and malijet["body"] == "Un corps décomposé."  # NFC
    assert (malijet["date"], malijet["date_precision"]) == (None, None)
    assert malijet["site"] == "malijet.com"
    assert orange["id"].startswith("bulk-") and orange["comments"][0]["author"] == "Moi"
    for art in arts:
        assert set(art) == set(ARTICLE_KEYS)


def test_jsonl_derived_ids_are_stable(tmp_path):
    first = load_file(_jsonl(tmp_path, CORPUS_LIKE))[2]["id"]
    again = load_file(_jsonl(tmp_path, [CORPUS_LIKE[1], CORPUS_LIKE[2]]))[1]["id"]
    assert first == again


def test_bad_jsonl_lines_are_skipped_with_their_line_number(tmp_path):
    path = _jsonl(tmp_path, CORPUS_LIKE[:1], extra_lines=["{broken", "[1, 2]", "", json.dumps(CORPUS_LIKE[1])])
    items = list(iter_file(path))
    skipped = [i for i in items if isinstance(i, SkippedRecord)]
    assert [s.where for s in skipped] == ["bulk.jsonl:2", "bulk.jsonl:3"]
    assert "invalid JSON" in skipped[0].reason and "not a JSON object" in skipped[1].reason
    assert [a["id"] for a in items if isinstance(a, dict)] == ["lefaso-1", "malijet-2"]


def test_gzipped_jsonl_is_read(tmp_path):
    path = tmp_path / "bulk.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in CORPUS_LIKE).encode()))
    assert len(load_file(path)) == 3


@pytest.mark.parametrize("data,reason", [
    (b"", "empty file"),
    (b"  \n\r\n\t ", "empty file"),
    (b"\xef\xbb\xbf", "empty file"),
    (b"abc\x00def" * 10, "binary file (NUL bytes)"),
    (b"%PDF-1.4 whatever", "binary file (PDF document)"),
    (b"\x89PNG\r\n\x1a\n....", "binary file (PNG image)"),
])
def test_unreadable_pages_are_skipped_with_a_one_line_reason(tmp_path, data, reason):
    path = _write(tmp_path / "bad.txt", data)
    with pytest.raises(SkipFile) as exc:
        load_file(path)
    assert str(exc.value) == reason


def test_oversized_page_is_skipped_with_its_size(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.truncate(MAX_PAGE_BYTES + 1024 * 1024)
    with pytest.raises(SkipFile, match=r"^too large: 21\.0 MB > 20 MB limit$"):
        load_file(path)


def test_folder_named_like_a_page_is_not_a_regular_file(tmp_path):
    (tmp_path / "x.txt").mkdir()
    with pytest.raises(SkipFile, match="^not a regular file$"):
        load_file(tmp_path / "x.txt")


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(SkipFile, match="^unreadable: No such file or directory$"):
        load_file(tmp_path / "gone.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_is_unreadable(tmp_path):
    path = _write(tmp_path / "locked.txt", PAGE.encode())
    path.chmod(0)
    with pytest.raises(SkipFile, match="^unreadable: Permission denied$"):
        load_file(path)


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-8"),
    lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    lambda t: t.encode("cp1252"),
    lambda t: t.encode("latin-1"),
    lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    lambda t: t.encode("utf-16"),
], ids=["utf8", "utf8-bom", "cp1252", "latin1", "crlf", "utf16-bom"])
def test_every_common_encoding_gives_the_same_article(tmp_path, encode):
    text = "Sécurité : le ministre reçu à Moscou\n\nLe ministre de la Défense a été reçu à Moscou, où il a évoqué l'été.\n"
    (art,) = load_file(_write(tmp_path / "p.txt", encode(text)))
    assert art["title"] == "Sécurité : le ministre reçu à Moscou"
    assert art["body"] == "Le ministre de la Défense a été reçu à Moscou, où il a évoqué l'été."


def test_decomposed_accents_and_nbsp_are_normalised(tmp_path):
    text = "Se\u0301curite\u0301\u00a0: un titre de test\n\nLe colonel Goi\u0308ta\u00a0a parle\u0301.\n"
    (art,) = load_file(_write(tmp_path / "p.txt", text.encode()))
    assert art["title"] == "Sécurité : un titre de test"
    assert art["body"] == "Le colonel Goïta a parlé."


def test_normalize_record_completes_a_minimal_record():
    art = normalize_record({"id": "x", "body": "Premier sentence ici. Et la suite."}, path="p.jsonl")
    assert art["title"] == "Premier sentence ici" and art["title_derived"] is True
    assert art["comments"] == [] and art["comments_count"] == 0 and art["persons"] == []
    assert set(art) == set(ARTICLE_KEYS)


@pytest.mark.parametrize("value,expected", [
    ("2023-08-02", ("2023-08-02", "day")), ("2023-08", ("2023-08", "month")), ("2023", ("2023", "year")),
    ("2020-06-15T16:40:00+02:00", ("2020-06-15", "day")), ("mercredi 2 août 2023", ("2023-08-02", "day")),
    (None, (None, None)), ("bientôt", (None, None)), (20230802, (None, None)), ("2023-13-45", (None, None)),
])
def test_normalize_record_derives_date_precision_from_the_date(value, expected):
    art = normalize_record({"id": "x", "title": "t", "date": value}, path="p")
    assert (art["date"], art["date_precision"]) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_arbitrary_text_always_gives_an_article(text):
    art = extract_text(text, id="h")
    assert set(art) == set(ARTICLE_KEYS)
    assert isinstance(art["title"], str) and isinstance(art["body"], str)
    json.dumps(art)


_PAGE_ALPHABET = st.sampled_from(list("abcdeé ’'\n\t\r:|-•0123456789.()/©«»") + [
    "Publié le ", "Par ", "Source: ", "1. ", "Commentaires via Facebook :\n", "3 COMMENTAIRES\n", "AFP", "/APA",
    " date 2023-08 ", "Réagir\n", "Notify of\n", "Subscribe\n", "mercredi 2 août 2023", "Lire aussi", "\n\n    • ",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PAGE_ALPHABET, max_size=200).map("".join))
def test_arbitrary_page_like_text_always_gives_an_article(text):
    art = extract_text(text, id="h")
    assert set(art) == set(ARTICLE_KEYS)
    assert art["comments_count"] >= len(art["comments"])
    json.dumps(art)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".txt", ".jsonl", ".json"]))
def test_arbitrary_bytes_give_articles_or_a_skip_reason(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        items = list(iter_file(path))
    except SkipFile as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for item in items:
        assert isinstance(item, (dict, SkippedRecord))
        if isinstance(item, dict):
            json.dumps(item)


# --- bulk files: bad records cost themselves only ----------------------------------------------

GOOD = [{"id": "un", "title": "Premier", "body": "Texte un."}, {"id": "deux", "title": "Second", "body": "Texte deux."}]


@pytest.mark.parametrize("bad_line, where, reason", [
    (b"\x00\x01\x02\x03 binaire", "bulk.jsonl:1", "binary data (NUL bytes)"),
    (b"%PDF-1.4 \x00\x00", "bulk.jsonl:1", "binary data (PDF document)"),
    (b"\x89PNG\r\n\x1a", "bulk.jsonl:1", "binary data (PNG image)"),
    (b"{pas du json", "bulk.jsonl:1", "invalid JSON"),
], ids=["nul-bytes", "pdf-magic", "png-magic", "invalid-json"])
def test_a_bad_first_line_of_a_jsonl_costs_only_that_line(tmp_path, bad_line, where, reason):
    path = tmp_path / "bulk.jsonl"
    path.write_bytes(bad_line + b"\n" + "\n".join(json.dumps(r) for r in GOOD).encode() + b"\n")
    items = list(iter_file(path))
    skipped = [i for i in items if isinstance(i, SkippedRecord)]
    assert [(s.where, s.reason.startswith(reason)) for s in skipped] == [(where, True)]
    assert [a["id"] for a in items if isinstance(a, dict)] == ["un", "deux"]


def test_a_record_with_a_stray_nul_byte_is_read_like_any_other(tmp_path):
    path = tmp_path / "bulk.jsonl"
    record = b'{"id": "nul", "title": "Avec\x00 NUL", "body": "Texte."}\n'
    path.write_bytes(record + json.dumps(GOOD[0]).encode() + b"\n")
    assert [a["id"] for a in load_file(path)] == ["nul", "un"]


def test_blank_lines_before_the_first_record_do_not_make_an_empty_file(tmp_path):
    path = tmp_path / "bulk.jsonl"
    path.write_bytes(b"\n \t\n" * 5000 + json.dumps(GOOD[0]).encode() + b"\n")
    assert [a["id"] for a in load_file(path)] == ["un"]


@pytest.mark.parametrize("data", [b"", b"\n\n   \n", b"\xef\xbb\xbf\n"], ids=["empty", "blank", "bom-only"])
def test_a_jsonl_with_no_record_at_all_is_an_empty_file(tmp_path, data):
    with pytest.raises(SkipFile, match="^empty file$"):
        load_file(_write(tmp_path / "bulk.jsonl", data))


def test_a_binary_file_named_jsonl_lists_a_bounded_number_of_bad_records(tmp_path):
    from search.extract.files import MAX_LISTED_SKIPS

    path = _write(tmp_path / "image.jsonl", b"\x89PNG\r\n" + b"\x00\xff\x10\n" * 5000 + json.dumps(GOOD[0]).encode())
    items = list(iter_file(path))
    skipped = [i for i in items if isinstance(i, SkippedRecord)]
    assert len(skipped) == MAX_LISTED_SKIPS + 1
    assert skipped[-1].where == f"image.jsonl:{MAX_LISTED_SKIPS + 1}-5001"
    assert skipped[-1].reason.startswith(f"{5001 - MAX_LISTED_SKIPS} more bad records")
    assert [a["id"] for a in items if isinstance(a, dict)] == ["un"]


def test_a_gzipped_jsonl_with_a_binary_line_keeps_its_other_records(tmp_path):
    path = tmp_path / "bulk.jsonl.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x00\n" + "\n".join(json.dumps(r) for r in GOOD).encode()))
    assert [a["id"] for a in load_file(path)] == ["un", "deux"]


# --- only regular files are opened ------------------------------------------------------------

def _within(seconds: float, fn):
    """Return ``fn()`` run in a thread, failing instead of blocking when it takes longer."""
    import threading

    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked on a file that is not a regular file"
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.mark.parametrize("name", ["p.txt", "p.html", "b.jsonl", "b.jsonl.gz", "a.json"])
def test_a_fifo_named_like_a_source_file_is_not_a_regular_file(tmp_path, name):
    os.mkfifo(tmp_path / name)
    with pytest.raises(SkipFile, match=r"^not a regular file \(named pipe\)$"):
        _within(10, lambda: list(iter_file(tmp_path / name)))


@pytest.mark.parametrize("name", ["p.txt", "b.jsonl"])
def test_a_file_swapped_for_a_fifo_after_its_type_check_is_refused_on_open(tmp_path, monkeypatch, name):
    from search.extract import files as extract

    os.mkfifo(tmp_path / name)
    monkeypatch.setattr(extract, "_check_file", lambda path: None)  # as if stat'ed before the swap
    with pytest.raises(SkipFile, match=r"^not a regular file \(named pipe\)$"):
        _within(10, lambda: list(iter_file(tmp_path / name)))


@pytest.mark.parametrize("make, reason", [
    (os.mkfifo, "sidecar ignored: not a regular file (named pipe)"),
    (lambda p: os.symlink("/dev/zero", p), "sidecar ignored: not a regular file (character device)"),
    (lambda p: os.symlink("absent.json", p), "sidecar ignored: broken symbolic link"),
    (lambda p: _write(p, b'{"url": "' + b"x" * (3 * 1024 * 1024) + b'"}'), "sidecar ignored: too large"),
], ids=["fifo", "dev-zero", "broken-link", "too-large"])
def test_a_sidecar_that_is_not_a_readable_regular_file_is_named_and_the_page_read(tmp_path, make, reason):
    page = _write(tmp_path / "a.txt", PAGE.encode())
    make(tmp_path / "a.json")
    items = _within(10, lambda: list(iter_file(page)))
    assert isinstance(items[0], SkippedRecord) and items[0].where == "a.json"
    assert items[0].reason.startswith(reason)
    assert items[1]["title"] == "Un titre de page de test" and items[1]["url"] is None


def test_a_folder_named_like_a_sidecar_is_no_sidecar(tmp_path):
    page = _write(tmp_path / "a.txt", PAGE.encode())
    (tmp_path / "a.json").mkdir()
    items = list(iter_file(page))
    assert [type(i) for i in items] == [dict]


def test_the_sidecar_a_caller_refuses_is_not_read(tmp_path):
    page = _write(tmp_path / "a.txt", PAGE.encode())
    (tmp_path / "a.json").write_text('{"url": "https://example.org/a"}', encoding="utf-8")
    (art,) = list(iter_file(page, sidecar=None))
    assert art["url"] is None


def test_a_json_array_with_a_stray_nul_byte_keeps_its_records(tmp_path):
    path = _write(tmp_path / "lot.json", b'[{"id": "a", "title": "Un\x00", "body": "Texte."}, '
                                         b'{"id": "b", "title": "Deux", "body": "Texte."}]')
    assert [a["id"] for a in load_file(path)] == ["a", "b"]


def test_a_binary_file_named_json_is_skipped_as_binary(tmp_path):
    with pytest.raises(SkipFile, match=r"^binary file \(PNG image\)$"):
        load_file(_write(tmp_path / "image.json", b"\x89PNG\r\n\x1a\n\x00\x00"))


@pytest.mark.parametrize("name,kind", [
    ("lot.jsonl.gz", "bulk"), ("lot.jsonl", "bulk"), ("lot.ndjson", "bulk"), ("page.txt", "page"),
])
def test_reindex_walk_reads_every_bulk_file_suffix(tmp_path, name, kind):
    from search.index.reindex import walk_sources

    line = json.dumps({"id": "a", "title": "Un titre", "body": "Un corps."}) + "\n"
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(line)
    else:
        path.write_text(line if kind == "bulk" else "Un titre de page\n\nUn corps de page.", encoding="utf-8")
    files, _, _ = walk_sources(tmp_path)
    assert [(f.rel, f.kind) for f in files] == [(name, kind)]
