"""Reindex: what the seed index finds, incremental add/update/delete, interruptions, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from click.testing import CliRunner
from whoosh import index as windex
from whoosh.qparser import MultifieldParser, QueryParser

from search.index import documents
from search.extract import files as extract
from search.index import reindex as indexer
from search.index import folder as store
from search.cli import main
from tests.conftest import SEEDS, stored_documents
from tests.query_fixtures import verbatim_iter


def _ids(index_dir, text, fields=("title", "body", "comments")):
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.searcher() as s:
            q = MultifieldParser(list(fields), ix.schema).parse(text)
            return {hit["id"] for hit in s.search(q, limit=None)}
    finally:
        ix.close()


def _all_ids(index_dir):
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.searcher() as s:
            return {d["id"] for d in s.documents()}
    finally:
        ix.close()


# --- the seed index --------------------------------------------------------------------------

@pytest.mark.parametrize("spellings", [
    ("securite", "sécurité", "SÉCURITÉ", "Securité"),
    ("GOÏTA", "Goita", "goïta", "goita"),
    ("cooperation", "coopérations", "COOPÉRATION"),
    ("Mali", "mali", "MALI"),
])
def test_unaccented_upper_case_and_accented_spellings_find_the_same_articles(seed_index, spellings):
    results = [_ids(seed_index, s) for s in spellings]
    assert results[0] and all(r == results[0] for r in results)


def test_avenir_finds_the_article_with_l_avenir_in_its_title(seed_index):
    assert any(i.startswith("002") for i in _ids(seed_index, "avenir", ("title",)))


def test_asymetriques_finds_asymetrique(seed_index):
    assert _ids(seed_index, "asymétriques") == _ids(seed_index, "asymetrique") != set()


def test_word_mal_does_not_match_mali(seed_index):
    assert _ids(seed_index, "mal") != _ids(seed_index, "mali")


def test_seed_index_has_every_seed_with_its_persons(seed_index, seeds_dir):
    assert len(_all_ids(seed_index)) == len(list(seeds_dir.glob("*.txt")))
    ix = windex.open_dir(str(store.live_path(seed_index)))
    try:
        with ix.searcher() as s:
            assert s.doc_count() == 5
            assert (store.live_path(seed_index) / indexer.PERSONS_FILE).is_file()
    finally:
        ix.close()


def test_word_only_in_a_seed_reader_comment_is_found_in_comments_only(seed_index):
    found = _ids(seed_index, "copinage")
    assert len(found) == 1 and next(iter(found)).startswith("000")
    assert _ids(seed_index, "copinage", ("title", "body")) == set()


def test_highlighter_marks_the_accented_word_for_an_unaccented_query(seed_index):
    ix = windex.open_dir(str(store.live_path(seed_index)))
    try:
        with ix.searcher() as s:
            hits = s.search(QueryParser("body", ix.schema).parse("securite"), limit=1)
            assert "sécurité" in hits[0].highlights("body").lower()
    finally:
        ix.close()


def test_exact_copy_holds_whole_words_for_suggestions(seed_index):
    ix = windex.open_dir(str(store.live_path(seed_index)))
    try:
        with ix.searcher() as s:
            words = {w.decode() for w in s.lexicon("body_exact")}
    finally:
        ix.close()
    assert {"cooperation", "militaire"} <= words and "cooper" not in words


# --- controlled articles (extraction replaced by verbatim JSONL records) ---------------------

_verbatim_iter = verbatim_iter


@pytest.fixture
def verbatim(monkeypatch):
    """Make extraction return each JSONL record as the article (and .txt pages as title/body)."""
    monkeypatch.setattr(extract, "iter_file", _verbatim_iter, raising=False)


def _jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def _art(id_, title="Titre", body="Texte.", **kw):
    return {"id": id_, "title": title, "body": body, **kw}


def test_phrase_matches_only_in_order(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("ordre", body="Les forces armées du pays."),
                             _art("verbes", body="Il faut forcer et armer le pays."),
                             _art("inverse", body="Les armées et leurs forces.")])
    indexer.reindex(src, ix, persons=False)
    for field in ("body", "body_exact"):
        assert _ids(ix, '"forces armées"', (field,)) == {"ordre"}


def test_word_only_in_a_reader_comment_is_found_in_comments(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("c", comments=[{"text": "Quel scandale hydrocarbure !"},
                                                 "Une réponse en texte simple"]),
                             _art("d")])
    indexer.reindex(src, ix, persons=False)
    assert _ids(ix, "hydrocarbure") == {"c"}
    assert _ids(ix, "hydrocarbure", ("body",)) == set()
    ix_ = windex.open_dir(str(store.live_path(ix)))
    with ix_.searcher() as s:
        doc = s.document(id="c")
    ix_.close()
    assert doc["comments_count"] == 2 and doc["comments_data"][1]["text"].startswith("Une")


@pytest.mark.parametrize("date, precision, year, month, sort", [
    ("2023-08-02", "day", "2023", "2023-08", 20230802),
    ("2023-08", "month", "2023", "2023-08", 20230800),
    ("2021", "year", "2021", "", 20210000),
    (None, None, "", "", 0),
    ("hier", "day", "", "", 0),
    ("2023-13-01", "day", "2023", "", 20230000),
])
def test_dates_fill_year_month_and_sort_key(date, precision, year, month, sort):
    doc = documents.to_document(_art("x", date=date, date_precision=precision))
    assert (doc["year"], doc["month"], doc["date_sort"]) == (year, month, sort)


def test_estimated_date_is_flagged_in_field_and_column():
    doc = documents.to_document(_art("x", date="2021", date_precision="year", date_estimated=True))
    assert doc["date_estimated"] is True and doc["date_estimated_col"] == b"1"


def test_persons_fill_keyword_column_and_text_fields():
    doc = documents.to_document(_art("x", persons=["Assimi Goïta", "Sadio Camara", "Assimi Goïta"]))
    assert doc["persons"] == "Assimi Goïta,Sadio Camara"  # a comma-separated keyword field
    assert documents.split_persons(doc["persons_col"]) == ["Assimi Goïta", "Sadio Camara"]
    assert doc["persons_text"] == "Assimi Goïta\nSadio Camara"
    assert documents.from_stored(doc)["persons"] == ["Assimi Goïta", "Sadio Camara"]


@pytest.mark.parametrize("value, names", [
    ("Assimi Goïta,Sadio Camara", ["Assimi Goïta", "Sadio Camara"]),  # the stored field
    ("Assimi Goïta\x1fSadio Camara".encode(), ["Assimi Goïta", "Sadio Camara"]),  # the facet column
    (["Assimi Goïta", "Sadio Camara"], ["Assimi Goïta", "Sadio Camara"]),
    ("Assimi Goïta,,", ["Assimi Goïta"]),
    ("", []),
    (b"", []),
    (None, []),
])
def test_stored_persons_are_read_back_from_the_field_the_column_or_a_list(value, names):
    assert documents.split_persons(value) == names


def test_incremental_reindex_adds_updates_and_deletes(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "bulk.jsonl", [_art("a", body="premier"), _art("b", body="second")])
    (src / "page.txt").write_text("Une page\nTexte de page.", "utf-8")
    r = indexer.reindex(src, ix, persons=False)
    assert (r.mode, r.added) == ("full", 3)

    _jsonl(src / "bulk.jsonl", [_art("a", body="premier"), _art("b", body="modifié"),
                                _art("c", body="troisième")])
    (src / "page.txt").unlink()
    r = indexer.reindex(src, ix, persons=False)
    assert (r.mode, r.added, r.updated, r.deleted, r.unchanged) == ("incremental", 1, 1, 1, 1)
    assert _all_ids(ix) == {"a", "b", "c"}
    assert _ids(ix, "modifie") == {"b"} and _ids(ix, "second") == set()


def test_every_commit_saves_the_spelling_vocabulary_of_its_generation(tmp_path, verbatim):
    from search.query import suggest

    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "bulk.jsonl", [_art("a", body="coopération militaire")])
    indexer.reindex(src, ix, persons=False)
    path = store.live_path(ix) / suggest.VOCAB_FILE
    buckets, first = suggest.load_vocabulary(path)
    assert "cooperation" in buckets["c"][0] and first["docs"] == 1

    _jsonl(src / "bulk.jsonl", [_art("a", body="coopération militaire"), _art("b", body="transhumance")])
    assert indexer.reindex(src, ix, persons=False).mode == "incremental"
    buckets, second = suggest.load_vocabulary(path)
    assert "transhumance" in buckets["t"][0] and second["generation"] > first["generation"]


def test_a_vocabulary_that_cannot_be_saved_does_not_fail_the_reindex(tmp_path, verbatim, monkeypatch):
    from search.query import suggest

    def refuse(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(suggest, "stream_vocabulary", refuse)
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "bulk.jsonl", [_art("a", body="coopération")])
    r = indexer.reindex(src, ix, persons=False)
    assert r.added == 1 and not (store.live_path(ix) / suggest.VOCAB_FILE).exists()
    assert _ids(ix, "cooperation") == {"a"}


def test_a_full_reindex_indexes_pairs_of_frequent_words_only(tmp_path, verbatim):
    from search.query.service import SearchService
    from search.query.request import SearchRequest

    src, ix = tmp_path / "src", tmp_path / "ix"
    records = [_art(str(i), body=f"Les forces armées patrouillent, jour {i}.") for i in range(150)]
    records.append(_art("rare", body="Les forces armées et le zébu transhumant."))
    _jsonl(src / "bulk.jsonl", records)
    indexer.reindex(src, ix, persons=False)
    index = windex.open_dir(str(store.live_path(ix)))
    pairs = index.schema["body_pairs"].analyzer
    index.close()
    assert pairs.has_pair("forces", "armees") and not pairs.has_pair("zebu", "transhumant")
    svc = SearchService(ix)
    for q, total in (('"forces armées"', 151), ('"zébu transhumant"', 1), ('"transhumant zébu"', 0)):
        assert svc.search(SearchRequest.from_params({"q": q})).total == total, q


def test_rerun_with_nothing_changed_reads_no_file(tmp_path, verbatim, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "bulk.jsonl", [_art(str(i)) for i in range(20)])
    indexer.reindex(src, ix, persons=False)
    monkeypatch.setattr(indexer, "extract_file", lambda sf, **kw: pytest.fail(f"{sf.rel} re-read"))
    r = indexer.reindex(src, ix, persons=False)
    assert not r.changed and r.unchanged == 20 and "nothing changed" in r.summary()


def test_touched_file_with_same_content_is_not_reextracted(tmp_path, verbatim, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "bulk.jsonl", [_art("a")])
    indexer.reindex(src, ix, persons=False)
    os.utime(src / "bulk.jsonl", ns=(time.time_ns(), time.time_ns() + 10**9))
    monkeypatch.setattr(indexer, "extract_file", lambda sf, **kw: pytest.fail("re-read"))
    assert not indexer.reindex(src, ix, persons=False).changed


def test_same_stem_in_two_folders_gives_two_articles(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    for sub in ("2023", "2024"):
        (src / sub).mkdir(parents=True)
        (src / sub / "article.txt").write_text(f"Titre {sub}\nTexte {sub}.", "utf-8")
    indexer.reindex(src, ix, persons=False)
    ids = _all_ids(ix)
    assert len(ids) == 2 and "article" in ids


def test_skipped_and_ignored_files_are_reported(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "good.txt").write_text("Bon titre\nTexte.", "utf-8")
    (src / "empty.txt").write_text("", "utf-8")
    (src / "orphan.json").write_text("{}", "utf-8")
    (src / "notes.md").write_text("x", "utf-8")
    (src / ".hidden.txt").write_text("x\ny", "utf-8")
    (src / "folder.txt").mkdir()
    r = indexer.reindex(src, ix, persons=False)
    reasons = dict(r.skipped)
    assert r.added == 1 and reasons["empty.txt"] == "empty file" and "orphan.json" in reasons
    assert r.ignored == 2
    assert "empty.txt: empty file" in r.summary()


def test_sidecar_is_part_of_its_page(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "a.txt").write_text("Titre\nTexte.", "utf-8")
    (src / "a.json").write_text('{"url": "http://x"}', "utf-8")
    r = indexer.reindex(src, ix, persons=False)
    assert (r.added, r.skipped) == (1, [])
    (src / "a.json").write_text('{"url": "http://y"}', "utf-8")
    assert indexer.reindex(src, ix, persons=False).files_read == 1


def test_extractor_crash_costs_one_file(tmp_path, verbatim, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "a.txt").write_text("Titre\nTexte.", "utf-8")
    (src / "b.txt").write_text("Titre\nTexte.", "utf-8")
    real = extract.iter_file

    def flaky(path):
        if path.name == "b.txt":
            raise RuntimeError("boom\nsecond line")
        return real(path)
    monkeypatch.setattr(extract, "iter_file", flaky)
    r = indexer.reindex(src, ix, persons=False)
    assert r.added == 1 and dict(r.skipped)["b.txt"] == "extraction failed: RuntimeError: boom second line"


def test_missing_source_folder_is_an_error_and_keeps_the_index(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a")])
    indexer.reindex(src, ix, persons=False)
    with pytest.raises(indexer.SourceError):
        indexer.reindex(tmp_path / "nope", ix, persons=False)
    assert _all_ids(ix) == {"a"}


def test_busy_index_refuses_then_waits(tmp_path, verbatim):
    import threading

    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a")])
    with store.writer_lock(ix):
        with pytest.raises(store.IndexBusy):
            indexer.reindex(src, ix, persons=False)
        result = CliRunner().invoke(main, ["reindex", "--source", str(src), "--index", str(ix),
                                           "--no-persons"])
        assert result.exit_code == 3 and "--wait" in result.output
    lock = store.writer_lock(ix)
    lock.__enter__()
    threading.Timer(0.5, lambda: lock.__exit__(None, None, None)).start()
    assert indexer.reindex(src, ix, persons=False, wait=True).added == 1


def test_schema_change_triggers_a_full_rebuild(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a")])
    indexer.reindex(src, ix, persons=False)
    state_path = store.live_path(ix) / indexer.STATE_FILE
    state = json.loads(state_path.read_text())
    state["meta"]["schema_version"] = -1
    state_path.write_text(json.dumps(state))
    r = indexer.reindex(src, ix, persons=False)
    assert (r.mode, r.full_reason) == ("full", "schema changed")


# --- interruptions -------------------------------------------------------------------------

def test_exception_during_full_reindex_leaves_old_index_serving(tmp_path, verbatim, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art(str(i), body="sécurité") for i in range(10)])
    indexer.reindex(src, ix, persons=False)
    live = store.live_path(ix)
    calls = {"n": 0}
    real = documents.to_document

    def failing(article, persons=None):
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("injected failure")
        return real(article, persons)
    monkeypatch.setattr(documents, "to_document", failing)
    with pytest.raises(indexer.IndexWriteError, match="injected"):
        indexer.reindex(src, ix, persons=False, full=True)
    assert store.live_path(ix) == live and len(_ids(ix, "securite")) == 10
    assert [p.name for p in ix.glob("gen-*")] == [live.name]
    monkeypatch.setattr(documents, "to_document", real)
    assert indexer.reindex(src, ix, persons=False, full=True).added == 10


def test_exception_during_incremental_reindex_changes_nothing(tmp_path, verbatim, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a", body="ancien")])
    indexer.reindex(src, ix, persons=False)
    _jsonl(src / "a.jsonl", [_art("a", body="nouveau"), _art("b")])
    monkeypatch.setattr(documents, "to_document", lambda *a, **k: 1 / 0)
    with pytest.raises(indexer.IndexWriteError):
        indexer.reindex(src, ix, persons=False)
    assert _ids(ix, "ancien") == {"a"} and _all_ids(ix) == {"a"}
    monkeypatch.undo()
    monkeypatch.setattr(extract, "iter_file", _verbatim_iter, raising=False)
    r = indexer.reindex(src, ix, persons=False)
    assert (r.added, r.updated) == (1, 1) and _ids(ix, "nouveau") == {"a"}


_SLOW_RUN = """
import sys, time
from search.index import documents
from search.index import reindex as indexer
real = documents.to_document
def slow(article, persons=None):
    time.sleep(0.02)
    return real(article, persons)
