"""The segment writer of a reindex: Whoosh's ``SegmentWriter``, with less work per posting.

Two changes, neither visible in the index (a test compares every posting with the stock writer's):

* the postings go to a ``TermPool`` (``search.index.codec``), which groups them by term instead
  of sorting and pickling each one;
* a text indexed in several fields (the stemmed, exact and pair copies of a title, a body, the
  comments) is tokenised once per document: each field's terms and positions come from the
  analyzer's ``index_positions`` and one shared memo, instead of a stream of Token objects per
  field.  Fields with other analyzers or formats take Whoosh's own path.
"""

from __future__ import annotations

from whoosh.compat import dumps
from whoosh.formats import Positions
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from search.index.codec import TermPool, WriteCodec


class PresseWriter(SegmentWriter):
    """A ``SegmentWriter`` with the write codec, a term-grouped pool and shared text analysis."""

    def __init__(self, ix, progress=None, limitmb: int = 256, **kwargs):
        super().__init__(ix, limitmb=limitmb, codec=WriteCodec(), **kwargs)
        # runs go to the writer's temporary folder, which Whoosh removes when the writer finishes
        self.pool = TermPool(getattr(self._tempstorage, "folder", None), limitmb=limitmb, progress=progress)

    def add_document(self, **fields):
        """Add one document, as ``SegmentWriter.add_document`` does (same postings, stored values, columns)."""
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
                    items = _items(field, value, memo)
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


def _items(field, value, memo: dict):
    """Return the ``(term bytes, freq, weight, value bytes)`` of ``value`` in ``field``, as ``field.index``."""
    index_positions = getattr(field.analyzer, "index_positions", None) if hasattr(field, "analyzer") else None
    fmt = field.format
    if index_positions is None or type(fmt) is not Positions or not isinstance(value, str):
        return field.index(value)
    fb = fmt.field_boost
    out = []
    for text, poslist in index_positions(value, memo).items():
        n = len(poslist)
        # Positions.encode: the count, then the pickled gaps between positions
        deltas = [poslist[0]] + [b - a for a, b in zip(poslist, poslist[1:])] if n > 1 else poslist
        out.append((text.encode("utf-8"), n, n * fb, pack_uint(n) + dumps(deltas, 2)))
    return out


def open_writer(ix, progress=None, limitmb: int = 256) -> PresseWriter:
    """Return a writer of one new segment of ``ix`` (write codec, postings pooled by term)."""
    return PresseWriter(ix, progress=progress, limitmb=limitmb)
