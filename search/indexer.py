"""Walking a source folder and bringing the index up to date: incremental or full reindex.

Each generation keeps ``sources.json`` beside the Whoosh files: per source file its
fingerprint (size, mtime, content hash) and per article its change hash, raw person mentions
and resolved persons.  An incremental run stats every file, reads only those whose
fingerprint changed, re-resolves persons corpus-wide from the stored mentions, and rewrites only
the articles whose content or persons changed, in one atomic Whoosh commit.  A full run
writes a new generation and publishes it with ``store.publish``; until then the previous
index keeps serving, whatever happens to this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from search import analysis, documents, faults, store, suggest
from search.progress import Progress, make_progress
from search.schema import SCHEMA_VERSION, build_schema

__all__ = ["reindex", "ReindexReport", "IndexWriteError", "SourceError", "make_progress",
           "walk_sources", "STATE_FILE", "PERSONS_FILE"]

STATE_FILE = "sources.json"
PERSONS_FILE = "persons.json"
STATE_VERSION = 1
PAGE_EXT, SIDECAR_EXT, BULK_EXT = ".txt", ".json", ".jsonl"
HTML_EXTS = (".html", ".htm")  # pages too, converted from HTML by search.extract
#: Whoosh writer processes for a full build.  Measured on 3000 corpus articles (2 cores):
#: one process 108 docs/s; procs=2 with multisegment 118 docs/s but two segments and a 15 %
#: larger index (slower searches); procs=2 merged into one segment 87 docs/s.  Extraction
#: and document building stay in the parent, so the workers idle half the time.  The cores
#: are used where it pays: spaCy NER runs with ``n_process=procs``.
WRITER_PROCS = 1
#: Below this many documents a multiprocess writer never pays for its start-up.
MP_MIN_DOCS = 2000


class IndexWriteError(Exception):
    """The index could not be written (disk full, read-only folder, unexpected failure)."""


class SourceError(Exception):
    """The source folder is missing or unreadable (the index is left untouched)."""


@dataclass
class SourceFile:
    """One source file to index, with its optional ``.json`` sidecar."""

    rel: str
    path: Path
    sidecar: Path | None
    signature: list

    @property
    def kind(self) -> str:
        """``page`` or ``bulk``."""
        return "bulk" if self.path.suffix.lower() == BULK_EXT else "page"


@dataclass
class ReindexReport:
    """What a reindex did; ``summary()`` is the text printed by ``presse reindex``."""

    mode: str = "incremental"
    full_reason: str | None = None
    source: str = ""
    generation: str = ""
    added: int = 0
    updated: int = 0
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
        return self.added + self.updated + self.persons_updated

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
                f"{self.unchanged} unchanged, {self.persons_updated} re-indexed for persons, "
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


# --- walking the source folder -----------------------------------------------------------

def _signature(path: Path, sidecar: Path | None) -> list:
    st = path.stat()
    sig = [st.st_size, st.st_mtime_ns]
    if sidecar is not None:
        sst = sidecar.stat()
        sig += [sst.st_size, sst.st_mtime_ns]
    return sig


def _printable(text: str) -> str:
    """Return ``text`` with undecodable file-name bytes replaced (JSON and Whoosh need UTF-8)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def walk_sources(source: Path, exclude: Path | None = None
                 ) -> tuple[list[SourceFile], int, list[tuple[str, str]]]:
    """Return ``(files, ignored_count, skipped)`` for a source folder, in a stable order.

    ``exclude`` (the index folder, when it lies inside the source) is not walked.
    """
    files, skipped, ignored = [], [], 0
    excluded = os.path.realpath(exclude) if exclude is not None else None
    if source.is_file():
        roots = [(source.parent, [], [source.name])]
    else:
        roots = os.walk(source, onerror=lambda exc: skipped.append(
            (_printable(str(exc.filename)), f"unreadable folder: {exc.strerror}")))
    for dirpath, dirnames, filenames in roots:
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and (
            excluded is None or os.path.realpath(os.path.join(dirpath, d)) != excluded))
        names = set(filenames)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = _printable(path.relative_to(source).as_posix() if source.is_dir() else name)
            suffix = path.suffix.lower()
            if name.startswith(".") or suffix not in (PAGE_EXT, SIDECAR_EXT, BULK_EXT, *HTML_EXTS):
                ignored += 1
                continue
            if suffix == SIDECAR_EXT:
                pages = [path.stem + ext for ext in (PAGE_EXT, *HTML_EXTS)]
                if not any(p in names for p in pages) and not any(
                        n.lower() == p.lower() for n in names for p in pages):
                    skipped.append((rel, "JSON sidecar without its .txt page (bulk articles go "
                                         "in .jsonl files)"))
                continue
            sidecar = None
            if suffix in (PAGE_EXT, *HTML_EXTS):
                cand = [n for n in names if n[: -len(SIDECAR_EXT)] == path.stem
                        and n.lower().endswith(SIDECAR_EXT)]
                sidecar = Path(dirpath) / cand[0] if cand else None
            try:
                if not path.is_file():
                    skipped.append((rel, "not a regular file"))
                    continue
                sig = _signature(path, sidecar)
            except OSError as exc:
                skipped.append((rel, f"unreadable: {exc.strerror or exc}"))
                continue
            files.append(SourceFile(rel, path, sidecar, sig))
    return files, ignored, skipped