documents.to_document = slow
indexer.reindex(sys.argv[1], sys.argv[2], full=True, persons=False, procs=1)
"""


@pytest.mark.slow
def test_kill_9_during_full_reindex_leaves_old_index_serving(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    for i in range(150):
        (src / f"p{i:03d}.txt").write_text(f"Titre {i}\n\nLa sécurité au Mali, numéro {i}.", "utf-8")
    indexer.reindex(src, ix, persons=False)
    live = store.live_path(ix)
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_SLOW_RUN), str(src), str(ix)])
    try:
        deadline = time.monotonic() + 60
        while len(list(ix.glob("gen-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # well inside the write phase
        assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert store.live_path(ix) == live
    assert len(_ids(ix, "securite")) == 150
    r = indexer.reindex(src, ix, persons=False)
    assert r.mode == "incremental" and not r.changed
    assert [p.name for p in ix.glob("gen-*")] == [live.name]
    assert indexer.reindex(src, ix, persons=False, full=True).added == 150


def test_cli_reindex_prints_the_summary_and_exits_0_with_skipped_files(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "a.txt").write_text("Titre\n\nLa sécurité.", "utf-8")
    (src / "vide.txt").write_text("", "utf-8")
    result = CliRunner().invoke(main, ["reindex", "--source", str(src), "--index", str(ix),
                                       "--no-persons"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "vide.txt" in result.output


def test_cli_reindex_of_a_missing_folder_exits_1(tmp_path):
    result = CliRunner().invoke(main, ["reindex", "--source", str(tmp_path / "x"),
                                       "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1 and "not found" in result.output


def test_index_path_that_is_a_file_is_an_index_write_error(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a")])
    ix.write_text("not a folder")
    with pytest.raises(indexer.IndexWriteError):
        indexer.reindex(src, ix, persons=False)
    result = CliRunner().invoke(main, ["reindex", "--source", str(src), "--index", str(ix),
                                       "--no-persons"])
    assert result.exit_code == 2 and "could not be written" in result.output


def test_progress_writes_log_lines_when_not_a_terminal():
    import io

    out = io.StringIO()
    progress = indexer.make_progress(out)
    progress.interval = 0
    for i in range(3):
        progress("write", i, 2)
    progress.close()
    assert "écriture" in out.getvalue() and "ETA" in out.getvalue()
    assert "\r" not in out.getvalue()


@pytest.fixture
def fake_persons(monkeypatch):
    """Persons from `@Name` words; a lone surname resolves to the only full name in the corpus."""
    from search.persons import ner
    from search.persons import resolve as resolving

    calls = []

    def raw_mentions(articles, *, cache=None, n_process=1):
        calls.append(sorted(a["id"] for a in articles))
        return ner.Mentions({a["id"]: [w[1:].replace("_", " ") for w in a["body"].split() if w.startswith("@")]
                             for a in articles})

    def resolve(raw, runs=None):
        full = {}
        for names in raw.values():
            for n in names:
                if " " in n:
                    full.setdefault(n.split()[-1], set()).add(n)
        by_article = {}
        for aid, names in raw.items():
            out = []
            for n in names:
                cands = full.get(n, set())
                out.append(next(iter(cands)) if " " not in n and len(cands) == 1 else n)
            by_article[aid] = sorted(set(out))
        return resolving.Resolution(by_article=by_article, variants={})

    monkeypatch.setattr(ner, "raw_mentions", raw_mentions)
    monkeypatch.setattr(resolving, "resolve", resolve)
    return calls


def _stored(index_dir, aid):
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.searcher() as s:
            return s.document(id=aid)
    finally:
        ix.close()


def test_incremental_run_reresolves_persons_of_unchanged_articles(tmp_path, verbatim, fake_persons):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a", body="Le ministre @Camara à Bamako.")])
    indexer.reindex(src, ix, persons=True)
    assert _stored(ix, "a")["persons"] == "Camara"
    _jsonl(src / "b.jsonl", [_art("b", body="Le colonel @Sadio_Camara au Mali.")])
    r = indexer.reindex(src, ix, persons=True)
    assert (r.added, r.persons_updated) == (1, 1)
    assert fake_persons[-1] == ["b"]  # NER ran on the new article only
    a = _stored(ix, "a")
    assert a["persons"] == "Sadio Camara" and a["body"] == "Le ministre @Camara à Bamako."
    assert "variants" in json.loads((store.live_path(ix) / indexer.PERSONS_FILE).read_text())


def test_switching_persons_on_rebuilds_everything(tmp_path, verbatim, fake_persons):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a", body="@Assimi_Goïta")])
    indexer.reindex(src, ix, persons=False)
    assert _stored(ix, "a")["persons"] == ""
    r = indexer.reindex(src, ix, persons=True)
    assert r.full_reason == "persons enabled" and _stored(ix, "a")["persons"] == "Assimi Goïta"


def test_persons_failure_is_a_warning_not_a_failed_run(tmp_path, verbatim, monkeypatch):
    from search.persons import ner

    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a")])
    monkeypatch.setattr(ner, "raw_mentions", lambda *a, **k: 1 / 0)
    r = indexer.reindex(src, ix, persons=True)
    assert r.added == 1 and "persons not extracted" in r.summary()


def test_progress_draws_a_bar_with_rate_and_eta_on_a_terminal():
    import io

    from search.index.progress import Progress

    out = io.StringIO()
    progress = Progress(out, tty=True, interval=0)
    progress("extract", 5, 10)
    progress("extract", 10, 10)
    progress.close()
    text = out.getvalue()
    assert "\r" in text and "[" in text and "/s" in text and "ETA" in text and text.endswith("\n")


def test_undecodable_file_name_is_indexed_under_a_printable_path(tmp_path, verbatim):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (src / name).write_text("Titre\nTexte sur la sécurité.", "utf-8")
    r = indexer.reindex(src, ix, persons=False)
    (aid,) = _all_ids(ix)
    assert r.added == 1 and _stored(ix, aid)["path"] == "caf\ufffd.txt"
    assert not indexer.reindex(src, ix, persons=False).changed


def test_skipped_file_is_reported_again_without_being_reread(tmp_path, verbatim, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "good.txt").write_text("Titre\nTexte.", "utf-8")
    (src / "empty.txt").write_text("", "utf-8")
    indexer.reindex(src, ix, persons=False)
    monkeypatch.setattr(indexer, "extract_file", lambda sf, **kw: pytest.fail(f"{sf.rel} re-read"))
    r = indexer.reindex(src, ix, persons=False)
    assert r.skipped == [("empty.txt", "empty file")] and not r.changed
    monkeypatch.undo()
    monkeypatch.setattr(extract, "iter_file", _verbatim_iter, raising=False)
    (src / "empty.txt").write_text("Plus vide\nTexte.", "utf-8")
    r = indexer.reindex(src, ix, persons=False)
    assert (r.added, r.skipped) == (1, [])


def test_index_folder_inside_the_source_is_not_indexed(tmp_path, verbatim):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Titre\nTexte.", "utf-8")
    indexer.reindex(src, src / "index", persons=False)
    r = indexer.reindex(src, src / "index", persons=False, full=True)
    assert (r.added, r.skipped, r.ignored) == (1, [], 0)


def test_edited_person_rules_apply_to_unchanged_articles(tmp_path, verbatim, fake_persons, monkeypatch):
    from search.persons import ner

    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("a", body="@Barkhane et @Sadio_Camara"), _art("b", body="rien")])
    indexer.reindex(src, ix, persons=True)
    assert documents.split_persons(_stored(ix, "a")["persons"]) == ["Barkhane", "Sadio Camara"]
    real = ner.raw_mentions

    def without_barkhane(articles, **kw):  # as if "Barkhane" had been added to non_persons.txt
        return ner.Mentions({k: [m for m in v if m != "Barkhane"] for k, v in real(articles, **kw).items()})
    monkeypatch.setattr(ner, "raw_mentions", without_barkhane)
    assert not indexer.reindex(src, ix, persons=True).changed  # rules unchanged: nothing re-read
    monkeypatch.setattr("search.index.state.persons_data_fingerprint", lambda: "edited")
    r = indexer.reindex(src, ix, persons=True)
    assert fake_persons[-1] == ["a", "b"] and r.persons_updated == 1
    assert _stored(ix, "a")["persons"] == "Sadio Camara"


# --- duplicate ids: one rule whichever run saw the files first ---------------------------------

def _paths(index_dir) -> dict[str, str]:
    return {aid: fields["path"] for aid, fields in stored_documents(index_dir).items()}


_CLAIMANTS = {  # four files claiming the ids "p" and "q"
    "p.txt": None,
    "sub/p.txt": None,
    "bulk.jsonl": [_art("p", body="Un enregistrement nommé p."), _art("q", body="Un q.")],
    "autre.jsonl": [_art("q", body="Un autre q.")],
}


def _add(src, rel):
    path = src / rel
    if _CLAIMANTS[rel] is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Page {rel}\nLe texte de la page {rel}.", "utf-8")
    else:
        _jsonl(path, _CLAIMANTS[rel])


@pytest.mark.parametrize("order", [
    ["p.txt", "bulk.jsonl", "autre.jsonl", "sub/p.txt"],
    ["bulk.jsonl", "p.txt", "sub/p.txt", "autre.jsonl"],
    ["sub/p.txt", "bulk.jsonl", "p.txt", "autre.jsonl"],
    ["bulk.jsonl", "autre.jsonl", "sub/p.txt", "p.txt"],
], ids=["page-first", "bulk-first", "subfolder-first", "pages-last"])
def test_incremental_runs_give_every_article_the_id_a_full_rebuild_gives(tmp_path, verbatim, order):
    src = tmp_path / "src"
    src.mkdir()
    for rel in order:  # one run per new file
        _add(src, rel)
        indexer.reindex(src, tmp_path / "ix", persons=False)
    full = indexer.reindex(src, tmp_path / "fresh", persons=False)
    assert full.mode == "full" and len(_paths(tmp_path / "fresh")) == 5
    assert _paths(tmp_path / "ix") == _paths(tmp_path / "fresh")
    ids = _paths(tmp_path / "fresh")
    assert ids["p"] == "p.txt" and ids["q"] == "autre.jsonl"  # a page wins, then walk order
    assert sorted(ids.values()) == sorted(["p.txt", "sub/p.txt", "bulk.jsonl", "bulk.jsonl", "autre.jsonl"])


def test_a_bulk_record_never_takes_over_a_page_s_id_on_a_full_rebuild(tmp_path):
    from search.query.service import SearchService

    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "page0001.txt").write_text("La vraie page\n\nLe texte de la vraie page sur la sécurité.", "utf-8")
    _jsonl(src / "a-lot.jsonl", [{"id": "page0001", "title": "Un intrus", "body": "Un autre texte.",
                                  "url": "https://example.org/intrus"}])
    for full in (False, True, True):
        indexer.reindex(src, ix, persons=False, full=full)
        art = SearchService(ix).article("page0001")
        assert art["path"] == "page0001.txt" and art["url"] != "https://example.org/intrus"


def test_an_id_freed_by_a_deleted_page_goes_back_to_the_bulk_record(tmp_path, verbatim, fake_persons):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "p.txt").write_text("Page p\nTexte.", "utf-8")
    _jsonl(src / "bulk.jsonl", [_art("p", body="Le colonel @Sadio_Camara au Mali.")])
    indexer.reindex(src, ix, persons=True)
    (suffixed,) = set(_paths(ix)) - {"p"}
    (src / "p.txt").unlink()
    r = indexer.reindex(src, ix, persons=True)
    assert (r.renamed, r.deleted, r.added) == (1, 1, 0) and "1 renamed" in r.summary()
    assert _paths(ix) == {"p": "bulk.jsonl"}
    doc = _stored(ix, "p")
    assert doc["body"] == "Le colonel @Sadio_Camara au Mali." and doc["persons"] == "Sadio Camara"
    assert indexer.reindex(src, ix, persons=True).changed is False
    indexer.reindex(src, tmp_path / "fresh", persons=True)
    assert _paths(tmp_path / "fresh") == _paths(ix) and suffixed.startswith("p~")


@pytest.mark.parametrize("duplicates, reason", [(True, "duplicate-id rule changed"), (False, None)])
def test_a_state_without_base_ids_is_rebuilt_once_only_when_it_holds_suffixed_ids(tmp_path, verbatim,
                                                                                 duplicates, reason):
    src, ix = tmp_path / "src", tmp_path / "ix"
    for sub in ("2023", "2024") if duplicates else ("2023",):
        (src / sub).mkdir(parents=True)
        (src / sub / "article.txt").write_text(f"Titre {sub}\nTexte {sub}.", "utf-8")
    indexer.reindex(src, ix, persons=False)
    path = store.live_path(ix) / indexer.STATE_FILE
    state = json.loads(path.read_text())
    state["meta"].pop("ids", None)  # as written before the rule stored base ids
    for entry in state["files"].values():
        for info in entry["articles"].values():
            info.pop("b", None)
    path.write_text(json.dumps(state))
    r = indexer.reindex(src, ix, persons=False)
    assert r.full_reason == reason and not (reason is None and r.changed)


# --- scale and segments ----------------------------------------------------------------------

def test_scanning_one_folder_of_many_files_takes_linear_time(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for n in range(6000):
        (src / f"p{n:05d}.txt").write_text("Titre\nTexte.", "utf-8")
        if n % 10 == 0:
            (src / f"p{n:05d}.json").write_text("{}", "utf-8")
    t0 = time.monotonic()
    files, ignored, skipped = indexer.walk_sources(src)
    elapsed = time.monotonic() - t0
    assert (len(files), ignored, skipped) == (6000, 0, [])
    assert sum(1 for f in files if f.sidecar) == 600
    # a scan of every name per file took 8 s here; a linear one takes a tenth of a second
    assert elapsed < 3, f"{elapsed:.1f} s to scan 6,000 files"


def _segments(index_dir) -> tuple[int, int, int]:
    """Return (segments, documents, deleted documents) of the live index."""
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        segs = ix._segments()
        return len(segs), ix.doc_count(), sum(s.deleted_count() for s in segs)
    finally:
        ix.close()


def test_incremental_runs_keep_few_segments_and_few_deleted_documents(tmp_path, verbatim):
    from search.query.service import SearchService
    from search.query.request import SearchRequest

    src, ix = tmp_path / "src", tmp_path / "ix"
    for f in range(20):
        _jsonl(src / f"lot{f:02d}.jsonl", [_art(f"{f}-{i}", body=f"Texte numéro {i} du lot {f}.")
                                           for i in range(20)])
    indexer.reindex(src, ix, persons=False)
    svc = SearchService(ix, check_interval=0)  # a reader open across every commit and merge
    assert svc.search(SearchRequest.from_params({"q": "texte"})).total == 400
    words = ["baobab", "karité", "fleuve", "harmattan", "hivernage", "marigot", "savane", "sahel",
             "tamarin", "zébu", "pirogue", "griot"]
    for run, word in enumerate(words):  # each run rewrites 5 % of the articles
        _jsonl(src / f"lot{run:02d}.jsonl", [_art(f"{run}-{i}", body=f"Texte révisé {word} numéro {i}.")
                                             for i in range(20)])
        r = indexer.reindex(src, ix, persons=False)
        assert r.updated == 20
        segments, docs, deleted = _segments(ix)
        assert docs == 400 and segments <= indexer.MAX_SEGMENTS, (run, segments)
        assert deleted <= indexer.MAX_DELETED * (docs + deleted), (run, deleted)
        assert svc.search(SearchRequest.from_params({"q": "texte"})).total == 400
        assert svc.search(SearchRequest.from_params({"q": word})).total == 20
        assert svc.search(SearchRequest.from_params({"q": "revise"})).total == 20 * (run + 1)


def _postings(index_dir):
    """Return every term's postings (ids, weights, values) and every field length, by field."""
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.reader() as r:
            postings = {}
            for fieldname, text in r.all_terms():
                m = r.postings(fieldname, text)
                rows = []
                while m.is_active():
                    # the block statistics too: Whoosh's top-k pruning reads them
                    # an inlined posting (search.index.codec.INLINE_LIMIT) says '' for no value, a block None
                    # and an inlined term's block maximum is its weights' (float32), a block's the
                    # unrounded float: equal to 6 digits
                    rows.append((m.id(), m.weight(), m.value() or None, m.block_min_length(),
                                 m.block_max_length(), round(m.block_max_weight(), 6)))
                    m.next()
                postings[(fieldname, text)] = rows
            lengths = {f: [r.doc_field_length(d, f) for d in range(r.doc_count_all())]
                       for f in ix.schema.scorable_names()}
            codecs = {type(seg.codec()).__name__ for seg in ix._segments()}
            return postings, lengths, codecs
    finally:
        ix.close()


