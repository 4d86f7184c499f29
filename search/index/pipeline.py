"""Documents analysed in worker processes while the writer adds the ones already analysed.

Enters: a ``PresseWriter``, the articles to write (in order) and the number of spare cores.
Leaves: every article added to the writer in the same order and with the same postings, stored
values and columns as ``writer.add_document(**to_document(article))`` would give; an article
``to_document`` refuses is passed to ``on_skip`` with its reason, as in the one-process path.

Turning text into postings (tokenising, stemming, encoding positions) is half of the time of
adding a document, and it needs nothing of the segment being written: worker processes do it
for batches of articles, a few batches ahead, while this process pools the postings and writes
the stored fields.  A worker that dies (killed, out of memory) costs only speed: its batches
and the following ones are analysed here instead.
"""

from __future__ import annotations

import collections
import os
import pickle
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
import multiprocessing

from search.index import documents
from search.streams import batched

#: Fewer articles than this are analysed in this process (starting a worker costs about a second).
WORKER_MIN_DOCS = 2000
#: Articles per batch sent to a worker, and batches in flight per worker.
BATCH = 64
AHEAD = 4
#: Most analysis workers (the writer itself keeps one core busy).
MAX_WORKERS = 3

_schema = None  # the schema, in a worker process


def spare_cores() -> int:
    """Return the cores this process may use beyond its own (0 on a one-core machine)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(0, n - 1)


def analyse(schema, fields: dict, memo: dict | None = None) -> dict[str, list]:
    """Return the postings ``(term bytes, freq, weight, value)`` of each indexed field of a document."""
    from search.index.writer import field_items  # the writer imports this module

    memo = {} if memo is None else memo
    out = {}
    for name, value in fields.items():
        if name.startswith("_") or value is None or name not in schema:
            continue
        field = schema[name]
        if field.indexed:
            out[name] = list(field_items(field, value, memo))
    return out


def _start(schema_bytes: bytes) -> None:
    global _schema
    # Ctrl-C reaches the whole process group: the indexer stops the workers itself, without a
    # traceback from each of them
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _schema = pickle.loads(schema_bytes)


def _analysed(articles: list[dict], schema) -> list[tuple]:
    """Return ``(document, postings by field, None)`` per article (postings only with a schema),
    or ``(None, None, ValueError)`` for an article that cannot be indexed."""
    out = []
    for art in articles:
        try:
            doc = documents.to_document(art)
        except ValueError as exc:
            out.append((None, None, exc))
            continue
        out.append((doc, analyse(schema, doc) if schema is not None else None, None))
    return out


def _ready() -> bool:
    """In a worker process: nothing, once started (its answer says the workers are up)."""
    return True


def _analyse_batch(articles: list[dict]) -> list[tuple]:
    """In a worker process: ``_analysed`` with the schema it was started with."""
    return _analysed(articles, _schema)


def workers_for(procs: int) -> int:
    """Return the analysis workers a run of ``procs`` processes gets: the others than the writer, cores allowing."""
    return max(0, min(procs - 1, spare_cores(), MAX_WORKERS))


def add_all(writer, articles, total: int, on_skip, progress=None, workers: int = 0) -> None:
    """Add ``articles`` (``total`` of them) to ``writer`` in order, analysed by ``workers`` processes when it pays.

    ``on_skip(article, error)`` is called for an article that cannot be indexed (a ValueError).
    """
    schema = writer.schema
    done = 0

    def add(batch, results):
        nonlocal done
        for art, (doc, items, error) in zip(batch, results):
            if doc is None:
                on_skip(art, error)
            elif items is None:
                writer.add_document(**doc)
            else:
                writer.add_analysed(doc, items)
            done += 1
            if progress is not None and done % 200 == 0:
                progress("write", done, total)

    if workers < 1 or total < WORKER_MIN_DOCS or not hasattr(writer, "add_analysed"):
        for batch in batched(articles, BATCH):
            add(batch, _analysed(batch, None))  # the writer analyses each document itself
        return
    context = multiprocessing.get_context("spawn")  # never fork a large indexer that runs threads
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                               initargs=(pickle.dumps(schema),))
    pending: collections.deque = collections.deque()
    broken = False
    # Starting the workers takes a second or two (imports, the schema): meanwhile this process
    # analyses the first batches itself instead of waiting for them.
    started = pool.submit(_ready)
    try:
        for batch in batched(articles, BATCH):
            here = broken or not started.done()
            pending.append((batch, None if here else pool.submit(_analyse_batch, batch)))
            while pending and (broken or pending[0][1] is None or len(pending) >= workers * AHEAD):
                broken = _add_next(pending, add) or broken
        while pending:
            _add_next(pending, add)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _add_next(pending: collections.deque, add) -> bool:
    """Add the oldest batch from its worker's result (analysed here if there is none); True if the pool broke."""
    batch, future = pending.popleft()
    results, broke = None, False
    if future is not None:
        try:
            results = future.result()
        except BrokenProcessPool:
            broke = True
    add(batch, results if results is not None else _analysed(batch, None))
    return broke
