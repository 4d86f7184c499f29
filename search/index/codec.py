"""A faster way of writing Whoosh 3 segments, read back by the stock codec.

Profiled on 1,000 corpus articles (``bench/bench_write.py --profile``), two thirds of the write
phase is the commit, where Whoosh turns the sorted postings into posting blocks.  Two costs
there earn nothing: every block is zlib-compressed, even the one-posting block of a rare word
(Whoosh means to skip blocks under 20 bytes, but a slip in ``_write_block`` compresses them
all), each posting looks its document's field length up in the length column again, and the
postings are pickled with protocol 2, which spells every position value as a call to
``codecs.encode``.  This codec writes the stock format (same blocks, same term table; small
blocks are stored uncompressed, which their header says; postings pickled with protocol 4,
which the stock reader unpickles as it does protocol 2), and the segments it makes name the
stock ``W3Codec``, so readers need nothing from this module.  ``TermPool`` replaces Whoosh's posting pool (and
reports the commit's progress); ``search.index.writer.PresseWriter`` puts the two together.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from hashlib import md5
import itertools
import marshal
from operator import itemgetter
import os
import pickle
import tempfile
import zlib

from whoosh.codec import whoosh3
from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter, W3TermInfo
from whoosh.util.numeric import length_to_byte

from search.streams import batched

#: Blocks of fewer postings than this are stored uncompressed: zlib saves them little (measured
#: on 2,000 articles with INLINE_LIMIT: 4 → 8 is 4 % less commit time for 0.4 % more index).
SMALL_BLOCK = 8

#: Terms with fewer postings than this keep them inside their term-table entry instead of a
#: posting block (a stock W3 feature that Whoosh's default of 1 never uses).  Most word pairs and
#: many words occur in a few articles: their block, its header and its pickles are saved (2,000
#: articles: 2 → 8 is 10 % less commit time, same index size).
INLINE_LIMIT = 8

#: The pickle protocol of a block's postings and of an inlined term's.  Whoosh pickles them with
#: protocol 2, which has no opcode for bytes: every position value becomes a call to
#: ``codecs.encode`` of a latin-1 string, to write and again to read.  Protocol 4 stores bytes
#: as bytes; the stock reader unpickles either (a block of 128 postings: 17 times faster to
#: write, 10 times faster to read, half the size).  The small block header keeps protocol 2.
POSTINGS_PROTOCOL = 4


class _TermInfo(W3TermInfo):
    """The stock term info, its inlined postings pickled with ``POSTINGS_PROTOCOL``."""

    def to_bytes(self):
        if self._inlined is None:
            return super().to_bytes()
        no_id = 0xFFFFFFFF  # the stock out-of-band value of a missing id
        head = self._struct.pack(
            True, self._weight, self._df,
            0 if self._minlength is None else length_to_byte(self._minlength),
            length_to_byte(self._maxlength), self._maxweight,
            no_id if self._minid is None else self._minid, no_id if self._maxid is None else self._maxid)
        return head + pickle.dumps(self._inlined, POSTINGS_PROTOCOL)


class _PostingsWriter(W3PostingsWriter):
    """Stock posting blocks, small ones uncompressed, the smallest inlined in the term table."""

    def finish_postings(self):
        if not self.written() and len(self) < self._inlinelimit:
            # the stock method calls a ``set_inline`` that W3TermInfo spells ``set_inlined``
            terminfo = self._terminfo
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()

    def _write_block(self, last=False):
        """Write the buffered postings as one stock block: header, then the pickled postings."""
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        databytes = pickle.dumps((self._mini_ids(), self._mini_weights(), self._mini_values()),
                                 POSTINGS_PROTOCOL)
        level = self._compression if len(ids) >= SMALL_BLOCK else 0  # the header says 0: no zlib
        if level:
            databytes = zlib.compress(databytes, level)
        infobytes = pickle.dumps((len(ids), ids[-1], self._maxweight, level,
                                  length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        length = len(infobytes) + len(databytes)
        self._postfile.write_int(-length if last else length)  # negative: the term's last block
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()

    def _mini_weights(self):
        # as the stock method (None when all are 1, one number when all are equal), counted in C
        weights = self._weights
        first = weights[0]
        if weights.count(first) == len(weights):
            return None if first == 1.0 else first
        return tuple(weights)


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


class _TrackedFile:
    """A file being written that counts its own position instead of asking the system for it.

    Whoosh asks the posting and term files where they are three times per term; a buffered
    file answers with an ``lseek`` each time (8 % of the commit, sampled).  Every write, pickle
    and array goes through ``write``, so the count is the file's position.
    """

    def __init__(self, file):
        self._file = file
        self._pos = file.tell()

    def write(self, data) -> int:
        """Write ``data`` and return its length, as the wrapped file does."""
        written = self._file.write(data)
        self._pos += written
        return written

    def tell(self) -> int:
        """Return the position, as the wrapped file would."""
        return self._pos

    def seek(self, *args) -> int:
        """Move, as the wrapped file does, and count from there."""
        self._pos = self._file.seek(*args)
        return self._pos

    def __getattr__(self, name):
        return getattr(self._file, name)


def _md5_hash(key: bytes) -> int:
    """Return Whoosh's ``md5_hash`` of a term-table key (the digest's last 32 bits), without the hex round trip."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")


