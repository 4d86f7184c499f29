"""Streaming reindex: the articles of a run wait on disk, the NER reads them batch by batch."""

from __future__ import annotations

import gc
import json
import os
import tracemalloc

import pytest

from search.index import reindex as indexer
from search.index.spool import ArticleSpool, Pending
from search.persons import ner
from search.persons import resolve as resolving
from tests.conftest import stored_documents

BODY = ("Le ministre a reçu les délégations régionales à Bamako pour parler de la saison des pluies, "
        "des routes du nord et de la rentrée scolaire. ") * 60  # about 10 KB of text per article


def _bulk(path, n, persons=lambda i: ""):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"art{i:04d}", "title": f"Dépêche numéro {i}",
                                 "body": f"{persons(i)} {BODY} Numéro {i}.", "date": "2021-03-04"},
                                ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def fake_ner(monkeypatch):
    """Mentions from ``@Name`` words; records each batch and the memory the run holds at that point."""
    seen = {"batches": [], "memory": []}

    def raw_mentions(articles, *, cache=None, n_process=1):
        articles = list(articles)
        seen["batches"].append(len(articles))
        if tracemalloc.is_tracing():
            seen["memory"].append(tracemalloc.get_traced_memory()[0])
        return ner.Mentions({a["id"]: [w[1:].replace("_", " ") for w in a["body"].split() if w.startswith("@")]
                             for a in articles})

    def resolve(raw, runs=None):
        full = {n.split()[-1]: n for names in raw.values() for n in names if " " in n}
        by_article = {aid: sorted({full.get(n, n) for n in names}) for aid, names in raw.items()}
        return resolving.Resolution(by_article=by_article, variants={})

    monkeypatch.setattr(ner, "raw_mentions", raw_mentions)
    monkeypatch.setattr(resolving, "resolve", resolve)
    return seen


def test_the_ner_reads_the_articles_batch_by_batch_and_persons_still_resolve_across_batches(
        tmp_path, fake_ner, monkeypatch):
    monkeypatch.setattr("search.index.personstep.NER_BATCH", 7)
    # the first article names the full name, the last only the surname: resolved across batches
    _bulk(tmp_path / "src" / "a.jsonl", 30,
          lambda i: "@Assimi_Goïta" if i == 0 else ("@Goïta" if i == 29 else ""))
    report = indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=True, procs=1)
    assert report.added == 30 and report.total_docs == 30
    assert fake_ner["batches"] == [7, 7, 7, 7, 2]
    docs = stored_documents(tmp_path / "ix")
    assert docs["art0029"]["persons"] == docs["art0000"]["persons"] == "Assimi Goïta"


@pytest.mark.parametrize("persons", [True, False])
def test_a_bulk_file_is_never_held_whole_in_memory(tmp_path, fake_ner, monkeypatch, persons):
    monkeypatch.setattr("search.index.personstep.NER_BATCH", 10)
    _bulk(tmp_path / "warm" / "a.jsonl", 2)
    indexer.reindex(tmp_path / "warm", tmp_path / "warm-ix", persons=persons, procs=1)  # imports done
    _bulk(tmp_path / "src" / "a.jsonl", 150)  # 150 articles of 10 KB: 1.5 MB of text
    held = []
    real = indexer._group_stories

    def measure_then_group(run):  # after extraction, persons and ids, before any writing
        held.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()  # the writing is Whoosh's own, and slow to trace
        return real(run)

    monkeypatch.setattr(indexer, "_group_stories", measure_then_group)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        report = indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=persons, procs=1)
    finally:
        tracemalloc.stop()
    assert report.total_docs == 150 and len(held) == 1
    # what the run holds is the ids, hashes and state of each article, never the texts
    assert max(held + fake_ner["memory"]) - base < 700_000


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()


@pytest.mark.parametrize("fault", [None, "commit:ENOSPC", "ner:ENOSPC"])
def test_the_spool_is_gone_when_the_run_ends_whatever_the_outcome(tmp_path, fake_ner, monkeypatch, fault):
    _bulk(tmp_path / "src" / "a.jsonl", 12)
    if fault:
        monkeypatch.setenv("PRESSE_FAULT_RAISE", fault)
    before = _open_fds()
    try:
        indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=True, procs=1)
    except indexer.IndexWriteError:
        assert fault
    assert _open_fds() == before
    assert not [p for p in (tmp_path / "ix").rglob("*") if "spool" in p.name]


