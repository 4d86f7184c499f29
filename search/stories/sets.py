"""The shingle sets of a ``StoryIndex`` and their MinHash signatures, by slot, held mostly on disk.

A full reindex groups every article of the corpus at once: held in memory, the sets alone take
about 1.6 KB an article (1.6 GB at a million). ``ShingleSets`` keeps only the newest sets in
memory; every ``SPILL_BYTES`` of them get their signatures computed and are appended to an
anonymous temporary file, from which a set is read back (``pread``, never a mapping, so that
reading does not keep the pages in the process) when a candidate pair is verified or the
grouping is saved.  A saved grouping's sets are read the same way from its ``.npy`` file.  The
signatures (512 bytes an article) wait in a second temporary file until ``take_signatures``
reads them into the one array the grouping keeps.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from pathlib import Path

import numpy as np

from search.stories import minhash

#: Sets held in memory before they are signed and spilled (bytes of shingles).
SPILL_BYTES = 16 << 20
#: Bytes copied at a time when sets are streamed into a saved file.
_COPY_BYTES = 8 << 20
_ITEM = 4  # bytes of one shingle (uint32)
_SIGNATURE = minhash.PERMUTATIONS * 4  # bytes of one signature
#: Signatures read back at a time.
_SIGNATURE_ROWS = 8192


class _Segment:
    """Sets end to end in one file (a saved ``.npy`` or the spill file): ``fd``, data start, offsets."""

    def __init__(self, fd: int, start: int, offsets, owned: bool):
        self.fd, self.start, self.offsets, self.owned = fd, start, offsets, owned

    def read(self, i: int) -> np.ndarray:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        if hi == lo:
            return np.zeros(0, dtype=np.uint32)
        data = _pread_exact(self.fd, (hi - lo) * _ITEM, self.start + lo * _ITEM, "a shingle set")
        return np.frombuffer(data, dtype="<u4").astype(np.uint32, copy=False)

    def copy_range(self, fh, i: int, j: int) -> None:
        """Write sets ``i:j`` to ``fh`` as they are stored, a bounded buffer at a time."""
        pos, end = self.start + int(self.offsets[i]) * _ITEM, self.start + int(self.offsets[j]) * _ITEM
        while pos < end:
            data = os.pread(self.fd, min(_COPY_BYTES, end - pos), pos)
            if not data:
                raise OSError("short read while copying shingle sets")
            fh.write(data)
            pos += len(data)


class ShingleSets:
    """Shingle sets by slot (appended, never changed), their sizes, and the signatures of new ones."""

    def __init__(self, spill_dir: os.PathLike | str | None = None):
        self.spill_dir = spill_dir
        self._segments: list[tuple[int, _Segment]] = []  # (first slot, segment), in slot order
        self._spill: _Segment | None = None
        self._recent: list[np.ndarray] = []
        self._recent_bytes = 0
        self._sizes = array("q")
        # Signatures of slots ``_first_new`` to ``_n_signed``, in that order, in a temporary file;
        # the slots before ``_first_new`` came from a saved file or were handed over already.
        self._first_new = self._n_signed = 0
        self._signature_fd: int | None = None

    @classmethod
    def saved(cls, path: os.PathLike | str, offsets: np.ndarray, spill_dir=None) -> ShingleSets:
        """Return the sets of a saved ``.npy`` file (one set per slot, ``offsets`` of ``n + 1`` values)."""
        sets = cls(spill_dir)
        fd = os.open(str(path), os.O_RDONLY)
        try:
            with os.fdopen(os.dup(fd), "rb") as fh:
                version = np.lib.format.read_magic(fh)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, _order, dtype = read_header(fh)
                start = fh.tell()
            if dtype != np.dtype("<u4") or len(shape) != 1 or shape[0] != int(offsets[-1]):
                raise ValueError("shingle file does not match its offsets")
        except BaseException:
            os.close(fd)
            raise
        offsets = np.asarray(offsets, dtype=np.int64)
        sets._segments.append((0, _Segment(fd, start, offsets, owned=True)))
        sets._sizes = array("q", np.diff(offsets).tolist())
        sets._first_new = sets._n_signed = len(offsets) - 1
        return sets

    def __len__(self) -> int:
        return len(self._sizes)

    def size(self, slot: int) -> int:
        """Return the number of shingles in one set."""
        return self._sizes[slot]

    def sizes(self, slots: np.ndarray) -> np.ndarray:
        """Return the number of shingles of each set of ``slots``."""
        sizes = np.frombuffer(self._sizes, dtype=np.int64) if len(self._sizes) else np.zeros(0, dtype=np.int64)
        return sizes[np.asarray(slots, dtype=np.int64)]

    def append(self, values: np.ndarray) -> int:
        """Add one set (sorted distinct uint32); return its slot."""
        slot = len(self._sizes)
        values = np.ascontiguousarray(values, dtype=np.uint32)
        self._recent.append(values)
        self._sizes.append(len(values))
        self._recent_bytes += values.nbytes
        if self._recent_bytes >= SPILL_BYTES:
            self._spill_recent()
        return slot

    def __getitem__(self, slot: int) -> np.ndarray:
        slot = int(slot)
        recent_start = len(self._sizes) - len(self._recent)
        if slot >= recent_start:
            return self._recent[slot - recent_start]
        for first, segment in reversed(self._segments):
            if slot >= first:
                return segment.read(slot - first)
        raise IndexError(slot)

    def take_signatures(self, slots: np.ndarray) -> np.ndarray:
        """Return the ``(len(slots), PERMUTATIONS)`` signatures of new slots, and forget every new signature.

        Called once per grouping with every slot added since the last call: the slots not asked
        for are sets replaced or removed before they were grouped.  Only the array returned and
        one block of the file are in memory at once.
        """
        self._sign_recent()
        rows = np.asarray(slots, dtype=np.int64) - self._first_new
        out = np.full((len(rows), minhash.PERMUTATIONS), minhash.EMPTY, dtype=np.uint32)
        signed = self._n_signed - self._first_new
        for start in range(0, signed, _SIGNATURE_ROWS):
            stop = min(signed, start + _SIGNATURE_ROWS)
            mask = (rows >= start) & (rows < stop)
            if mask.any():
                out[mask] = self._read_signatures(start, stop)[rows[mask] - start]
        self._first_new = self._n_signed
        if self._signature_fd is not None:
            os.ftruncate(self._signature_fd, 0)
        return out

    def write(self, fh, slots: np.ndarray) -> None:
        """Write the sets of ``slots`` end to end to ``fh`` (file reads in runs, never all of them in memory)."""
        slots = np.asarray(slots, dtype=np.int64)
        if not len(slots):
            return
        # runs of consecutive slots, each copied in one go
        cuts = np.flatnonzero(np.diff(slots) != 1) + 1
        for run in np.split(slots, cuts):
            self._write_run(fh, int(run[0]), int(run[-1]) + 1)

    def close(self) -> None:
        """Close the files read (the spill files go with them)."""
        fds = [segment.fd for _first, segment in getattr(self, "_segments", ()) if segment.owned]
        fds += [fd for fd in [getattr(self, "_signature_fd", None)] if fd is not None]
        for fd in fds:
            try:
                os.close(fd)
            except Exception:  # closed already, or the interpreter is shutting down
                pass
        self._segments, self._spill, self._recent, self._signature_fd = [], None, [], None

    def __del__(self):
        self.close()

    # -- inside ----------------------------------------------------------------------------

    def _write_run(self, fh, lo: int, hi: int) -> None:
        """Write the consecutive slots ``lo:hi``, segment by segment."""
        recent_start = len(self._sizes) - len(self._recent)
        for first, segment in self._segments:
            n = len(segment.offsets) - 1
            a, b = max(lo, first), min(hi, first + n)
            if a < b:
                segment.copy_range(fh, a - first, b - first)
        for slot in range(max(lo, recent_start), hi):
            fh.write(self._recent[slot - recent_start].astype("<u4", copy=False).tobytes())

    def _sign_recent(self) -> None:
        """Compute the signatures of the sets held in memory that have none yet."""
        recent_start = len(self._sizes) - len(self._recent)
        unsigned = self._recent[self._n_signed - recent_start:]
        if not unsigned:
            return
        data = minhash.signatures(unsigned).astype("<u4", copy=False).tobytes()
        if self._signature_fd is None:
            self._signature_fd = self._temporary("presse-signatures-")
        _pwrite_all(self._signature_fd, data, (self._n_signed - self._first_new) * _SIGNATURE)
        self._n_signed += len(unsigned)

    def _read_signatures(self, start: int, stop: int) -> np.ndarray:
        """Return the signatures of rows ``start:stop`` of the signature file."""
        data = _pread_exact(self._signature_fd, (stop - start) * _SIGNATURE, start * _SIGNATURE, "signatures")
        return np.frombuffer(data, dtype="<u4").reshape(stop - start, minhash.PERMUTATIONS)

    def _spill_recent(self) -> None:
        """Sign the sets held in memory and append them to the spill file."""
        self._sign_recent()
        if self._spill is None:
            self._spill = _Segment(self._temporary("presse-shingles-"), 0, array("q", [0]), owned=True)
            self._segments.append((len(self._sizes) - len(self._recent), self._spill))
        spill = self._spill
        data = b"".join(part.astype("<u4", copy=False).tobytes() for part in self._recent)
        _pwrite_all(spill.fd, data, spill.offsets[-1] * _ITEM)
        for part in self._recent:
            spill.offsets.append(spill.offsets[-1] + len(part))
        self._recent, self._recent_bytes = [], 0

    def _temporary(self, prefix: str) -> int:
        """Return the descriptor of a new temporary file in ``spill_dir``, unlinked already."""
        folder = None
        if self.spill_dir is not None:
            Path(self.spill_dir).mkdir(parents=True, exist_ok=True)
            folder = str(self.spill_dir)
        fh = tempfile.TemporaryFile(prefix=prefix, dir=folder)
        fd = os.dup(fh.fileno())
        fh.close()  # the duplicate keeps the (already unlinked) file open
        return fd


def _pread_exact(fd: int, size: int, offset: int, what: str) -> bytes:
    """Return ``size`` bytes of ``fd`` at ``offset``; OSError when the file is shorter."""
    data = os.pread(fd, size, offset)
    if len(data) != size:
        raise OSError(f"short read of {what} ({len(data)} of {size} bytes)")
    return data


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    """Write all of ``data`` at ``offset`` of ``fd``."""
    view, written = memoryview(data), 0
    while written < len(data):
        written += os.pwrite(fd, view[written:], offset + written)
