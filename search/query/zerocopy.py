"""Segment files read straight from the shared memory map, without a private copy per process.

Whoosh maps a compound segment file (``*.seg``) with ``mmap`` and opens each sub-file (postings,
terms, stored fields, columns) as a ``BufferFile`` over a slice of that map; but ``BufferFile``
wraps the slice in a ``BytesIO``, which copies it: every searcher process then holds a private
copy of most of the segment (0.5 GB per gunicorn worker for 37,000 articles). The reader here
serves ``read``/``seek``/``readline`` from the map itself, so the pages stay in the page cache,
shared by every worker, and only the bytes asked for are copied. ``PRESSE_MAPPED_SEGMENTS=0``
keeps Whoosh's own copying files (to measure the difference, or should a Whoosh upgrade need it).
"""

from __future__ import annotations

import io
import os

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

_installed = False


class MappedReader(io.RawIOBase):
    """A read-only, seekable file over a memoryview: reads copy only the bytes they return."""

    def __init__(self, buf):
        super().__init__()
        self._buf = memoryview(buf)
        self._len = len(self._buf)
        self._pos = 0

    def readable(self) -> bool:
        """Always true."""
        return True

    def seekable(self) -> bool:
        """Always true."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes from the current position (all the rest when negative)."""
        start = self._pos
        if size is None or size < 0:
            end = self._len
        else:
            end = start + size
            if end > self._len:
                end = self._len if start < self._len else start
        self._pos = end
        return self._buf[start:end].tobytes()

    def readinto(self, b) -> int:
        """Fill ``b`` from the current position; return the number of bytes copied."""
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        """Return bytes up to and including the next newline (or ``size`` bytes)."""
        out = bytearray()
        limit = self._len if size is None or size < 0 else min(self._len, self._pos + size)
        while self._pos < limit:
            chunk = bytes(self._buf[self._pos : min(limit, self._pos + 256)])
            cut = chunk.find(b"\n")
            if cut >= 0:
                chunk = chunk[: cut + 1]
            out += chunk
            self._pos += len(chunk)
            if cut >= 0:
                break
        return bytes(out)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position as ``io`` files do; return it."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._len}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        """Return the position."""
        return self._pos


class MappedBufferFile(BufferFile):
    """Whoosh's ``BufferFile`` over the map itself instead of a ``BytesIO`` copy of it."""

    def __init__(self, buf, name=None, onclose=None):  # BufferFile.__init__ would copy ``buf``
        self._buf = buf
        self._name = name
        self.file = MappedReader(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def subset(self, position, length, name=None):
        """Return a sub-file over a slice of the same map (no copy)."""
        return MappedBufferFile(self._buf[position : position + length], name=name or self._name)


def install() -> None:
    """Make Whoosh's compound segments open their sub-files over the shared map (idempotent)."""
    global _installed
    if not _installed and os.environ.get("PRESSE_MAPPED_SEGMENTS", "1") != "0":
        compound.BufferFile = MappedBufferFile
        _installed = True
