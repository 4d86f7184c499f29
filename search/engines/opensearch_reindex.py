"""Reindexing into OpenSearch: the Whoosh reindex's own steps, then a full or an incremental write by id.

A run from a source folder takes the steps of ``search.index.reindex`` in their order, on the same
``_Run``: scan and fingerprint the files, extract the changed ones into the spool, give ids over
the whole corpus and compare article by article against the state, NER and corpus-wide person
resolution, stories. The live index stands in for Whoosh's where a step reads stored articles
(``opensearch_state.StoredArticles``), and the state is the cluster's (``opensearch_state``), so
both engines decide the same way what to read, what changed, which articles' persons moved and
when a full rebuild is due (no state, another schema, analysis, id rule, persons setting or
OpenSearch mapping, or ``--full``).

* **Full**: every article is written into a new index ``<alias>-<time>``, with its vocabulary
  and its state beside it, and only then the alias moves, in one ``_aliases`` call; any failure
  drops the new indexes, and the previous one keeps serving.
* **Incremental**: the ids about to be touched are first marked uncertain in the state; then one
  stream of bulk requests indexes the new and changed articles, rewrites those whose persons
  changed, updates the story fields of those whose story changed, and deletes those whose file
  is gone; the vocabulary's counts move by the terms of the documents replaced and written (counted
  again over the whole index when the last run left uncertain ids) and are written under the run's
  token; the mapping's ``_meta`` stamp moves (searchers see the change), and last the state. A
  bulk item that fails is named in the summary and stays uncertain, so the next run writes it again.

Every run holds the alias's lock (``opensearch_lock``) from before it reads the state until its
last write, so two runs into one alias, from one machine or two, never interleave; the lock is
checked again right before publishing (the alias move, an incremental run's uncertain ids and its
state). ``procs`` is, as on Whoosh, the processes of the persons step, and here also the bulk
requests in flight at once (the cluster analyses the documents, as Whoosh's workers do).

The summary is Whoosh's ``ReindexReport``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from search.engines import opensearch_index as osi
from search.engines import opensearch_lock as lk
from search.engines import opensearch_state as st
from search.index import documents
from search.index.reindex import ReindexReport, SourceError, _Run, _run_state, prepare_write
from search.index.sources import _one_line, _printable
from search.index.spool import ArticleSpool, Pending
from search.index.state import _full_reason

BULK_SIZE = 500


@dataclass
class _OpenSearchRun(_Run):
    """A reindex run's state (``search.index.reindex._Run``) and what writing into OpenSearch adds to it."""

    target: str | None = None  # the index behind the alias (None for a first run)
    stories_folder: Path | None = None  # where this machine keeps the story evidence
    failed: dict[str, str] = field(default_factory=dict)  # id → why its bulk item failed
    repaired: bool = False  # the last run left uncertain ids: its vocabulary may not match the index
    lock: lk.AliasLock | None = None  # the alias's lock, held for the whole run


def new_token() -> str:
    """Return a fresh run token (names the state, vocabulary and stamp one run writes)."""
    return uuid.uuid4().hex[:16]


def index_name(alias: str) -> str:
    """Return the name of a new index for ``alias`` (time-stamped, unique to the millisecond)."""
    return f"{alias}-{time.strftime('%Y%m%d-%H%M%S')}-{int(time.time() * 1000) % 1000:03d}"


def drop(client: osi.Client, index: str) -> None:
    """Delete an article index and the vocabulary and state indexes beside it (absent ones are no error)."""
    for name in (index, osi.vocabulary_index(index), st.state_index(index)):
        client.request("DELETE", f"/{name}", ok=(200, 404))