def test_the_write_codec_writes_the_same_postings_as_whoosh_and_names_the_stock_codec(tmp_path, monkeypatch):
    indexer.reindex(SEEDS, tmp_path / "fast", full=True, persons=False)
    # the stock writer (Whoosh's codec and posting pool), through the same run
    monkeypatch.setattr("search.index.writer.open_writer", lambda ix, progress=None: ix.writer(limitmb=256))
    indexer.reindex(SEEDS, tmp_path / "stock", full=True, persons=False)
    fast, stock = _postings(tmp_path / "fast"), _postings(tmp_path / "stock")
    assert len(fast[0]) > 1000 and fast[0] == stock[0] and fast[1] == stock[1]
    assert fast[2] == stock[2] == {"W3Codec"}  # readers need nothing of search.index.codec


@pytest.mark.parametrize("fieldname, text", [
    ("body", "Le Mali et le Niger : le Mali signe, le Niger attend, le Burkina observe."),
    ("body_exact", "Assimi Goïta reçoit Assimi Goïta ; « Bamako » Bamako bamako."),
    ("body_pairs", "forces armées maliennes et forces armées nigériennes, forces armées"),
    ("title", "Un seul mot"),
    ("body", ""),
])
def test_the_writers_postings_of_a_text_are_whooshs_own_with_positions_past_the_cache(monkeypatch, fieldname, text):
    from search.index import writer as writer_module
    from search.index.schema import build_schema

    field = build_schema()[fieldname]
    # positions from 3 on are encoded afresh each time, those below come from the per-process table
    monkeypatch.setattr(writer_module, "_ONE_POSITION_LIMIT", 3)
    monkeypatch.setattr(writer_module, "_ONE_POSITION", {})
    for _ in range(2):
        ours = writer_module.field_items(field, text, {})
        assert [(t, n, w, v) for t, n, w, v in ours] == [(t, n, w, v) for t, n, w, v in field.index(text)]
    assert all(p < 3 for p in writer_module._ONE_POSITION)


