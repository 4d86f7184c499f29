"""A per-search time budget: long matching stops early and the search answers with partial results.

Whoosh's own ``TimeLimitCollector`` starts a timer thread per search and uses SIGALRM, which only
works in a process's main thread (not in a threaded gunicorn worker), so the check here is a
plain clock read every few hundred matched documents.
"""

from __future__ import annotations

import os
import time

from whoosh import collectors

#: Seconds one search may spend matching documents (``PRESSE_SEARCH_TIME_LIMIT``; 0 = no limit).
DEFAULT_SECONDS = 5.0
#: Matched documents between two clock reads.
CHECK_EVERY = 256

MESSAGE = ("Recherche interrompue au bout de {seconds:g} s : les résultats et les décomptes sont "
           "partiels. Précisez la requête (moins de mots en OU, de préfixes ou de mots approchés~).")


def default_seconds() -> float:
    """Return the time limit from ``PRESSE_SEARCH_TIME_LIMIT``, else ``DEFAULT_SECONDS``."""
    try:
        return max(0.0, float(os.environ.get("PRESSE_SEARCH_TIME_LIMIT", DEFAULT_SECONDS)))
    except ValueError:
        return DEFAULT_SECONDS


class Deadline:
    """The time budget of one search; ``hit`` tells whether any step was cut short.

    ``skipped`` tells whether optional work (see :meth:`optional`) was left out for lack of time.
    """

    def __init__(self, seconds: float | None = None):
        self.seconds = default_seconds() if seconds is None else max(0.0, float(seconds))
        self.end = time.monotonic() + self.seconds if self.seconds else None
        self.hit = False
        self.skipped = False
        self._parent: Deadline | None = None

    def optional(self) -> "Deadline":
        """Return a budget ending with this one for optional work, whose running out leaves the results whole."""
        # a suggestion cut short is dropped, while the hits and counts already found stay complete:
        # the child's ``hit`` is its own, and only ``skipped`` is reported to this deadline
        child = Deadline(0)
        child.seconds, child.end, child._parent = self.seconds, self.end, self
        return child

    def expired(self) -> bool:
        """True once the budget is spent (and remembers that results are partial)."""
        if not self.hit and self.end is not None and time.monotonic() >= self.end:
            self.hit = True
            if self._parent is not None:
                self._parent.skipped = True
        return self.hit

    def ids(self, docnums):
        """Yield from ``docnums`` until the budget is spent."""
        for n, docnum in enumerate(docnums):
            if n % CHECK_EVERY == 0 and self.expired():
                return
            yield docnum

    def search(self, searcher, query, **kwargs):
        """Run ``searcher.search(query, **kwargs)`` within the budget; return the (partial) Results."""
        collector = _DeadlineCollector(searcher.collector(**kwargs), self)
        try:
            searcher.search_with_collector(query, collector)
        except collectors.TimeLimit:
            self.hit = True
        return collector.results()

    def message(self) -> str:
        """The French warning shown with partial results."""
        return MESSAGE.format(seconds=self.seconds)


class _DeadlineCollector(collectors.WrappingCollector):
    """Feeds the wrapped collector until the deadline passes, then raises ``TimeLimit``."""

    def __init__(self, child, deadline: Deadline):
        super().__init__(child)
        self.deadline = deadline

    def collect_matches(self):
        child = self.child
        if self.deadline.expired():
            raise collectors.TimeLimit
        for n, sub_docnum in enumerate(child.matches(), 1):
            child.collect(sub_docnum)
            if n % CHECK_EVERY == 0 and self.deadline.expired():
                raise collectors.TimeLimit
