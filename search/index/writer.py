"""The write step of a reindex, and its segment writer (Whoosh's, with less work per posting).

``_write_full`` writes every article into a new generation (a schema with the sampled frequent
words, then the vocabulary, stories, state, persons and arrays) and publishes it, removing it on any
failure so that the live generation is never touched; ``_write_incremental`` deletes, adds and
rewrites articles of the live generation in one commit merged by ``merge_policy`` (at most
``MAX_SEGMENTS`` segments, none more than ``MAX_DELETED`` deleted), then saves the state, persons,
vocabulary and arrays; an article that cannot become a document is named in the report, never the
cause of a failed commit.  The segment writer (``open_writer``) makes two changes to Whoosh's
``SegmentWriter``, neither visible in the index (a test compares every posting with the stock
writer's):

* the postings go to a ``TermPool`` (``search.index.codec``), which groups them by term instead
  of sorting and pickling each one;
* a text indexed in several fields (the stemmed, exact and pair copies of a title, a body, the
  comments) is tokenised once per document: each field's terms and positions come from the
  analyzer's ``index_positions`` and one shared memo, instead of a stream of Token objects per
  field.  Fields with other analyzers or formats take Whoosh's own path.

A full write also hands that analysis to worker processes when there are cores to spare
(``search.index.pipeline``): this process then only pools postings and writes stored fields.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from whoosh.compat import dumps
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from search.index import analysis
from search.index import documents
from search.index import faults
from search.index import storyfile
from search.index import folder as store
from search.index import pipeline
from search.index.codec import TermPool, WriteCodec
from search.index.schema import build_schema
from search.index.sources import _one_line
from search.index.spool import Pending
from search.index.state import PERSONS_FILE, STATE_FILE, _write_json
from search.query import arrays, suggest

if TYPE_CHECKING:  # annotations only: reindex imports this module, never the reverse
    from search.index.reindex import ReindexReport


class PresseWriter(SegmentWriter):
    """A ``SegmentWriter`` with the write codec, a term-grouped pool and shared text analysis."""

    def __init__(self, ix, progress=None, limitmb: int = 256, **kwargs):
        super().__init__(ix, limitmb=limitmb, codec=WriteCodec(), **kwargs)
        # runs go to the writer's temporary folder, which Whoosh removes when the writer finishes
        self.pool = TermPool(getattr(self._tempstorage, "folder", None), limitmb=limitmb, progress=progress)

    def add_document(self, **fields):
        """Add one document, as ``SegmentWriter.add_document`` does (same postings, stored values, columns)."""
        self.add_analysed(fields, None)

    def add_analysed(self, fields: dict, postings: dict | None) -> None:
        """Add one document whose indexed fields' postings (``search.index.pipeline.analyse``) may be given."""
        self._check_state()
        perdocwriter, schema, docnum = self.perdocwriter, self.schema, self.docnum
        pool = self.pool
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        memo: dict = {}
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    items = postings[fieldname] if postings is not None else field_items(field, value, memo)
                    length = pool.add_field(fieldname, docnum, items, boost, field.scorable)
                if field.separate_spelling() or field.vector:
                    raise ValueError(f"field {fieldname!r}: spelling and vectors are not written here")
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1


#: Encoded value of a term found once, by its position (positions past the limit are not kept).
_ONE_POSITION: dict[int, bytes] = {}
_ONE_POSITION_LIMIT = 1 << 16


