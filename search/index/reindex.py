"""Bringing the index up to date with a source folder: the steps of an incremental or full reindex.

``reindex`` takes the writer lock and runs the steps in order, passing one ``_Run`` from step to
step: open the live generation and its state and decide the mode (``state``), scan the source
folder (``sources``), extract the files whose fingerprint or content changed into an on-disk spool
(``extraction``, ``spool``), give ids over the whole corpus and compare article by article, the
persons (``personstep``), the stories (``storyfile``), then write (``writer``).  Each generation
keeps ``sources.json`` beside the Whoosh files, so an incremental run stats every file, reads only
the changed ones and rewrites only the articles whose content, id or persons changed, in one
atomic Whoosh commit; a full run writes a new generation and publishes it with ``store.publish``,
and until then the previous index keeps serving, whatever happens to this process.  The report
(``ReindexReport``) is the summary of ``presse reindex``; failures are ``SourceError``,
``IndexWriteError`` or ``store.IndexBusy``.  The names other code imports from here (``walk_sources``,
``extract_file``, ``_assign_ids``, ``load_state``, ``MAX_SEGMENTS``, …) are re-exported.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from search.index import documents
from search.index import faults
from search.index import storyfile
from search.index import folder as store
from search.index.extraction import _BaseIds, _Extracted, _assign_ids, _file_bases, _with_base, extract_file
from search.index.personstep import _apply_persons, _gather_mentions, _persons_outdated, _reason, _resolve
from search.index.progress import Progress, make_progress
from search.index.sources import SourceError, SourceFile, _hash_or_reason, _one_line, _printable, walk_sources
from search.index.spool import ArticleSpool, Pending
from search.index.state import NO_NAMES, PERSONS_FILE, STATE_FILE, _full_reason, _state, _write_json, load_state
from search.index.writer import MAX_DELETED, MAX_SEGMENTS, _write_full, _write_incremental
from search.streams import release_memory

__all__ = ["reindex", "ReindexReport", "IndexWriteError", "SourceError", "make_progress",
           "walk_sources", "STATE_FILE", "PERSONS_FILE",
           # re-exported from the step modules for the code that reads them here
           "SourceFile", "extract_file", "load_state", "MAX_SEGMENTS", "MAX_DELETED"]


class IndexWriteError(Exception):
    """The index could not be written (disk full, read-only folder, unexpected failure)."""


@dataclass
class ReindexReport:
    """What a reindex did; ``summary()`` is the text printed by ``presse reindex``."""

    mode: str = "incremental"
    full_reason: str | None = None
    source: str = ""
    generation: str = ""
    added: int = 0
    updated: int = 0
    renamed: int = 0  # unchanged articles whose id changed (a duplicate id appeared or went)
    deleted: int = 0
    unchanged: int = 0
    persons_updated: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    ignored: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total_docs: int = 0
    seconds: float = 0.0
    procs: int = 1
    timings: dict = field(default_factory=dict)  # seconds per phase: extract, persons, write

    @property
    def written(self) -> int:
        """Documents written to the index in this run."""
        return self.added + self.updated + self.renamed + self.persons_updated

    @property
    def docs_per_s(self) -> float:
        """Written documents per second of wall time."""
        return self.written / self.seconds if self.seconds > 0 else 0.0

    @property
    def changed(self) -> bool:
        """True when the index content changed."""
        return bool(self.written or self.deleted)

    def summary(self) -> str:
        """Return the human-readable summary (one headline, then skipped files and warnings)."""
        how = "full" if self.mode == "full" else "incremental"
        if self.full_reason:
            how += f" ({self.full_reason})"
        lines = [f"reindex {how}: {self.source} → {self.generation}"]
        if self.mode != "full" and not self.changed:
            lines.append(f"nothing changed: {self.unchanged} articles in "
                         f"{self.files_unchanged} unchanged files, checked in {self.seconds:.2f} s")
        else:
            lines.append(
                f"{self.added} added, {self.updated} updated, {self.deleted} deleted, "
                + (f"{self.renamed} renamed (duplicate ids), " if self.renamed else "")
                + f"{self.unchanged} unchanged, {self.persons_updated} re-indexed for persons, "
                f"{len(self.skipped)} skipped")
            lines.append(
                f"{self.files_read} files read, {self.files_unchanged} unchanged, "
                f"{self.ignored} ignored (hidden or not .txt/.html/.json/.jsonl); "
                f"{self.total_docs} articles in the index; "
                f"{self.seconds:.1f} s, {self.docs_per_s:.1f} docs/s"
                + (" (" + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()) + ")"
                   if self.timings else ""))
        if self.skipped:
            lines.append("skipped:")
            lines.extend(f"  {where}: {reason}" for where, reason in self.skipped)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def reindex(source, index_dir, *, full: bool = False, wait: bool = False, persons: bool = True,
            procs: int | None = None, progress=None, follow_external_links: bool = False) -> ReindexReport:
    """Bring the index in ``index_dir`` up to date with the ``source`` folder; return the report.

    Raises ``store.IndexBusy`` when another reindex runs (unless ``wait``), ``SourceError``
    when the source folder is missing, and ``IndexWriteError`` when the index cannot be written.
    Symbolic links leading outside the source folder are skipped unless ``follow_external_links``.
    """
    source, index_dir = Path(source), Path(index_dir)
    if procs is None:
        procs = min(2, os.cpu_count() or 1)
    procs = max(1, int(procs))
    progress = progress or (lambda *a, **k: None)
    if not source.exists():
        raise SourceError(f"source folder not found: {source}")
    t0 = time.monotonic()
    try:
        lock = store.writer_lock(index_dir, wait=wait)
        lock.__enter__()
    except store.IndexBusy:
        raise
    except OSError as exc:
        raise IndexWriteError(f"{index_dir}: {exc.strerror or exc}") from None
    error = None
    try:
        store.prune(index_dir)  # leftovers of a crashed run
        report = _run(source, index_dir, full, persons, procs, progress, follow_external_links)
    except (store.IndexBusy, SourceError, IndexWriteError):
        raise
    except Exception as exc:
        if isinstance(exc, OSError):
            error = IndexWriteError(f"{exc.filename or index_dir}: {exc.strerror or exc}")
        else:
            error = IndexWriteError(f"{type(exc).__name__}: {_one_line(exc)}")
        # Free the failed writer's frames now (Whoosh leaves files to the garbage collector)
        traceback.clear_frames(exc.__traceback__)
    finally:
        lock.__exit__(None, None, None)
        if isinstance(progress, Progress):
            progress.close()
    if error is not None:
        raise error
    report.seconds = time.monotonic() - t0
    return report


def _open_live(live: Path | None):
    if live is None:
        return None
    from whoosh import index as windex

    try:
        return windex.open_dir(str(live))
    except Exception:
        return None


@dataclass
class _Run:
    """The state one reindex run passes from step to step (scan, extract, ids, persons, write)."""

    source: Path
    index_dir: Path
    persons: bool
    procs: int
    progress: object
    report: ReindexReport
    live: Path | None
    ix: object  # the live Whoosh index, None when there is none or it is unreadable
    state: dict | None  # the live generation's state; None for a full run
    files: list[SourceFile] = field(default_factory=list)
    old_files: dict = field(default_factory=dict)
    old_skipped: dict = field(default_factory=dict)
    new_files: dict[str, dict] = field(default_factory=dict)
    new_skipped: dict[str, dict] = field(default_factory=dict)
    to_read: list[SourceFile] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # content hashes computed while scanning
    spool: ArticleSpool | None = None  # the articles read in this run, on disk
    #: the files read in this run: ``(file, articles (where spooled), base ids)``
    fresh: list[tuple[SourceFile, list[_Extracted], list[str]]] = field(default_factory=list)
    #: the articles of unchanged files: ``rel → [(id, state, base id)]``
    kept: dict[str, list[tuple[str, dict, str]]] = field(default_factory=dict)
    old_articles: dict[str, tuple[str, dict]] = field(default_factory=dict)
    to_write: Pending | None = None  # id → article to write, read back from the spool
    source_persons: dict[str, list] = field(default_factory=dict)  # persons the sources carry
    current_ids: set[str] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)
    persons_changed: list[str] = field(default_factory=list)
    resolution: object = None
    stories: object = None  # the story grouping after this run (search.stories.StoryIndex), None if it failed
    stories_rebuilt: bool = False  # the live generation had no usable grouping: saved even without changes


def _run_state(run: _Run) -> dict:
    """Return the state to save beside the generation written by this run."""
    return _state(run.persons, run.new_files, run.new_skipped)


def _run(source: Path, index_dir: Path, full: bool, persons: bool, procs: int, progress,
         follow_external: bool = False):
    """Bring the index up to date, step by step, under the writer lock; return the report."""
    run = _open_run(source, index_dir, full, persons, procs, progress)
    try:
        return _steps(run, follow_external)
    finally:
        run.spool.close()  # the spool file goes with the run, whatever its outcome


def _steps(run: _Run, follow_external: bool) -> ReindexReport:
    """Run the steps of one reindex in order; return the report."""
    prepare_write(run, follow_external)
    _write(run)
    report = run.report
    report.total_docs = len(run.current_ids)
    report.skipped = [(_printable(w), _printable(r)) for w, r in report.skipped]
    return report


def prepare_write(run: _Run, follow_external: bool = False) -> None:
    """Run every step before the write (scan, extraction and ids, comparison, persons, stories), for any engine."""
    _scan(run, follow_external)
    _extract(run)
    _compare(run, _corpus_ids(run))
    t_phase = time.monotonic()
    if run.persons and _persons_outdated(run):
        run.resolution = _resolve(_gather_mentions(run), run.report, run.progress)
        if run.resolution is None:
            run.persons = False
    _apply_persons(run)
    if run.resolution is not None:
        run.report.timings["persons"] = time.monotonic() - t_phase
        run.report.timings["dictionary"] = run.resolution.dictionary_seconds
    _group_stories(run)


def _open_run(source: Path, index_dir: Path, full: bool, persons: bool, procs: int, progress) -> _Run:
    """Open the live index and its state, and decide between an incremental and a full run."""
    report = ReindexReport(source=str(source), procs=procs)
    live = store.live_path(index_dir)
    ix = _open_live(live)
    state = load_state(live) if live is not None else None
    reason = _full_reason(live, state, persons, full) or (None if ix is not None or live is None
                                                          else "live index unreadable")
    if reason is not None:
        report.mode, report.full_reason, state = "full", reason, None
    spool = ArticleSpool(index_dir)
    return _Run(source, index_dir, persons, procs, progress, report, live, ix, state,
                old_files=state["files"] if state else {},
                old_skipped=(state.get("skipped") or {}) if state else {},
                spool=spool, to_write=Pending(spool))


def _scan(run: _Run, follow_external: bool) -> None:
    """Walk the source folder and decide which files must be read (fingerprint or content changed)."""
    report, source = run.report, run.source
    run.progress("scan", 0, 0)
    run.files, report.ignored, report.skipped = walk_sources(source, exclude=run.index_dir,
                                                             follow_external=follow_external)
    if source.is_dir() and not run.files and run.old_files and not any(source.iterdir()):
        # an empty folder where articles used to be is more often a missing mount than intent
        report.warnings.append(f"{source} is empty: every article of the index is deleted")
    for sf in run.files:
        gone = run.old_skipped.get(sf.rel)
        if gone is not None and gone.get("sig") == sf.signature:  # still the same bad file
            report.skipped.append((sf.rel, gone.get("reason", "skipped")))
            run.new_skipped[sf.rel] = gone
            continue
        old = run.old_files.get(sf.rel)
        if old is not None and old.get("sig") == sf.signature:
            run.new_files[sf.rel] = old
            continue
        if old is not None:
            digest, why = _hash_or_reason(sf)
            if why is not None:
                report.skipped.append((sf.rel, why))
                continue
            if digest == old.get("hash"):
                run.new_files[sf.rel] = dict(old, sig=sf.signature)
                continue
            run.digests[sf.rel] = digest
        run.to_read.append(sf)
    report.files_unchanged = len(run.new_files)


def _spooler(run: _Run, sf: SourceFile, counter: list[int]):
    """Return the ``into`` of ``extract_file`` for one file: spool the article, keep its ids and hash."""
    base_of = _BaseIds(sf)
    total = len(run.to_read)

    def into(art: dict) -> _Extracted:
        art["path"] = sf.rel
        base = art["id"] = base_of(art)
        persons = documents.clean_persons(art.get("persons")) if art.get("persons") else None
        counter[0] += 1
        if counter[0] % 500 == 0:
            run.progress("extract", counter[1], total, detail=f"{counter[0]} articles")
        return _Extracted(run.spool.append(art), base, documents.article_hash(art), persons)

    return into


def _extract(run: _Run) -> None:
    """Extract the articles of the files to read; a file that cannot be read is named and skipped."""
    report, to_read = run.report, run.to_read
    t_phase = time.monotonic()
    counter = [0, 0]  # articles spooled, files done
    for i, sf in enumerate(to_read):
        counter[1] = i
        run.progress("extract", i, len(to_read), detail=f"{counter[0]} articles")
        articles, rec_skips, whole = extract_file(sf, into=_spooler(run, sf, counter))
        report.skipped.extend(rec_skips)
        if whole is not None:
            report.skipped.append((sf.rel, whole))
            if not whole.startswith("unreadable"):  # remembered until the file changes
                run.new_skipped[sf.rel] = {"sig": sf.signature, "reason": whole}
            continue
        digest, why = (run.digests[sf.rel], None) if sf.rel in run.digests else _hash_or_reason(sf)
        if why is not None:
            report.skipped.append((sf.rel, why))
            continue
        report.files_read += 1
        if report.files_read == 1:
            faults.checkpoint("extract")
        run.fresh.append((sf, articles, [x.base for x in articles]))
        run.new_files[sf.rel] = {"sig": sf.signature, "hash": digest, "articles": {}}
    run.progress("extract", len(to_read), len(to_read), detail=f"{counter[0]} articles")
    report.timings["extract"] = time.monotonic() - t_phase


def _corpus_ids(run: _Run) -> dict[tuple[str, str], str]:
    """Return the ids of every article over the whole corpus, unchanged files included."""
    ranks = {sf.rel: (0 if sf.kind == "page" else 1, i) for i, sf in enumerate(run.files)}
    fresh_rels = {sf.rel for sf, _, _ in run.fresh}
    run.kept = {rel: [(aid, info, info.get("b", aid)) for aid, info in entry.get("articles", {}).items()]
                for rel, entry in run.new_files.items() if rel not in fresh_rels}
    claims = [(base, *ranks[rel], rel) for rel, arts in run.kept.items() for _aid, _info, base in arts]
    claims += [(base, *ranks[sf.rel], sf.rel) for sf, _arts, bases in run.fresh for base in bases]
    run.old_articles = {aid: (rel, info) for rel, entry in run.old_files.items()
                        for aid, info in entry.get("articles", {}).items()}
    return _assign_ids(claims)


def _compare(run: _Run, ids: dict[tuple[str, str], str]) -> None:
    """Queue what changed, article by article, and count the added, updated, renamed and deleted."""
    report = run.report
    renamed: dict[str, tuple[str, str]] = {}  # new id → (file, old id), in unchanged files
    for rel, arts in run.kept.items():
        entry = {}
        for aid, info, base in arts:
            new_id = ids[(rel, base)]
            if new_id != aid:
                renamed[new_id] = (rel, aid)
            entry[new_id] = _with_base({k: v for k, v in info.items() if k != "b"}, base, new_id)
        run.new_files[rel] = dict(run.new_files[rel], articles=entry)  # a copy: the old state stays as read
    for sf, articles, bases in run.fresh:
        entry = run.new_files[sf.rel]["articles"]
        for x, base in zip(articles, bases):
            aid = ids[(sf.rel, base)]
            entry[aid] = _with_base(_compare_article(run, aid, x, sf.rel), base, aid)
    if renamed:
        report.renamed = _renamed_articles(run.ix, renamed, run.files, ids, run.to_write, report,
                                           run.source_persons)
    run.current_ids = {aid for entry in run.new_files.values() for aid in entry["articles"]}
    run.deleted = [aid for aid in run.old_articles if aid not in run.current_ids]
    # an article is gone when its file no longer yields it (a renamed one is not gone)
    survivors = {(rel, aid) for rel, arts in run.kept.items() for aid, _info, _base in arts}
    survivors.update((sf.rel, ids[(sf.rel, base)]) for sf, _arts, bases in run.fresh for base in bases)
    report.deleted = sum(1 for aid, (rel, _info) in run.old_articles.items() if (rel, aid) not in survivors)
    report.unchanged += sum(len(arts) for arts in run.kept.values()) - len(renamed)
    # what each read article was (offset, hash, base id) is in the state and the queue now: the
    # run holds its memory from here to the end of the write (about 200 bytes an article)
    run.fresh, run.kept = [], {}


def _compare_article(run: _Run, aid: str, x: _Extracted, rel: str) -> dict:
    """Return the state of one article read in this run, queueing it for writing when it changed."""
    h = x.hash
    if aid != x.base:  # a suffixed duplicate: its hash covers the id it is indexed under
        h = documents.article_hash(dict(run.spool.read(x.offset), id=aid))
    prev = run.old_articles.get(aid)
    if prev is not None and prev[1].get("h") == h:
        run.report.unchanged += 1
        return {k: v for k, v in prev[1].items() if k != "b"}
    if aid != x.base:
        run.to_write.link(aid, x.offset, id=aid)
    else:
        run.to_write.link(aid, x.offset)
    if x.persons:
        run.source_persons[aid] = x.persons
    if prev is None or prev[0] != rel:  # an id moving between files: a new article
        run.report.added += 1
    else:
        run.report.updated += 1
    return {"h": h, "m": None, "p": NO_NAMES}


def _renamed_articles(ix, renamed: dict, files: list[SourceFile], ids: dict, to_write: Pending,
                      report: ReindexReport, source_persons: dict) -> int:
    """Queue the articles of unchanged files whose id changed, rebuilt from their stored fields.

    An article missing from the index (the state and the index disagree, e.g. after a crash
    between the commit and the state write) is read again from its file.  Return the count.
    """
    missing: set[str] = set()
    with ix.searcher() as searcher:
        for new_id, (_rel, old_id) in renamed.items():
            stored = searcher.document(id=old_id)
            if stored is None:
                missing.add(new_id)
                continue
            art = documents.from_stored(stored)
            art["id"] = new_id
            to_write[new_id] = art
            if art.get("persons"):
                source_persons[new_id] = documents.clean_persons(art["persons"])
    by_rel = {sf.rel: sf for sf in files}
    for rel in sorted({renamed[new_id][0] for new_id in missing}):
        sf = by_rel[rel]
        articles, rec_skips, whole = extract_file(sf)
        if whole is not None:
            report.skipped.append((sf.rel, whole))
            continue
        for art, base in zip(articles, _file_bases(articles, sf)):
            aid = ids.get((rel, base))
            if aid in missing:
                art["id"], art["path"] = aid, rel
                to_write[aid] = art
                if art.get("persons"):
                    source_persons[aid] = documents.clean_persons(art["persons"])
    return sum(1 for new_id in renamed if new_id in to_write)


def _group_stories(run: _Run) -> None:
    """Group the articles into stories, incrementally from the live generation's grouping."""
    t_phase = time.monotonic()
    full = run.report.mode == "full"
    previous = None if full else storyfile.load_or_new(run.live)
    run.stories_rebuilt = not full and previous is None

    def unchanged():
        if full or run.ix is None:
            return
        with run.ix.searcher() as searcher:
            for fields in searcher.all_stored_fields():
                if fields.get("id") in run.current_ids and fields.get("id") not in run.to_write:
                    yield fields

    try:
        run.stories = storyfile.update(previous, run.to_write, run.deleted, unchanged, run.progress,
                                      spill_dir=run.index_dir)
    except Exception as exc:  # grouping is a convenience: never the reason a reindex fails
        run.stories = None
        run.report.warnings.append(f"stories step failed: {_reason(exc)}; copies not grouped in this run")
    run.report.timings["stories"] = time.monotonic() - t_phase