def publish(engine, batches, report: dict, progress, total: int, state: dict | None = None, *,
            lock: lk.AliasLock | None = None, procs: int = 1) -> str:
    """Write the ``(op, id, source)`` batches into a new index with its vocabulary (and ``state``), then move the alias.

    Every failed article is named in ``report["failed"]``, and then nothing is published: the
    new indexes are dropped and the previous index keeps serving; so too when ``lock`` was taken
    over meanwhile. ``procs`` bulk requests are in flight at once. Return the new index's name.
    """
    client, name, token = engine.client, index_name(engine.alias), new_token()
    client.request("PUT", f"/{name}", osi.index_body(engine.shards, engine.replicas))
    try:
        df, done = None, 0
        with closing(_sent(batches, lambda batch: osi.bulk_actions(client, name, batch), procs)) as sent:
            for batch, failed in sent:
                report["failed"].update(failed)
                df = osi.vocabulary((src for _op, _id, src in batch), df)
                done += len(batch)
                progress("write", done, total)
        if report["failed"]:
            raise osi.OpenSearchError(f"{len(report['failed'])} article(s) not written: "
                                      + ", ".join(sorted(report["failed"])[:5]))
        client.request("POST", f"/{name}/_refresh")
        osi.write_vocabulary(client, name, df or osi.vocabulary(()), engine.shards, engine.replicas, token=token)
        if state is not None:
            state["meta"]["vocabulary"] = token  # the vocabulary that matches the index this state describes
            st.create(client, name, engine.shards, engine.replicas)
            st.save(client, name, state, token, ())
        st.write_stamp(client, name, token)
        if lock is not None:
            lock.check()  # a run that took the lock over while this one stalled publishes instead
        old = engine._alias_targets()
        actions = [{"remove": {"index": i, "alias": engine.alias}} for i in old]
        actions.append({"add": {"index": name, "alias": engine.alias}})
        client.request("POST", "/_aliases", {"actions": actions})
    except BaseException:
        drop(client, name)  # never a partial index behind the alias: the previous one keeps serving
        raise
    for i in old:
        drop(client, i)
    if state is not None:
        state["token"] = token
    return name


def _sent(batches, send, procs: int = 1):
    """Yield ``(batch, send(batch))`` in order, with up to ``procs`` calls of ``send`` under way at once.

    The batches are read here, in the caller's thread, while the requests run in threads. Closing
    the generator (``contextlib.closing``) waits for the requests under way: none writes after
    the caller has given up (a bulk request into a dropped index would create it again).
    """
    if procs <= 1:
        for batch in batches:
            yield batch, send(batch)
        return
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=procs, thread_name_prefix="presse-bulk") as pool:
        try:
            for batch in batches:
                pending.append((batch, pool.submit(send, batch)))
                if len(pending) >= procs:
                    batch, future = pending.popleft()
                    yield batch, future.result()
            while pending:
                batch, future = pending.popleft()
                yield batch, future.result()
        finally:
            for _batch, future in pending:
                future.cancel()


def _batches(items, size: int | None = None):
    size = size or BULK_SIZE  # read at each call: a test makes the requests small
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- article dicts given


def reindex_articles(engine, articles: list[dict], persons: bool, progress, ner_cache=None, *,
                     wait: bool = False, notify=None) -> dict:
    """Index the given article dicts into a new index and move the alias (no state: the next run is full).

    Holds the alias's lock; raises ``opensearch_lock.AliasBusy`` when another run holds it (unless ``wait``).
    """
    with lk.hold(engine.client, engine.alias, wait=wait, notify=notify) as lock:
        return _reindex_articles(engine, articles, persons, progress, ner_cache, lock)


def _reindex_articles(engine, articles: list[dict], persons: bool, progress, ner_cache, lock) -> dict:
    t0 = time.monotonic()
    report = {"engine": engine.name, "articles": 0, "failed": {}, "skipped": [], "timings": {}}
    articles = [dict(a) for a in articles]
    if persons:
        from search.persons import ner
        from search.persons.resolve import annotate

        cache = ner.NerCache(Path(ner_cache)) if ner_cache else None
        try:
            annotate(articles, cache=cache)
        finally:
            if cache is not None:
                cache.close()
    from search.stories import group

    stories = group(articles)
    sizes = Counter(stories.values())
    actions = []
    for art in articles:
        try:
            story = stories.get(art.get("id"))
            actions.append(("index", art["id"], osi.to_source(art, story, sizes.get(story, 1))))
        except (ValueError, KeyError) as exc:  # one bad record costs that record, as in the Whoosh index
            report["skipped"].append((f"{art.get('path') or '?'}:{art.get('id') or '?'}", f"not indexed: {exc}"))
    report["index"] = publish(engine, _batches(actions), report, progress, len(actions), lock=lock)
    report["articles"] = len(actions)
    report["timings"]["total"] = time.monotonic() - t0
    return report