def _file_hash(sf: SourceFile) -> str:
    h = hashlib.sha256()
    for p in (sf.path, sf.sidecar):
        if p is None:
            continue
        with open(p, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def _one_line(exc: BaseException) -> str:
    text = _printable(" ".join(str(exc).split()))
    return text[:300] or type(exc).__name__


def extract_file(sf: SourceFile) -> tuple[list[dict], list[tuple[str, str]], str | None]:
    """Return ``(articles, skipped_records, whole_file_reason)`` for one source file."""
    from search import extract

    articles, skipped = [], []
    iter_file = getattr(extract, "iter_file", None)
    try:
        items = iter_file(sf.path) if iter_file is not None else extract.load_file(sf.path)
        for item in items:
            if isinstance(item, dict):
                articles.append(item)
            else:  # SkippedRecord(where, reason)
                where = str(getattr(item, "where", None) or sf.rel)
                for prefix in (str(sf.path), sf.path.name):  # name it relative to the source
                    if where.startswith(prefix) and not where.startswith(sf.rel):
                        where = sf.rel + where[len(prefix):]
                        break
                if not where.startswith(sf.rel):
                    where = f"{sf.rel}:{where}"
                skipped.append((where, str(getattr(item, "reason", item))))
    except extract.SkipFile as exc:
        return [], [], _one_line(exc) or "skipped"
    except MemoryError:
        return [], [], "too large to read"
    except Exception as exc:  # an extractor bug must cost one file, not the whole run
        if not articles:
            return [], [], f"extraction failed: {type(exc).__name__}: {_one_line(exc)}"
        skipped.append((sf.rel, f"extraction stopped: {type(exc).__name__}: {_one_line(exc)}"))
    return articles, skipped, None


def _assign_id(article: dict, sf: SourceFile, n: int, taken: set[str]) -> str:
    """Return a unique id: the extractor's, else disambiguated by the file's relative path."""
    base = documents._text(article.get("id")).strip() or Path(sf.rel).stem or "article"
    base = " ".join(base.split())[:200]
    cand = base
    if cand in taken:
        salt = f"{sf.rel}#{n}" if sf.kind == "bulk" else sf.rel
        cand = f"{base}~{hashlib.sha1(salt.encode()).hexdigest()[:8]}"
        k = 1
        while cand in taken:
            k += 1
            cand = f"{base}~{hashlib.sha1(f'{salt}#{k}'.encode()).hexdigest()[:8]}"
    taken.add(cand)
    return cand


# --- the index state kept beside each generation --------------------------------------------

def persons_data_fingerprint() -> str:
    """Return a hash of the persons data files (aliases, non-persons, titles)."""
    h = hashlib.sha256()
    for path in sorted(analysis.DATA_DIR.glob("*")):
        if path.is_file() and path != analysis.PROTECTED_FILE:
            h.update(path.name.encode() + b"\0")
            try:
                h.update(path.read_bytes())
            except OSError:
                pass
    return h.hexdigest()[:16]


def _state_meta(persons: bool) -> dict:
    return {"version": STATE_VERSION, "schema_version": SCHEMA_VERSION,
            "analysis": analysis.analysis_fingerprint(), "persons": bool(persons),
            "persons_data": persons_data_fingerprint() if persons else None}


def _state(persons: bool, files: dict, skipped: dict) -> dict:
    return {"meta": _state_meta(persons), "files": files, "skipped": skipped}


def load_state(generation: Path) -> dict | None:
    """Return the ``sources.json`` of a generation, or None when missing or unreadable."""
    try:
        with open(generation / STATE_FILE, encoding="utf-8") as fh:
            state = json.load(fh)
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("files"), dict) else None


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _full_reason(live: Path | None, state: dict | None, persons: bool, full: bool) -> str | None:
    if full:
        return "--full"
    if live is None:
        return "no index yet"
    if state is None:
        return "index state missing"
    meta = state.get("meta", {})
    if meta.get("schema_version") != SCHEMA_VERSION or meta.get("version") != STATE_VERSION:
        return "schema changed"
    if meta.get("analysis") != analysis.analysis_fingerprint():
        return "analysis changed"
    if bool(meta.get("persons")) != bool(persons):
        return "persons " + ("enabled" if persons else "disabled")
    return None


