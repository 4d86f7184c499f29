"""The articles of one reindex run, kept on disk rather than in memory until they are written.

A full reindex of a large corpus cannot hold every article dict at once (37,566 articles took
2.27 GB).  Extraction appends each article to an ``ArticleSpool`` (JSON lines in an unnamed
temporary file of the index folder: the system removes it when the run ends, fails or is
killed), and ``Pending`` maps the ids to write to their line, with the few fields a later step
sets (final id, persons) kept beside it.  Each later step (NER, stories, writing) streams the
articles back in the order they were queued.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class ArticleSpool:
    """An append-only file of article dicts, one JSON line each, read back by offset."""

    def __init__(self, folder: os.PathLike | str):
        Path(folder).mkdir(parents=True, exist_ok=True)
        # unnamed (or unlinked at once): nothing is left behind, whatever ends the run
        self._fh = tempfile.TemporaryFile("w+b", dir=folder, prefix=".spool-")
        self._end = 0
        self._reading = False

    def append(self, article: dict) -> int:
        """Write one article; return the offset to read it back with."""
        if self._reading:
            self._fh.seek(0, os.SEEK_END)
            self._reading = False
        line = json.dumps(article, separators=(",", ":")).encode("ascii") + b"\n"  # escapes: lone surrogates too
        offset = self._end
        self._fh.write(line)
        self._end += len(line)
        return offset

    def read(self, offset: int) -> dict:
        """Return the article written at ``offset``."""
        self._reading = True
        self._fh.seek(offset)
        return json.loads(self._fh.readline())

    def close(self) -> None:
        """Close (and so remove) the file."""
        self._fh.close()


class Pending:
    """The articles to write, id → article, read from the spool on demand in insertion order."""

    def __init__(self, spool: ArticleSpool):
        self.spool = spool
        self._where: dict[str, int] = {}
        self._fields: dict[str, dict] = {}  # fields set after spooling (final id, persons)
        self._empty: dict[tuple, dict] = {}  # the shared field sets whose values are all empty

    def __setitem__(self, aid: str, article: dict) -> None:
        self._where.pop(aid, None)  # a re-queued id moves to the end, as in a dict
        self._fields.pop(aid, None)
        self._where[aid] = self.spool.append(article)

    def link(self, aid: str, offset: int, **fields) -> None:
        """Queue the article already spooled at ``offset`` under ``aid``, with ``fields`` replaced."""
        self._where.pop(aid, None)
        self._where[aid] = offset
        if fields:
            self._fields[aid] = fields
        else:
            self._fields.pop(aid, None)

    def set_fields(self, aid: str, **fields) -> None:
        """Replace some fields of a queued article (they are applied when it is read)."""
        merged = {**self._fields[aid], **fields} if aid in self._fields else fields
        if not any(merged.values()):
            # most articles get the same empty fields (no persons): one dict for all of them,
            # not one an article (copied when read, so that no reader changes it)
            merged = self._empty.setdefault(tuple(sorted(merged)), merged)
        self._fields[aid] = merged

    def __getitem__(self, aid: str) -> dict:
        article = self.spool.read(self._where[aid])
        for name, value in self._fields.get(aid, {}).items():
            article[name] = value.copy() if isinstance(value, (list, dict)) else value
        return article

    def __contains__(self, aid) -> bool:
        return aid in self._where

    def __len__(self) -> int:
        return len(self._where)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._where))

    def keys(self) -> list[str]:
        """Return the queued ids, in order."""
        return list(self._where)

    def items(self) -> Iterator[tuple[str, dict]]:
        """Yield ``(id, article)`` in order, one article in memory at a time."""
        for aid in list(self._where):
            yield aid, self[aid]

    def values(self) -> Iterator[dict]:
        """Yield the articles in order, one in memory at a time."""
        for _aid, article in self.items():
            yield article