# --------------------------------------------------------------------------- a source folder


def reindex_source(engine, source, index_dir=None, *, full: bool = False, persons: bool = True,
                   progress=None, procs: int | None = 1, follow_external_links: bool = False,
                   wait: bool = False, notify=None) -> dict:
    """Bring the index behind the alias up to date with ``source``: incremental by id, or full; return the summary.

    ``index_dir`` is this machine's folder for the NER cache and the story evidence (a temporary
    one when None: correct, only slower). ``procs``: processes of the persons step and bulk
    requests in flight (None: as on Whoosh, the cores, at most 2). Raises ``SourceError`` when the
    source is missing, ``opensearch_lock.AliasBusy`` when another run holds the alias's lock (unless
    ``wait``; ``notify(message)`` hears that the run waits or took over an expired lock), and
    ``OpenSearchError`` when the cluster refuses a write that the run cannot survive.
    """
    source = Path(source)
    progress = progress or (lambda *a, **k: None)
    procs = max(1, int(procs if procs is not None else min(2, os.cpu_count() or 1)))
    if not source.exists():
        raise SourceError(f"source folder not found: {source}")
    t0 = time.monotonic()
    scratch = None
    if index_dir is None:
        index_dir = scratch = Path(tempfile.mkdtemp(prefix="presse-opensearch-"))
    try:
        with lk.hold(engine.client, engine.alias, wait=wait, notify=notify) as lock:
            run = _locked_run(engine, source, Path(index_dir), full, persons, procs, progress,
                              follow_external_links, lock)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    report = run.report
    report.total_docs = len(run.current_ids)
    report.skipped = [(_printable(w), _printable(r)) for w, r in report.skipped]
    report.seconds = time.monotonic() - t0
    return {"engine": engine.name, "report": report, "index": report.generation, "articles": report.total_docs,
            "failed": dict(run.failed), "skipped": report.skipped, "timings": dict(report.timings)}


def _locked_run(engine, source: Path, index_dir: Path, full: bool, persons: bool, procs: int, progress,
                follow_external_links: bool, lock: lk.AliasLock) -> _OpenSearchRun:
    """Run the steps and the write, the alias's lock held; return the run."""
    run, extra_deletes = _open(engine, source, index_dir, full, persons, procs, progress)
    run.lock = lock
    try:
        prepare_write(run, follow_external_links)
        if run.report.mode == "full":
            _write_full(engine, run)
        else:
            _write_incremental(engine, run, extra_deletes)
    finally:
        run.spool.close()
    return run


def _open(engine, source: Path, index_dir: Path, full: bool, persons: bool, procs: int, progress):
    """Read the live index's state and decide the mode; return the run and the ids to delete without a state."""
    report = ReindexReport(source=str(source), procs=procs)
    targets = engine._alias_targets()
    target = targets[0] if len(targets) == 1 else None
    state, uncertain = st.load(engine.client, target) if target else (None, [])
    reason = _full_reason(Path(target) if target else None, state, persons, full)
    if len(targets) > 1:
        reason = "the alias names several indexes"
    elif reason is None and state["meta"].get("opensearch") != st.opensearch_fingerprint(engine.shards):
        reason = "OpenSearch mapping changed"
    extra_deletes: set[str] = set()
    if reason is not None:
        report.mode, report.full_reason, state = "full", reason, None
    else:
        extra_deletes = st.repair(state, uncertain)
    folder = st.stories_dir(index_dir, engine.alias)
    live = st.load_stories(folder, state.get("token")) if state else None
    spool = ArticleSpool(index_dir)
    run = _OpenSearchRun(source, index_dir, persons, procs, progress, report, live,
                         st.StoredArticles(engine.client, target) if state else None, state,
                         old_files=state["files"] if state else {},
                         old_skipped=(state.get("skipped") or {}) if state else {},
                         spool=spool, to_write=Pending(spool), target=target, stories_folder=folder,
                         repaired=bool(uncertain))
    return run, extra_deletes


