"""Streams of records handled in bounded memory (extraction, NER, writing, export, bulk requests)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` items, in order, one list in memory at a time."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def release_memory() -> None:
    """Collect garbage and hand the allocator's free pages back to the system where it can (glibc)."""
    import ctypes
    import gc

    gc.collect()
    # Many small arrays freed at once leave free pages inside the heap: without a trim they stay
    # in the process's RSS, although the next step would reuse only part of them.
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass  # another C library: its own policy applies
