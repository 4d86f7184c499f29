"""A faster way of writing Whoosh 3 segments, read back by the stock codec.

Profiled on 1,000 corpus articles (``bench/bench_write.py --profile``), two thirds of the write
phase is the commit, where Whoosh turns the sorted postings into posting blocks.  Two costs
there earn nothing: every block is zlib-compressed, even the one-posting block of a rare word
(Whoosh means to skip blocks under 20 bytes, but a slip in ``_write_block`` compresses them
all), and each posting looks its document's field length up in the length column again.  This
codec writes exactly the stock format (same blocks, same term table; small blocks are stored
uncompressed, which their header says), and the segments it makes name the stock ``W3Codec``,
so readers need nothing from this module.  ``report_merge`` makes that commit report its progress.
"""

from __future__ import annotations

import itertools

from whoosh.codec import whoosh3
from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter

#: Blocks of fewer postings than this are stored uncompressed: zlib saves them nothing (measured
#: on 1,000 articles: +1 % index size, a quarter of the commit time less).
SMALL_BLOCK = 4


class _PostingsWriter(W3PostingsWriter):
    """Stock posting blocks, small ones uncompressed."""

    def _write_block(self, last=False):
        level = self._compression
        if len(self._ids) < SMALL_BLOCK:
            self._compression = 0  # the block header records level 0: the reader skips zlib
        try:
            super()._write_block(last)
        finally:
            self._compression = level


class _Lengths:
    """A segment's field lengths, read once per field instead of once per posting."""

    def __init__(self, reader):
        self.reader = reader
        self.count = reader.doc_count_all()
        self.by_field: dict[str, list[int]] = {}

    def of(self, fieldname: str) -> list[int]:
        """Return the length of ``fieldname`` in every document of the segment."""
        lengths = self.by_field.get(fieldname)
        if lengths is None:
            read = self.reader.doc_field_length
            lengths = self.by_field[fieldname] = [read(n, fieldname) for n in range(self.count)]
        return lengths


class _FieldWriter(W3FieldWriter):
    """The stock field writer with its per-posting loop made tight (same calls, same blocks)."""

    def add_postings(self, schema, lengths, items):
        """Write sorted ``(field, term, docnum, weight, value)`` postings, as ``FieldWriter.add_postings``."""
        cached = _Lengths(lengths) if lengths else None
        lastfn = lasttext = None
        field_lengths = pw = ids = None
        for fieldname, btext, docnum, weight, value in items:
            if fieldname != lastfn:
                if lastfn is not None and fieldname < lastfn:
                    raise OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
                if lasttext is not None:
                    self.finish_term()
                if lastfn is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                pw = self._postwriter
                field_lengths = cached.of(fieldname) if cached is not None else None
                lastfn, lasttext = fieldname, None
            if docnum == -1:  # Whoosh's marker of a spelling word, not a posting
                continue
            if btext != lasttext:
                if lasttext is not None:
                    if btext < lasttext:
                        raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {fieldname}:{btext!r}")
                    self.finish_term()
                self.start_term(btext)
                lasttext = btext
                ids = pw._ids
            # W3PostingsWriter.add_posting, inlined: it is called once per posting
            if len(ids) >= pw._blocklimit:
                pw._write_block()
                ids = pw._ids
            ids.append(docnum)
            pw._weights.append(weight)
            if weight > pw._maxweight:
                pw._maxweight = weight
            if value:
                pw._values.append(value)
            length = field_lengths[docnum] if field_lengths is not None else 0
            if length:
                if pw._minlength is None or length < pw._minlength:
                    pw._minlength = length
                if length > pw._maxlength:
                    pw._maxlength = length
        if lasttext is not None:
            self.finish_term()
        if lastfn is not None:
            self.finish_field()


class WriteCodec(W3Codec):
    """``W3Codec`` for writing: small blocks uncompressed, lengths cached; segments name ``W3Codec``."""

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)

    def new_segment(self, storage, indexname):
        # the segment (pickled into the index's table of contents) keeps the stock codec
        return whoosh3.W3Segment(W3Codec(self._blocklimit, self._compression, self._inlinelimit), indexname)


def report_merge(writer, progress, every: int = 200_000) -> None:
    """Make the commit of ``writer`` report the postings it merges (sorted runs → segment files).

    Whoosh sorts the postings of a segment in runs of ``limitmb`` written to disk, then merges
    them at the commit, which takes minutes on a large corpus without a word.  The count of
    postings is taken when each run is saved (once a run, not once a posting).
    """
    pool = getattr(writer, "pool", None)
    if pool is None or not hasattr(pool, "iter_postings") or not hasattr(pool, "save"):
        return  # another writer (multiprocess, or a newer Whoosh): the phases are still named
    saved = [0]
    real_save, real_iter = pool.save, pool.iter_postings

    def save():
        saved[0] += len(pool.current)
        real_save()

    def iter_postings():
        total = saved[0] + len(pool.current)
        progress("merge", 0, total, detail=f"{len(pool.runs)} runs triés")
        items = iter(real_iter())
        done = 0
        while chunk := list(itertools.islice(items, every)):
            yield from chunk
            done += len(chunk)
            progress("merge", done, total)
        if done != total:  # the count taken at the saves was off: end the step at what was merged
            progress("merge", done, done)

    pool.save, pool.iter_postings = save, iter_postings