def field_items(field, value, memo: dict):
    """Return the ``(term bytes, freq, weight, value bytes)`` of ``value`` in ``field``, as ``field.index``."""
    analyzer = getattr(field, "analyzer", None)
    fmt = field.format
    index_weights = getattr(analyzer, "index_weights", None)
    if index_weights is not None and type(fmt) is Frequency and isinstance(value, str):
        # Frequency.word_values of one token per term: frequency 1, the token's boost as weight
        fb = fmt.field_boost
        one = pack_uint(1)
        return [(text.encode("utf-8"), 1, weight * fb, one) for text, weight in index_weights(value, memo).items()]
    index_positions = getattr(analyzer, "index_positions", None)
    if index_positions is None or type(fmt) is not Positions or not isinstance(value, str):
        return field.index(value)
    fb = fmt.field_boost
    out = []
    once = _ONE_POSITION
    for text, poslist in index_positions(value, memo).items():
        n = len(poslist)
        if n == 1:
            # most terms occur once in a field: their encodings are few, made once per process
            encoded = once.get(poslist[0])
            if encoded is None:
                encoded = _positions_value(poslist)
                if poslist[0] < _ONE_POSITION_LIMIT:
                    once[poslist[0]] = encoded
        else:
            encoded = _positions_value([poslist[0]] + [b - a for a, b in zip(poslist, poslist[1:])])
        out.append((text.encode("utf-8"), n, n * fb, encoded))
    return out


def _positions_value(deltas: list[int]) -> bytes:
    """Return ``Positions.encode`` of a term's position gaps: the count, then the pickled gaps."""
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def open_writer(ix, progress=None, limitmb: int = 256) -> PresseWriter:
    """Return a writer of one new segment of ``ix`` (write codec, postings pooled by term)."""
    return PresseWriter(ix, progress=progress, limitmb=limitmb)


# --- the write step ---------------------------------------------------------------------------

#: Merge policy of incremental commits (see ``merge_policy``): a segment more than MAX_DELETED
#: of whose documents are deleted is rewritten, and an index has at most MAX_SEGMENTS segments.
MAX_DELETED = 0.3
MAX_SEGMENTS = 8


def _document(art: dict, report: ReindexReport, persons=None) -> dict | None:
    """Return the Whoosh document of ``art``, or None (named in the summary) when it cannot be indexed."""
    try:
        return documents.to_document(art, persons=persons)
    except ValueError as exc:  # one bad record costs that record, never the commit
        _not_indexed(report, art, exc)
        return None


def _not_indexed(report: ReindexReport, art: dict, exc: BaseException) -> None:
    report.skipped.append((f"{art.get('path') or '?'}:{art.get('id') or '?'}", f"not indexed: {_one_line(exc)}"))


def _write_full(index_dir, state, to_write, resolution, procs, report, progress, stories=None):
    from whoosh import index as windex

    gen = store.new_generation(index_dir)
    report.generation = gen.name
    ix = windex.create_in(str(gen), build_schema(_frequent_words(to_write)))
    writer = open_writer(ix, progress)
    # the cores the NER used: here one process writes while the others turn text into postings
    workers = pipeline.workers_for(procs)
    report.procs = 1 + workers
    try:
        total = len(to_write)
        progress("write", 0, total)
        pipeline.add_all(writer, to_write.values(), total, lambda art, exc: _not_indexed(report, art, exc),
                         progress, workers=workers)
        progress("write", total, total)
        faults.checkpoint("commit")
        writer.commit()
        progress("commit", 0, 0, detail="index validé")
    except BaseException:
        _cancel(writer)
        ix.close()
        shutil.rmtree(gen, ignore_errors=True)  # the live generation was never touched
        raise
    ix.close()
    # the spelling vocabulary takes seconds to read on a large index: once here, not per search
    progress("commit", 0, 0, detail="vocabulaire")
    suggest.save_vocabulary(gen)
    progress("commit", 0, 0, detail="reprises, état, tableaux, publication")
    try:
        if stories is not None:  # the grouping's folder, staged before the write
            storyfile.install(gen, stories)
        _write_json(gen / STATE_FILE, state)
        _write_json(gen / PERSONS_FILE, resolution.to_json() if resolution else {})
        arrays.save(gen)  # after stories.json, which the arrays' stamp covers
        faults.checkpoint("swap")
        store.publish(index_dir, gen)
    except BaseException:
        if store.live_path(index_dir) != gen:  # not published: don't leave a whole index on a full disk
            shutil.rmtree(gen, ignore_errors=True)
        raise