def _stories(run: _OpenSearchRun) -> dict[str, tuple[str, int]]:
    """Return id → (story, story size) of the grouped articles (an article alone is its own story of 1).

    When the stories step failed, the articles kept their last run's stories (as Whoosh keeps its
    last grouping) and new ones are alone.
    """
    if run.stories is None:
        return {aid: (info["s"], info["n"]) for aid, (_rel, info) in run.old_articles.items() if "s" in info}
    assign = run.stories.assignments()
    sizes = Counter(assign.values())
    return {aid: (story, sizes[story]) for aid, story in assign.items() if sizes[story] > 1}


def _record_stories(run: _OpenSearchRun, stories: dict[str, tuple[str, int]]) -> None:
    """Keep in the state each grouped article's story and story size (what its document holds)."""
    for entry in run.new_files.values():
        for aid, info in entry["articles"].items():
            info.pop("s", None)
            info.pop("n", None)
            if aid in stories:
                info["s"], info["n"] = stories[aid]


def _state_of(run: _OpenSearchRun, engine) -> dict:
    state = _run_state(run)
    state["meta"]["opensearch"] = st.opensearch_fingerprint(engine.shards)
    return state


def _source_or_skip(run: _OpenSearchRun, art: dict, story: str, size: int) -> dict | None:
    """Return the document of an article, or None (named in the summary, as Whoosh does) when it cannot be one."""
    try:
        return osi.to_source(art, story, size)
    except ValueError as exc:
        run.report.skipped.append((f"{art.get('path') or '?'}:{art.get('id') or '?'}",
                                   f"not indexed: {_one_line(exc)}"))
        return None


def _write_full(engine, run: _OpenSearchRun) -> None:
    """Write every article into a new index with its vocabulary and state, then move the alias."""
    t_phase = time.monotonic()
    stories = _stories(run)

    def actions():
        for aid, art in run.to_write.items():
            src = _source_or_skip(run, art, *stories.get(aid, (aid, 1)))
            if src is not None:
                yield "index", aid, src

    _record_stories(run, stories)
    state = _state_of(run, engine)
    summary = {"failed": {}}
    total = len(run.to_write)
    try:
        run.report.generation = publish(engine, _batches(actions()), summary, run.progress, total, state,
                                        lock=run.lock, procs=run.procs)
    finally:
        run.failed = summary["failed"]
    if run.stories is not None:
        st.save_stories(run.stories_folder, run.stories, state["token"])
    run.report.timings["write"] = time.monotonic() - t_phase


def _story_updates(run: _OpenSearchRun, stories: dict, rewritten: set[str]) -> dict[str, dict]:
    """Return id → new story fields of the articles kept whose story or story size changed."""
    out = {}
    for entry in run.new_files.values():
        for aid, info in entry["articles"].items():
            if aid in rewritten:
                continue
            story, size = stories.get(aid, (aid, 1))
            if (info.get("s", aid), info.get("n", 1)) != (story, size):
                out[aid] = {"story": story, "story_size": size}
    return out


def _incremental_actions(run: _OpenSearchRun, stories, deletes, updates, stored):
    """Yield the bulk actions of an incremental run: deletes, new and changed articles, persons, stories."""
    for aid in sorted(deletes):
        yield "delete", aid, None
    for aid, art in run.to_write.items():
        src = _source_or_skip(run, art, *stories.get(aid, (aid, 1)))
        if src is not None:
            yield "index", aid, src
    persons = {aid: (info.get("p", []), info.get("pd", [])) for entry in run.new_files.values()
               for aid, info in entry["articles"].items()}
    for batch in _batches(run.persons_changed):
        found = stored.many(batch)
        for aid in batch:
            if aid not in found:
                continue  # not in the index: it was uncertain, and is rewritten from its file
            art = documents.from_stored(found[aid])
            art["persons"], art["persons_dictionary"] = persons[aid]
            src = _source_or_skip(run, art, *stories.get(aid, (aid, 1)))
            if src is not None:
                run.report.persons_updated += 1
                yield "index", aid, src
    for aid, fields in updates.items():
        yield "update", aid, fields