@pytest.mark.parametrize("limit_bytes,shuffled,chunk_bytes", [
    (10**9, False, None),  # all in memory
    (2_000, False, None),  # many runs on disk, merged term by term
    (2_000, True, None),  # postings added out of document order (kept sorted all the same)
    (2_000, False, 1),  # every run read back a term at a time, memory merged a term at a time
    (20_000, True, 3_000),  # chunks of a few terms, their ends falling anywhere
])
def test_the_term_pool_yields_postings_sorted_by_field_term_and_document(tmp_path, monkeypatch, limit_bytes,
                                                                        shuffled, chunk_bytes):
    import random

    from search.index import codec
    from search.index.codec import TermPool

    if chunk_bytes is not None:
        monkeypatch.setattr(codec, "RUN_CHUNK_BYTES", chunk_bytes)
        monkeypatch.setattr(codec, "MEMORY_CHUNK", 2)
    rnd = random.Random(7)
    words = [b"mali", b"bamako", b"sahel", b"x" * 30] + [b"w%d" % n for n in range(60)]
    items = [(rnd.choice(["body", "body_exact", "title"]), rnd.choice(words),
              doc, float(rnd.randint(1, 3)), b"v%d" % doc) for doc in range(400) for _ in range(rnd.randint(1, 4))]
    items = list(dict.fromkeys(items))
    if shuffled:
        rnd.shuffle(items)
    pool = TermPool(str(tmp_path), limitmb=1)
    pool.limit = limit_bytes
    for item in items:
        pool.add(item)
    assert (len(pool.runs) > 3) == (limit_bytes < 10**6)
    out = list(pool.iter_postings())
    assert out == sorted(items, key=lambda p: (p[0], p[1], p[2]))
    pool.cleanup()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("key", [b"", b"a", b"\x00\x01mali", "forces armées".encode(), bytes(range(256))])
