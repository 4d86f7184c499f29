"""Named checkpoints where fault-injection tests can freeze or break a running reindex.

A test sets ``PRESSE_FAULT_PAUSE=<name>`` and ``PRESSE_FAULT_FILE=<path>`` in the environment of
a reindex subprocess; when the run reaches that checkpoint it creates the file (holding its pid)
and sleeps, so the test can ``kill -9`` it at a known point.  ``PRESSE_FAULT_RAISE=<name>:<ERRNO>``
(e.g. ``commit:ENOSPC``) makes the checkpoint raise that ``OSError`` instead, as a full or
read-only disk would.  Without those variables a checkpoint costs two dictionary lookups.
"""

from __future__ import annotations

import errno
import os
import time

#: The checkpoints a full reindex passes, in order (an incremental run passes extract, ner, commit).
CHECKPOINTS = ("extract", "ner", "commit", "swap")

PAUSE_ENV = "PRESSE_FAULT_PAUSE"
FILE_ENV = "PRESSE_FAULT_FILE"
RAISE_ENV = "PRESSE_FAULT_RAISE"


def checkpoint(name: str) -> None:
    """Pause forever or raise an OSError here when the environment asks for it (tests only)."""
    if os.environ.get(PAUSE_ENV) == name:
        _pause()
    spec = os.environ.get(RAISE_ENV)
    if spec:
        where, _, code = spec.partition(":")
        if where == name:
            number = getattr(errno, code or "EIO", None)
            if not isinstance(number, int):
                number = errno.EIO
            raise OSError(number, os.strerror(number))


def _pause() -> None:
    marker = os.environ.get(FILE_ENV)
    if marker:
        # write then rename, so that a test polling for the file never reads it half-written
        tmp = f"{marker}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        os.replace(tmp, marker)
    while True:  # the test kills us
        time.sleep(3600)