def _write_incremental(engine, run: _OpenSearchRun, extra_deletes: set[str]) -> None:
    """Mark the ids to touch uncertain, write them by id, then the vocabulary, the stamp and the state."""
    t_phase = time.monotonic()
    client, target, report = engine.client, run.target, run.report
    report.generation = target
    stories = _stories(run)
    deletes = set(run.deleted) | (extra_deletes - run.current_ids)
    rewritten = set(run.to_write.keys()) | set(run.persons_changed)
    updates = _story_updates(run, stories, rewritten)
    touched = deletes | rewritten | set(updates)
    old_token = run.state.get("token")
    _record_stories(run, stories)
    moved = run.new_files != run.old_files or run.new_skipped != run.old_skipped
    if not touched and not moved:
        if run.live is None and run.stories is not None:  # the evidence was missing here: kept for next time
            st.save_stories(run.stories_folder, run.stories, old_token)
        report.timings["write"] = time.monotonic() - t_phase
        return
    token = new_token()
    state = _state_of(run, engine)
    state["meta"]["vocabulary"] = run.state["meta"].get("vocabulary")  # still the index's, unless written below
    if touched:
        _check(run)  # the first write into the live index: only while the lock is ours
        st.mark_uncertain(client, target, run.state, touched)
        delta = _write_by_id(run, client, target, _incremental_actions(run, stories, deletes, updates, run.ix),
                             len(touched))
        client.request("POST", f"/{target}/_refresh")
        _check(run)  # the articles written stay uncertain; the vocabulary and the stamp wait for the lock
        for aid, why in sorted(run.failed.items()):
            report.skipped.append((aid, f"not written: {why} (written again by the next run)"))
        served = st.read_stamps(client, target).get(target, {}).get("token")  # what searchers read now
        df = None
        if not run.repaired and served and run.state["meta"].get("vocabulary") == served:
            # the vocabulary matched the index before this run: only the written documents' terms change
            df = osi.read_vocabulary(client, target, served)
        df = osi.add_counts(df, delta) if df is not None else osi.vocabulary(
            run.ix.all_stored_fields(osi.VOCABULARY_SOURCE))
        osi.write_vocabulary(client, target, df, engine.shards, engine.replicas, token=token, keep=served)
        st.write_stamp(client, target, token)
        state["meta"]["vocabulary"] = token
    _check(run)  # the state is what the next run trusts: never written by a run that lost the lock
    st.save(client, target, state, token, run.failed)
    if run.stories is not None:
        st.save_stories(run.stories_folder, run.stories, token)
    report.timings["write"] = time.monotonic() - t_phase


def _write_by_id(run: _OpenSearchRun, client, target: str, actions, total: int) -> dict[str, dict[str, int]]:
    """Send the actions in bulk requests; return the vocabulary's change (terms of documents replaced or added).

    The replaced documents' terms are read just before their request; an item that failed changes
    nothing (the index still holds its previous document) and is kept in ``run.failed``.
    """
    delta = {f: {} for f in osi.VOCABULARY_FIELDS}
    done = 0

    def send(batch):  # in a request thread: the batches touch distinct ids, in any order
        replaced = [aid for op, aid, _src in batch if op in ("index", "delete")]
        return replaced, run.ix.many(replaced, osi.VOCABULARY_SOURCE), osi.bulk_actions(client, target, batch)

    with closing(_sent(_batches(actions), send, run.procs)) as sent:
        for batch, (replaced, before, failed) in sent:
            run.failed.update(failed)
            osi.vocabulary((before[aid] for aid in replaced if aid in before and aid not in failed), delta, sign=-1)
            osi.vocabulary((src for op, aid, src in batch if op == "index" and aid not in failed), delta)
            done += len(batch)
            run.progress("write", done, total)
    return delta


def _check(run: _OpenSearchRun) -> None:
    if run.lock is not None:
        run.lock.check()