def test_the_term_table_hash_is_whooshs_md5_hash(key):
    from whoosh.filedb.filetables import md5_hash

    from search.index.codec import _md5_hash

    assert _md5_hash(key) == md5_hash(key)


def test_a_tracked_file_knows_its_position_through_writes_pickles_arrays_and_seeks(tmp_path):
    from array import array

    from whoosh.filedb.structfile import StructFile

    from search.index.codec import _TrackedFile

    raw = open(tmp_path / "f", "wb")
    raw.write(b"head")
    f = StructFile(raw)
    f.file = _TrackedFile(raw)
    for write in (lambda: f.write(b"abc"), lambda: f.write_int(7), lambda: f.write_pickle({"k": [1, 2]}),
                  lambda: f.write_array(array("I", range(1000))), lambda: f.seek(2), lambda: f.write(b"zz"),
                  lambda: f.seek(0, 2)):
        write()
        assert f.tell() == raw.tell()
    end = f.tell()
    f.close()
    assert (tmp_path / "f").stat().st_size == end > 4000


def _index_digest(index_dir) -> str:
    """Return a digest of every posting and stored document of an index (equal indexes, equal digests)."""
    import hashlib

    postings, lengths, _codecs = _postings(index_dir)
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.reader() as r:
            stored = [sorted(fields.items()) for _n, fields in r.iter_docs()]
    finally:
        ix.close()
    return hashlib.sha256(repr((sorted(postings.items()), sorted(lengths.items()), stored)).encode()).hexdigest()