def test_a_requeued_article_is_read_back_with_the_fields_set_after_spooling(tmp_path):
    spool = ArticleSpool(tmp_path)
    pending = Pending(spool)
    first = spool.append({"id": "a", "title": "Un", "body": "\ud800 seul"})  # a lone surrogate survives
    pending.link("a", first, id="a~1")
    pending["b"] = {"id": "b", "title": "Deux"}
    pending.set_fields("a~1" if "a~1" in pending else "a", persons=["Assimi Goïta"])
    pending["c"] = {"id": "c"}
    pending["b"] = {"id": "b", "title": "Deux, corrigé"}  # queued again: moves to the end
    assert list(pending) == ["a", "c", "b"] and len(pending) == 3
    assert [a["title"] for a in pending.values() if "title" in a] == ["Un", "Deux, corrigé"]
    assert pending["a"] == {"id": "a~1", "title": "Un", "body": "\ud800 seul", "persons": ["Assimi Goïta"]}
    spool.close()


def test_queued_articles_without_persons_share_one_field_set_and_each_read_gets_its_own_copy(tmp_path):
    spool = ArticleSpool(tmp_path)
    pending = Pending(spool)
    for aid in "abc":
        pending[aid] = {"id": aid}
        pending.set_fields(aid, persons=[], persons_dictionary=[])
    pending.set_fields("c", persons=["Assimi Goïta"])
    assert pending._fields["a"] is pending._fields["b"] and pending._fields["c"] is not pending._fields["a"]
    read = pending["a"]
    read["persons"].append("changed by a reader")
    assert pending["b"] == {"id": "b", "persons": [], "persons_dictionary": []}
    assert pending["c"] == {"id": "c", "persons": ["Assimi Goïta"], "persons_dictionary": []}
    spool.close()


@pytest.mark.parametrize("persons", [False, True])
def test_articles_without_names_share_one_empty_list_that_no_run_fills(tmp_path, fake_ner, persons):
    from search.index.state import NO_NAMES

    _bulk(tmp_path / "src" / "a.jsonl", 6, lambda i: "@Assimi_Goïta" if i % 2 else "personne ici")
    for _ in range(2):  # a full run, then an incremental one reading the state back
        indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=persons, procs=1)
    assert NO_NAMES == []
    stored = stored_documents(tmp_path / "ix")
    expected = {f"art{i:04d}": "Assimi Goïta" if persons and i % 2 else "" for i in range(6)}
    assert {aid: doc.get("persons", "") for aid, doc in stored.items()} == expected


def test_the_word_hashes_of_the_stories_step_are_let_go_before_the_write(tmp_path, monkeypatch):
    from search.index import writer
    from search.stories import shingles

    _bulk(tmp_path / "src" / "a.jsonl", 4)
    held = []
    real = writer._write_full
    monkeypatch.setattr(indexer, "_write_full", lambda *a, **k: held.append(len(shingles._WORD_HASHES)) or real(*a, **k))
    indexer.reindex(tmp_path / "src", tmp_path / "ix", full=True, persons=False, procs=1)
    assert held == [0] and len(stored_documents(tmp_path / "ix")) == 4


def _live_story_indexes() -> int:
    from search.stories import StoryIndex

    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, StoryIndex))