# --- persons ---------------------------------------------------------------------------------

def _mentions(articles: list[dict], index_dir: Path, procs: int, report: ReindexReport,
              progress) -> dict[str, list[str]] | None:
    """Return raw person mentions for ``articles``, or None when person extraction failed."""
    if not articles:
        return {}
    try:
        from search import persons as ps
    except Exception as exc:
        report.warnings.append(f"persons not extracted: {_one_line(exc)}")
        return None
    cache = None
    if hasattr(ps, "NerCache"):
        try:
            cache = ps.NerCache(index_dir / "persons-cache.sqlite")
        except Exception as exc:  # a broken cache costs speed, not the run
            report.warnings.append(f"NER cache unavailable: {_one_line(exc)}")
    progress("persons", 0, len(articles))
    faults.checkpoint("ner")
    try:
        raw = ps.raw_mentions(articles, cache=cache, n_process=procs)
    except Exception as exc:
        report.warnings.append(f"persons not extracted: {type(exc).__name__}: {_one_line(exc)}")
        return None
    finally:
        close = getattr(cache, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                pass
    progress("persons", len(articles), len(articles))
    return {k: [str(m) for m in (v or [])] for k, v in raw.items()}


def _resolve(raw_all: dict[str, list[str]], report: ReindexReport):
    try:
        from search import persons as ps

        return ps.resolve(raw_all)
    except Exception as exc:
        report.warnings.append(f"persons not resolved: {type(exc).__name__}: {_one_line(exc)}")
        return None


# --- the run -------------------------------------------------------------------------------

def reindex(source, index_dir, *, full: bool = False, wait: bool = False, persons: bool = True,
            procs: int | None = None, progress=None) -> ReindexReport:
    """Bring the index in ``index_dir`` up to date with the ``source`` folder; return the report.

    Raises ``store.IndexBusy`` when another reindex runs (unless ``wait``), ``SourceError``
    when the source folder is missing, and ``IndexWriteError`` when the index cannot be written.
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
        report = _run(source, index_dir, full, persons, procs, progress)
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


def _run(source: Path, index_dir: Path, full: bool, persons: bool, procs: int, progress):
    report = ReindexReport(source=str(source), procs=procs)
    live = store.live_path(index_dir)
    ix = _open_live(live)
    state = load_state(live) if ix is not None else None
    reason = _full_reason(live if ix is not None else None, state, persons, full)
    if reason is not None:
        report.mode, report.full_reason, state = "full", reason, None
    old_files: dict = state["files"] if state else {}
    old_skipped: dict = (state.get("skipped") or {}) if state else {}
    new_skipped: dict[str, dict] = {}

    progress("scan", 0, 0)
    files, report.ignored, report.skipped = walk_sources(source, exclude=index_dir)
    if source.is_dir() and not files and old_files and not any(source.iterdir()):
        # an empty folder where articles used to be is more often a missing mount than intent
        report.warnings.append(f"{source} is empty: every article of the index is deleted")

    # 1. decide which files must be read
    new_files: dict[str, dict] = {}
    to_read: list[SourceFile] = []
    digests: dict[str, str] = {}
    for sf in files:
        gone = old_skipped.get(sf.rel)
        if gone is not None and gone.get("sig") == sf.signature:  # still the same bad file
            report.skipped.append((sf.rel, gone.get("reason", "skipped")))
            new_skipped[sf.rel] = gone
            continue
        old = old_files.get(sf.rel)
        if old is not None and old.get("sig") == sf.signature:
            new_files[sf.rel] = old
            continue
        if old is not None:
            try:
                digest = _file_hash(sf)
            except OSError as exc:
                report.skipped.append((sf.rel, f"unreadable: {exc.strerror or exc}"))
                continue
            if digest == old.get("hash"):
                new_files[sf.rel] = dict(old, sig=sf.signature)
                continue
            digests[sf.rel] = digest
        to_read.append(sf)
    report.files_unchanged = len(new_files)

    # 2. extract the changed files
    t_phase = time.monotonic()
    taken = {aid for entry in new_files.values() for aid in entry.get("articles", {})}
    fresh: list[tuple[SourceFile, list[dict]]] = []
    for i, sf in enumerate(to_read):
        progress("extract", i, len(to_read))
        articles, rec_skips, whole = extract_file(sf)
        report.skipped.extend(rec_skips)
        if whole is not None:
            report.skipped.append((sf.rel, whole))
            if not whole.startswith("unreadable"):  # remembered until the file changes
                new_skipped[sf.rel] = {"sig": sf.signature, "reason": whole}
            continue
        try:
            digest = digests.get(sf.rel) or _file_hash(sf)
        except OSError as exc:
            report.skipped.append((sf.rel, f"unreadable: {exc.strerror or exc}"))
            continue
        report.files_read += 1
        if report.files_read == 1:
            faults.checkpoint("extract")
        for n, art in enumerate(articles):
            art["id"] = _assign_id(art, sf, n, taken)
            art["path"] = sf.rel
        fresh.append((sf, articles))
        new_files[sf.rel] = {"sig": sf.signature, "hash": digest, "articles": {}}
    progress("extract", len(to_read), len(to_read))

    report.timings["extract"] = time.monotonic() - t_phase

    # 3. what changed, article by article
    old_articles = {aid: (rel, info) for rel, entry in old_files.items()
                    for aid, info in entry.get("articles", {}).items()}
    to_write: dict[str, dict] = {}
    for sf, articles in fresh:
        entry = new_files[sf.rel]["articles"]
        for art in articles:
            h = documents.article_hash(art)
            prev = old_articles.get(art["id"])
            info = {"h": h, "m": None, "p": []}
            if prev is not None and prev[1].get("h") == h:
                info = dict(prev[1])
                report.unchanged += 1
            else:
                to_write[art["id"]] = art
                if prev is None:
                    report.added += 1
                else:
                    report.updated += 1
            entry[art["id"]] = info
    current_ids = {aid for entry in new_files.values() for aid in entry["articles"]}
    deleted = [aid for aid in old_articles if aid not in current_ids]
    report.deleted = len(deleted)
    fresh_rels = {sf.rel for sf, _ in fresh}
    report.unchanged += sum(len(entry["articles"]) for rel, entry in new_files.items()
                            if rel not in fresh_rels)

    # 4. persons, resolved over the whole corpus
    t_phase = time.monotonic()
    persons_changed: list[str] = []
    resolution = None
    if persons:
        need = list(to_write.values())
        old_rules = state["meta"].get("persons_data") if state else None
        if ix is not None and state and old_rules != persons_data_fingerprint():
            # the person rules changed: clean every article's mentions again (NER itself is
            # cached by text, so only the rules run), from the stored fields
            with ix.searcher() as searcher:
                for fields in searcher.all_stored_fields():
                    aid = fields.get("id")
                    if aid in current_ids and aid not in to_write:
                        need.append(documents.from_stored(fields))
        raw = _mentions(need, index_dir, procs, report, progress)
        if raw is None:
            persons = False
        else:
            raw_all = {}
            for entry in new_files.values():
                for aid, info in entry["articles"].items():
                    if aid in raw:
                        info["m"] = raw[aid]
                    raw_all[aid] = info.get("m") or []
            resolution = _resolve(raw_all, report)
            if resolution is None:
                persons = False
    for entry in new_files.values():
        for aid, info in entry["articles"].items():
            if resolution is not None:
                new_p = documents.clean_persons(resolution.by_article.get(aid, []))
            elif aid in to_write:  # no NER: keep persons the source itself carries
                new_p = documents.clean_persons(to_write[aid].get("persons"))
            else:
                new_p = info.get("p", [])
            if aid in to_write:
                to_write[aid]["persons"] = new_p
            elif new_p != info.get("p", []):
                persons_changed.append(aid)
            info["p"] = new_p

    if persons:
        report.timings["persons"] = time.monotonic() - t_phase

    # 5. write
    t_phase = time.monotonic()
    if ix is not None and (report.mode == "full" or not (to_write or deleted or persons_changed)):
        ix.close()
    if report.mode == "full":
        _write_full(index_dir, _state(persons, new_files, new_skipped), to_write, resolution,
                    procs, report, progress)
    elif to_write or deleted or persons_changed:
        _write_incremental(ix, live, _state(persons, new_files, new_skipped), to_write, deleted,
                           persons_changed, resolution, report, progress)
        report.generation = live.name
    else:
        report.generation = live.name
        if new_files != old_files or new_skipped != old_skipped:  # only fingerprints moved
            _write_json(live / STATE_FILE, _state(persons, new_files, new_skipped))
    report.timings["write"] = time.monotonic() - t_phase
    report.total_docs = len(current_ids)
    report.skipped = [(_printable(w), _printable(r)) for w, r in report.skipped]
    return report


def _writer_for(ix, procs: int, ndocs: int):
    procs = min(procs, WRITER_PROCS)
    if procs > 1 and ndocs >= MP_MIN_DOCS:
        return ix.writer(procs=procs, multisegment=True, limitmb=128), procs
    return ix.writer(limitmb=256), 1


def _write_full(index_dir, state, to_write, resolution, procs, report, progress):
    from whoosh import index as windex

    gen = store.new_generation(index_dir)
    report.generation = gen.name
    ix = windex.create_in(str(gen), build_schema(_frequent_words(to_write)))
    writer, report.procs = _writer_for(ix, procs, len(to_write))
    try:
        total = len(to_write)
        for i, art in enumerate(to_write.values()):
            if i % 200 == 0:
                progress("write", i, total)
            writer.add_document(**documents.to_document(art))
        progress("write", total, total)
        faults.checkpoint("commit")
        writer.commit()
    except BaseException:
        _cancel(writer)
        ix.close()
        shutil.rmtree(gen, ignore_errors=True)  # the live generation was never touched
        raise
    ix.close()
    # the spelling vocabulary takes seconds to read on a large index: once here, not per search
    suggest.save_vocabulary(gen)
    try:
        _write_json(gen / STATE_FILE, state)
        _write_json(gen / PERSONS_FILE, resolution.to_json() if resolution else {})
        faults.checkpoint("swap")
        store.publish(index_dir, gen)
    except BaseException:
        if store.live_path(index_dir) != gen:  # not published: don't leave a whole index on a full disk
            shutil.rmtree(gen, ignore_errors=True)
        raise


def _frequent_words(to_write: dict) -> frozenset[str]:
    """Return the words frequent enough to index their pairs, from an even sample of the articles."""
    articles = list(to_write.values())
    step = max(1, len(articles) // analysis.FREQUENT_SAMPLE)
    sample = articles[::step][: analysis.FREQUENT_SAMPLE]
    return analysis.frequent_words(f"{a.get('title') or ''}\n{a.get('body') or ''}" for a in sample)


def _cancel(writer) -> None:
    try:
        writer.cancel()
    except Exception:
        pass


def _write_incremental(ix, live, state, to_write, deleted, persons_changed, resolution,
                       report, progress):
    new_files = state["files"]
    writer = ix.writer(limitmb=256)
    try:
        for aid in deleted:
            writer.delete_by_term("id", aid)
        total = len(to_write) + len(persons_changed)
        done = 0
        for art in to_write.values():
            if done % 200 == 0:
                progress("write", done, total)
            writer.update_document(**documents.to_document(art))
            done += 1
        if persons_changed:
            persons_by_id = {aid: info.get("p", []) for entry in new_files.values()
                             for aid, info in entry["articles"].items()}
            with ix.searcher() as searcher:
                for aid in persons_changed:
                    stored = searcher.document(id=aid)
                    if stored is None:
                        continue
                    art = documents.from_stored(stored)
                    writer.update_document(**documents.to_document(art, persons=persons_by_id[aid]))
                    report.persons_updated += 1
                    done += 1
                    if done % 200 == 0:
                        progress("write", done, total)
        progress("write", total, total)
        faults.checkpoint("commit")
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise
    finally:
        ix.close()
    # after the commit: a crash in between only makes the next run re-read changed files
    _write_json(live / STATE_FILE, state)
    if resolution is not None:
        _write_json(live / PERSONS_FILE, resolution.to_json())
    suggest.save_vocabulary(live)