@pytest.mark.parametrize("wait_for_workers", [True, False], ids=["all-in-workers", "first-batches-here"])
def test_documents_analysed_by_a_worker_process_make_the_same_index(tmp_path, monkeypatch, wait_for_workers):
    from search.index import pipeline

    monkeypatch.setattr(pipeline, "WORKER_MIN_DOCS", 1)
    monkeypatch.setattr(pipeline, "BATCH", 2)  # many batches in flight, answered in order
    monkeypatch.setattr(pipeline, "spare_cores", lambda: 1)
    if wait_for_workers:  # else the batches read while the workers start are analysed by the writer
        submit = pipeline.ProcessPoolExecutor.submit

        def started_first(self, fn, *args):
            future = submit(self, fn, *args)
            if fn is pipeline._ready:
                future.result()
            return future

        monkeypatch.setattr(pipeline.ProcessPoolExecutor, "submit", started_first)
    src = tmp_path / "src"
    _jsonl(src / "bulk.jsonl", [_art(f"a{i}", body=f"Texte numéro {i} sur la coopération au Sahel.") for i in range(9)]
           + [{"title": "Sans identifiant ni texte", "url": 7}])
    one = indexer.reindex(src, tmp_path / "one", full=True, persons=False, procs=1)
    two = indexer.reindex(src, tmp_path / "two", full=True, persons=False, procs=2)
    assert (one.procs, two.procs) == (1, 2)
    assert one.total_docs == two.total_docs == 10 and sorted(one.skipped) == sorted(two.skipped)
    assert _index_digest(tmp_path / "one") == _index_digest(tmp_path / "two")


def test_a_worker_process_that_dies_costs_only_speed(tmp_path, monkeypatch):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from search.index import pipeline

    def broken_submit(self, fn, *args):
        future = Future()
        future.set_exception(BrokenProcessPool("a worker was killed"))
        return future

    monkeypatch.setattr(pipeline, "WORKER_MIN_DOCS", 1)
    monkeypatch.setattr(pipeline, "spare_cores", lambda: 1)
    monkeypatch.setattr(pipeline.ProcessPoolExecutor, "submit", broken_submit)
    src = tmp_path / "src"
    _jsonl(src / "bulk.jsonl", [_art(f"a{i}", body=f"Texte {i}.") for i in range(150)])
    r = indexer.reindex(src, tmp_path / "ix", full=True, persons=False, procs=2)
    assert r.total_docs == 150 and len(_ids(tmp_path / "ix", "texte")) == 150