@pytest.mark.parametrize("fault", [None, "commit:ENOSPC", "swap:ENOSPC"])
def test_a_full_run_writes_with_the_story_evidence_on_disk_not_in_memory(tmp_path, monkeypatch, fault):
    from search.index import folder as store
    from search.index import storyfile
    from search.stories import group

    _bulk(tmp_path / "src" / "a.jsonl", 12)
    copies = [{"id": f"copie{i}", "title": "Reprise", "body": BODY + f" Numéro {i}.", "date": "2021-03-05"}
              for i in range(3)]
    with open(tmp_path / "src" / "b.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in copies)
    seen = []
    real = indexer._write_full

    def write_full(*args, stories=None, **kwargs):
        seen.append((stories, sorted(p.name for p in stories.iterdir()), _live_story_indexes()))
        return real(*args, stories=stories, **kwargs)

    monkeypatch.setattr(indexer, "_write_full", write_full)
    if fault:
        monkeypatch.setenv("PRESSE_FAULT_RAISE", fault)
    try:
        indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=False, full=True)
    except indexer.IndexWriteError:
        assert fault
    (staged, names, alive), = seen
    assert names == [storyfile.STORIES_DIR, storyfile.STORIES_FILE]
    assert alive == 0  # the grouping was dropped before the write began
    assert not staged.exists()  # installed, or removed with the failed generation
    assert not list((tmp_path / "ix").glob(f"{store.STAGED_PREFIX}*"))
    if fault:
        assert store.live_path(tmp_path / "ix") is None
        return
    live = store.live_path(tmp_path / "ix")
    articles = [json.loads(line) for name in ("a.jsonl", "b.jsonl")
                for line in (tmp_path / "src" / name).read_text(encoding="utf-8").splitlines()]
    expected = {}
    for aid, story in group(articles).items():
        expected.setdefault(story, []).append(aid)
    assert {k: sorted(v) for k, v in storyfile.read_groups(live).items()} == \
        {k: sorted(v) for k, v in expected.items() if len(v) > 1}
    assert storyfile.load_or_new(live).assignments() == group(articles)


def test_a_staged_grouping_left_by_a_crashed_run_goes_with_the_next_run(tmp_path):
    from search.index import folder as store

    _bulk(tmp_path / "src" / "a.jsonl", 3)
    indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=False)
    left = tmp_path / "ix" / f"{store.STAGED_PREFIX}stories-dead"
    (left / "stories").mkdir(parents=True)
    indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=False)
    assert not left.exists()


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), MemoryError()], ids=["disk-full", "memory"])
def test_a_grouping_that_cannot_be_staged_costs_the_stories_not_the_run(tmp_path, monkeypatch, error):
    from search.index import folder as store
    from search.index import storyfile

    def fail(folder, index):
        raise error

    monkeypatch.setattr(storyfile, "stage", fail)
    _bulk(tmp_path / "src" / "a.jsonl", 5)
    report = indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=False, full=True)
    assert report.total_docs == 5 and len(stored_documents(tmp_path / "ix")) == 5
    assert any(w.startswith("stories not saved") for w in report.warnings)
    assert storyfile.read_groups(store.live_path(tmp_path / "ix")) == {}


def test_a_name_met_in_many_articles_is_held_once_in_the_run_state_and_once_when_read_back(tmp_path, fake_ner):
    _bulk(tmp_path / "src" / "a.jsonl", 12, lambda i: "@Assimi_Goïta @Choguel_Maïga")
    indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=True, procs=1)
    state = indexer.load_state(indexer.store.live_path(tmp_path / "ix"))
    infos = [info for entry in state["files"].values() for info in entry["articles"].values()]
    assert len(infos) == 12
    for key in ("m", "p"):
        firsts = {id(info[key][0]) for info in infos}
        assert len(firsts) == 1 and infos[0][key][0] in {"Assimi Goïta", "Choguel Maïga"}


@pytest.mark.parametrize("names, expected", [
    (["Amadou Touré", "Amadou Touré"], ["Amadou Touré", "Amadou Touré"]),
    ([], []),
    ([3, None], ["3", "None"]),  # a damaged state file: strings, as the readers expect
])
def test_interned_names_are_equal_strings(names, expected):
    from search.index.state import interned

    out = interned(names)
    assert out == expected and all(type(n) is str for n in out)
    if len(out) == 2 and out[0] == out[1]:
        assert out[0] is out[1]


def test_the_indexer_lets_the_ner_pipeline_go_once_the_persons_step_is_done(tmp_path, fake_ner, monkeypatch):
    monkeypatch.setattr(ner, "_NLP", object())  # a pipeline loaded by the persons step
    _bulk(tmp_path / "src" / "a.jsonl", 3, lambda i: "@Assimi_Goïta")
    report = indexer.reindex(tmp_path / "src", tmp_path / "ix", persons=True, procs=1)
    assert report.added == 3 and ner._NLP is None