def _frequent_words(to_write: Pending) -> frozenset[str]:
    """Return the words frequent enough to index their pairs, from an even sample of the articles."""
    ids = to_write.keys()
    step = max(1, len(ids) // analysis.FREQUENT_SAMPLE)
    sample = (to_write[aid] for aid in ids[::step][: analysis.FREQUENT_SAMPLE])
    return analysis.frequent_words(f"{a.get('title') or ''}\n{a.get('body') or ''}" for a in sample)


def _cancel(writer) -> None:
    try:
        writer.cancel()
    except Exception:
        pass


def merge_policy(writer, segments):
    """Merge small and much-deleted segments into the commit's new one; return the segments kept.

    Whoosh's default (MERGE_SMALL) only merges segments of a few dozen documents and never drops
    deleted ones: runs that each change 5 % of the articles pile up segments and dead documents
    (measured with bench/bench_segments.py: 14 segments, 65 % of the documents deleted and the
    index 2.4 times its size after 13 runs).  Here, as in a binary counter, a segment is merged
    when it is no larger than what is being written with it (the new documents and the segments
    merged so far), so each document is rewritten about log2(corpus / change) times; a segment
    more than MAX_DELETED of whose documents are deleted is rewritten without them; and at most
    MAX_SEGMENTS segments remain.  Document numbers change with a merge: readers key their
    caches on the index generation.
    """
    from whoosh.reading import SegmentReader

    merged, kept = [], []
    for seg in segments:
        live = seg.doc_count()
        (merged if not live or seg.doc_count_all() - live > MAX_DELETED * seg.doc_count_all()
         else kept).append(seg)
    kept.sort(key=lambda seg: seg.doc_count())
    written = writer.doc_count() + sum(seg.doc_count() for seg in merged)
    while kept and (kept[0].doc_count() <= written or len(kept) >= MAX_SEGMENTS):
        seg = kept.pop(0)
        merged.append(seg)
        written += seg.doc_count()
    for seg in merged:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        try:
            writer.add_reader(reader)  # copies the live documents only
        finally:
            reader.close()
    return kept


def _write_incremental(ix, live, state, to_write, deleted, persons_changed, resolution,
                       report, progress, stories=None):
    new_files = state["files"]
    writer = open_writer(ix, progress)
    try:
        for aid in deleted:
            writer.delete_by_term("id", aid)
        total = len(to_write) + len(persons_changed)
        done = 0
        for art in to_write.values():
            if done % 200 == 0:
                progress("write", done, total)
            doc = _document(art, report)
            if doc is not None:
                writer.update_document(**doc)
            done += 1
        if persons_changed:
            persons_by_id = {aid: (info.get("p", []), info.get("pd", [])) for entry in new_files.values()
                             for aid, info in entry["articles"].items()}
            with ix.searcher() as searcher:
                for aid in persons_changed:
                    stored = searcher.document(id=aid)
                    if stored is None:
                        continue
                    art = documents.from_stored(stored)
                    art["persons_dictionary"] = persons_by_id[aid][1]
                    doc = _document(art, report, persons=persons_by_id[aid][0])
                    if doc is not None:
                        writer.update_document(**doc)
                    report.persons_updated += 1
                    done += 1
                    if done % 200 == 0:
                        progress("write", done, total)
        progress("write", total, total)
        if stories is not None:
            # before the commit, so that a searcher opening it finds the groups it belongs with
            # (a failed commit leaves groups naming unwritten articles: they are ignored)
            storyfile.save(live, stories)
        faults.checkpoint("commit")
        writer.commit(mergetype=merge_policy)
        progress("commit", 0, 0, detail="index validé")
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
    arrays.save(live)