def _stage_stories(run: _Run) -> Path | None:
    """Write the grouping of a full run beside the index and drop it from memory; return its folder.

    Its evidence (shingle sets and signatures, about 2 KB an article) would otherwise be held
    through the whole write, the step that needs the most memory.
    """
    if run.stories is None:
        return None
    run.progress("stories", 0, 0, detail="enregistrement")
    try:
        staged = storyfile.stage(run.index_dir, run.stories)
    except Exception as exc:  # as a failed stories step: the write goes on without copies grouped
        run.report.warnings.append(f"stories not saved: {_reason(exc)}; copies not grouped in this run")
        staged = None
    run.stories = None
    release_memory()
    return staged


def _write(run: _Run) -> None:
    """Write the changes: a new generation for a full run, else one commit (or only the state)."""
    report, live = run.report, run.live
    t_phase = time.monotonic()
    changes = run.to_write or run.deleted or run.persons_changed
    if run.ix is not None and (report.mode == "full" or not changes):
        run.ix.close()
    if report.mode == "full":
        staged = _stage_stories(run)
        try:
            _write_full(run.index_dir, _run_state(run), run.to_write, run.resolution, run.procs, report,
                        run.progress, stories=staged)
        finally:
            storyfile.discard(staged)  # gone already when installed
    elif changes:
        _write_incremental(run.ix, live, _run_state(run), run.to_write, run.deleted, run.persons_changed,
                           run.resolution, report, run.progress, stories=run.stories)
        report.generation = live.name
    else:
        report.generation = live.name
        if run.new_files != run.old_files or run.new_skipped != run.old_skipped:  # only fingerprints moved
            _write_json(live / STATE_FILE, _run_state(run))
        if run.stories_rebuilt and run.stories is not None:  # an index from before stories: grouped once
            storyfile.save(live, run.stories)
    report.timings["write"] = time.monotonic() - t_phase