class _FieldWriter(W3FieldWriter):
    """The stock field writer with its per-posting loop made tight (same calls, same blocks)."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._postfile.file = _TrackedFile(self._postfile.file)
        self._tindex.dbfile.file = _TrackedFile(self._tindex.dbfile.file)
        self._tindex.hashfn = _md5_hash  # the table's hash type (0, md5) is unchanged

    def start_term(self, btext):
        """Start a term, as the stock method does, with a term info that pickles inlined postings faster."""
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")  # as the stock method
        self._btext = btext
        self._postwriter.start_postings(self._format, _TermInfo())

    def add_postings(self, schema, lengths, items):
        """Write sorted ``(field, term, docnum, weight, value)`` postings, as ``FieldWriter.add_postings``."""
        cached = _Lengths(lengths) if lengths else None
        if isinstance(items, Grouped):
            self._add_terms(schema, cached, items.pool.iter_terms())
        else:
            self._add_terms(schema, cached, _grouped(items))

    def _add_terms(self, schema, cached, terms) -> None:
        lastfn = lasttext = None
        field_lengths = None
        for fieldname, btext, postings in terms:
            if fieldname != lastfn:
                if lastfn is not None and fieldname < lastfn:
                    raise OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
                if lastfn is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field_lengths = cached.of(fieldname) if cached is not None else None
                lastfn, lasttext = fieldname, None
            elif btext <= lasttext:
                raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {fieldname}:{btext!r}")
            lasttext = btext
            if postings and postings[0][0] == -1:  # Whoosh's marker of a spelling word, not a posting
                postings = [p for p in postings if p[0] != -1]
                if not postings:
                    continue
            self.start_term(btext)
            self._term_blocks(postings, field_lengths)
            self.finish_term()
        if lastfn is not None:
            self.finish_field()

    def _term_blocks(self, postings, field_lengths) -> None:
        """Fill the posting writer with one term's postings, writing every full block but the last.

        The blocks are the stock writer's (``blocklimit`` postings each, the rest in the last),
        filled a block at a time instead of a posting at a time.
        """
        pw = self._postwriter
        limit = pw._blocklimit
        for start in range(0, len(postings), limit):
            block = postings[start:start + limit]
            if start:
                pw._write_block()
            ids = [p[0] for p in block]
            weights = [p[1] for p in block]
            pw._ids = array("I", ids)
            pw._weights = array("f", weights)
            pw._values = [p[2] for p in block if p[2]]
            pw._maxweight = max(max(weights), 0)
            if field_lengths is not None:
                lens = [n for n in map(field_lengths.__getitem__, ids) if n]
                pw._minlength = min(lens) if lens else None
                pw._maxlength = max(lens) if lens else 0


def _grouped(items):
    """Group a sorted stream of postings by term: ``(field, term, [(docnum, weight, value)…])``."""
    for (fieldname, btext), group in itertools.groupby(items, key=lambda p: (p[0], p[1])):
        yield fieldname, btext, [p[2:] for p in group]


class WriteCodec(W3Codec):
    """``W3Codec`` for writing: small blocks uncompressed, lengths cached; segments name ``W3Codec``."""

    def __init__(self, blocklimit=128, compression=3, inlinelimit=INLINE_LIMIT):
        super().__init__(blocklimit, compression, inlinelimit)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)

    def new_segment(self, storage, indexname):
        # the segment (pickled into the index's table of contents) keeps the stock codec
        return whoosh3.W3Segment(W3Codec(self._blocklimit, self._compression, self._inlinelimit), indexname)



#: Estimated memory of one chunk of a sorted run on disk, once read back.  The merge holds one
#: chunk of every run at once, and a large corpus makes hundreds of runs: with chunks of 4,096
#: terms, the 243 runs of 500,000 articles held 4.6 GB (``bench/bench_merge.py``).
RUN_CHUNK_BYTES = 1 << 18


class TermPool:
    """The postings of a segment being written, grouped by term (replaces Whoosh's ``PostingPool``).

    Whoosh sorts every posting as a tuple, pickles each one into sorted runs on disk and merges
    the runs posting by posting.  Postings arrive in document order, so grouping them by term
    leaves only the terms to sort: a run is the sorted terms with their postings, written in
    chunks of ``RUN_CHUNK_BYTES``, and the runs are merged term by term.  Memory stays near
    ``limitmb``.
    """

    #: Estimated bytes held by one posting and by one term entry (tuples, ints, dict slot).
    POSTING_BYTES = 120
    TERM_BYTES = 200

    def __init__(self, tempdir: str | None, limitmb: int = 256, progress=None):
        self.tempdir = tempdir
        self.limit = limitmb * 1024 * 1024
        self.fields: dict[str, dict[bytes, list]] = {}  # field → term → [(docnum, weight, value)…]
        self.size = 0
        self.runs: list[str] = []
        self.count = 0
        self.last_docnum = -1
        self.ordered = True  # every posting came with a docnum ≥ the one before
        self.progress = progress

    def add_field(self, fieldname: str, docnum: int, items, boost: float, scorable: bool) -> int:
        """Add the ``(term bytes, freq, weight, value)`` postings of one field of one document; return its length."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        if docnum < self.last_docnum:
            self.ordered = False
        self.last_docnum = docnum
        length = added = new = extra = 0
        for tbytes, freq, weight, vbytes in items:
            if scorable:
                length += freq
            posting = (docnum, weight * boost, vbytes)
            found = terms.get(tbytes)
            if found is None:
                terms[tbytes] = [posting]
                new += 1
                extra += len(tbytes)
            else:
                found.append(posting)
            added += 1
            if vbytes:
                extra += len(vbytes)
        self.count += added
        self.size += added * self.POSTING_BYTES + new * self.TERM_BYTES + extra
        if self.size > self.limit:
            self.save()
        return length

    def add(self, item) -> None:
        """Add one ``(field, term bytes, docnum, weight, value bytes)`` posting (merges, spelling words)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        self.add_field(fieldname, docnum, ((tbytes, 0, weight, vbytes),), 1.0, False)

    def save(self) -> None:
        """Write the terms held in memory to a new sorted run on disk and forget them."""
        fd, path = tempfile.mkstemp(suffix=".run", dir=self.tempdir)
        self.runs.append(path)
        with os.fdopen(fd, "wb", buffering=1 << 20) as f:
            chunk: list = []
            held = 0
            # in chunks of terms: one marshal call per posting or per term would cost more than the
            # sort; a chunk is what the merge holds of each run, so it is bounded in memory
            for item in self._memory():
                chunk.append(item)
                held += self.TERM_BYTES + self.POSTING_BYTES * len(item[1])
                if held >= RUN_CHUNK_BYTES:
                    _write_chunk(f, chunk)
                    chunk, held = [], 0
            if chunk:
                _write_chunk(f, chunk)
        self.fields, self.size = {}, 0

    def _memory(self):
        """Yield ``((field, term), postings)`` of the terms held in memory, in key order."""
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for tbytes in sorted(terms):
                yield (fieldname, tbytes), terms[tbytes]

    def _report(self, done: int) -> None:
        if self.progress is not None:
            self.progress("merge", done, self.count, detail=f"{len(self.runs)} runs triés" if not done else None)

    def iter_postings(self):
        """Return every posting, sorted by field, term and docnum, as ``FieldWriter.add_postings`` wants."""
        return Grouped(self)

    def iter_terms(self):
        """Yield ``(field, term bytes, [(docnum, weight, value)…])`` in order, postings sorted by docnum."""
        self._report(0)
        done, every = 0, 200_000
        next_report = every
        for (fieldname, btext), postings in self._terms():
            if not self.ordered:
                postings.sort(key=lambda p: p[0])
            yield fieldname, btext, postings
            done += len(postings)
            if done >= next_report:
                self._report(done)
                next_report = done + every
        self._report(self.count)

    def _terms(self):
        """Yield ``(key, [(docnum, weight, value)…])`` in key order, runs and memory merged."""
        if not self.runs:
            yield from self._memory()
            return
        streams = [_read_run(path) for path in self.runs] + [batched(self._memory(), MEMORY_CHUNK)]
        yield from _merge_chunks(streams)

    def cleanup(self) -> None:
        """Remove the runs written to disk."""
        for path in self.runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self.runs = []


def _write_chunk(f, chunk: list) -> None:
    data = marshal.dumps(chunk)
    f.write(len(data).to_bytes(8, "little"))
    f.write(data)


class Grouped:
    """The postings of a ``TermPool``: a stream of postings for any reader, whole terms for ours."""

    def __init__(self, pool: TermPool):
        self.pool = pool

    def __iter__(self):
        for fieldname, btext, postings in self.pool.iter_terms():
            for docnum, weight, value in postings:
                yield fieldname, btext, docnum, weight, value


#: Terms held in memory are merged with the runs this many at a time.
MEMORY_CHUNK = 4096

_key = itemgetter(0)
_postings = itemgetter(1)


def _merge_chunks(streams):
    """Merge streams of sorted ``(key, postings)`` chunks into ``(key, all postings)``, key by key.

    A key is in one run at most once.  A heap merge pays a Python step and a few comparisons per
    key and run (eight million of them for 20,000 articles in 360 runs, a third of the commit).
    Here, every key up to the smallest last key of the chunks in hand is in hand: those are cut
    from every chunk, put in key order by one stable sort (the streams' order stays among equal
    keys: the order the postings were added) and grouped, all in C.  Each round uses up at least
    one chunk.
    """
    heads = []  # [stream, chunk, position] in stream order
    for stream in streams:
        chunk = next(stream, None)
        if chunk:
            heads.append([stream, chunk, 0])
    while heads:
        bound = min(chunk[-1][0] for _stream, chunk, _pos in heads)
        batch = []
        for head in heads:
            _stream, chunk, pos = head
            if chunk[pos][0] <= bound:
                end = bisect_right(chunk, bound, lo=pos, key=_key)
                batch += chunk[pos:end]  # a slice copies pointers; islice would step over the first pos
                head[2] = end
        batch.sort(key=_key)
        for key, group in itertools.groupby(batch, _key):
            yield key, list(itertools.chain.from_iterable(map(_postings, group)))
        for head in heads:
            if head[2] == len(head[1]):
                head[1], head[2] = next(head[0], None), 0
        heads = [head for head in heads if head[1]]


def _read_run(path: str):
    """Yield the chunks of a sorted run, as ``_write_chunk`` wrote them."""
    with open(path, "rb", buffering=1 << 20) as f:
        while head := f.read(8):
            yield marshal.loads(f.read(int.from_bytes(head, "little")))
