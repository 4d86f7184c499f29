"""A lock held in the cluster, so that two reindexes into one alias never interleave, from any machines.

On Whoosh the writer lock is an ``flock`` on the index folder (``search.index.folder``); an
OpenSearch alias may be written from several machines, so its lock is one document, ``lock``, in
the index ``<alias>.lock``:

* **Taken** by creating the document (``_create``: of two runs creating it at once the cluster
  lets one win). It names its owner (a random token), the host, the pid, when the run started
  and when the lock expires. A run that finds it held refuses (``AliasBusy``, a kind of
  ``IndexBusy``: the CLI exits 3 with Whoosh's message), or waits with ``--wait``.
* **Kept** by a heartbeat thread that pushes the expiry ``TTL`` seconds ahead every ``HEARTBEAT``
  seconds, each write conditional on the sequence number of the last one, so a run whose lock was
  taken over learns it at its next heartbeat instead of writing over the new owner.
* **Taken over** when its expiry has passed: the run holding it died (``kill -9``, a lost
  machine) and nobody renews it. The take-over is conditional on the sequence number it read, so
  of two runs taking over at once only one wins. Times are the cluster's clock (a node's, read
  once per run), so machines whose clocks differ agree on when a lock expires.
* **Released** in a ``finally``, only while still ours. A run that could not release it (the
  cluster stopped answering) leaves a lock that expires by itself after ``TTL`` seconds.

A run stalled longer than ``TTL`` (a suspended machine, a cluster out of reach) may have lost its
lock to another run: ``check()`` renews it, or raises ``LockLost``, right before each write that
publishes (the alias move, the state of an incremental run), so such a run stops without
publishing over the other one.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone

from search.engines import opensearch_index as osi
from search.index.folder import IndexBusy

LOCK_SUFFIX = ".lock"
DOC = "lock"
#: Seconds a lock stays valid without a heartbeat (a crashed run's lock is taken over after that).
TTL = 60.0
#: Seconds between two heartbeats (several per TTL: one lost request does not lose the lock).
HEARTBEAT = 10.0
#: Longest pause between two looks at a held lock while waiting for it.
POLL = 1.0


class AliasBusy(IndexBusy):
    """Raised when another reindex holds the lock of the alias."""


class LockLost(osi.OpenSearchError):
    """Raised when another run took the lock over while this one held it (this run must not publish)."""


def lock_index(alias: str) -> str:
    """Return the name of the index that holds the lock of ``alias``."""
    return alias + LOCK_SUFFIX


def read(client: osi.Client, alias: str) -> dict | None:
    """Return the lock document of ``alias`` (owner, host, pid, started, expires), or None when free."""
    answer = client.request("GET", f"/{lock_index(alias)}/_doc/{DOC}", ok=(200, 404))
    return answer.get("_source") if answer.get("found") else None


def _ensure_index(client: osi.Client, alias: str) -> None:
    body = {"settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": "0-1"}},
            "mappings": {"dynamic": False, "properties": {}}}  # read by id only: nothing to index
    answer = client.request("PUT", f"/{lock_index(alias)}", body, ok=(200, 400))
    error = answer.get("error")
    if error and (error.get("type") if isinstance(error, dict) else "") != "resource_already_exists_exception":
        raise osi.OpenSearchError(f"PUT /{lock_index(alias)}: HTTP 400: {error}", 400)


def _cluster_offset(client: osi.Client) -> float:
    """Return the clock of the node answering minus this machine's, in seconds (0 when it cannot be read)."""
    before = time.time()
    try:
        nodes = client.request("GET", "/_nodes/_local/stats/os?filter_path=nodes.*.timestamp")["nodes"]
        millis = next(iter(nodes.values()))["timestamp"]
    except osi.OpenSearchError as exc:
        if exc.status is None:  # no answer at all: the run cannot go on
            raise
        return 0.0  # a user without the monitor privilege: this machine's clock (keep it on NTP)
    except (KeyError, StopIteration, TypeError):
        return 0.0
    return millis / 1000 - (before + time.time()) / 2


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _holder(doc: dict | None) -> str:
    if not doc:
        return "a run that just ended"
    return f"{doc.get('host') or '?'}, pid {doc.get('pid') or '?'}, since {doc.get('started') or '?'}"


#: Locks held by this process: a fork waits until none of their heartbeats is talking to the cluster.
_HELD: weakref.WeakSet = weakref.WeakSet()
_FORKING: list = []  # the mutexes taken for the fork under way


def _before_fork() -> None:
    for lock in list(_HELD):
        lock._mutex.acquire()
        _FORKING.append(lock._mutex)


def _after_fork() -> None:
    while _FORKING:
        _FORKING.pop().release()


# NER workers are forked while the lock is held: never in the middle of a heartbeat's request
os.register_at_fork(before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork)


class AliasLock:
    """The reindex lock of one alias, as one run holds it (``acquire``, ``check``, ``release``)."""

    def __init__(self, client: osi.Client, alias: str, ttl: float | None = None, heartbeat: float | None = None):
        self.client, self.alias, self.index = client, alias, lock_index(alias)
        self.ttl = TTL if ttl is None else ttl  # read now, not at import: tests shorten them
        self.heartbeat = HEARTBEAT if heartbeat is None else heartbeat
        self.owner = uuid.uuid4().hex
        self.started = ""
        self._offset = 0.0
        self._seq: tuple[int, int] | None = None  # sequence number and primary term of our last write
        self._lost: str | None = None
        self._mutex = threading.Lock()  # held while a request on the lock is under way
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # the heartbeat gives up on a request well before the lock would expire
        self._beat_client = osi.Client(client.url, timeout=max(1.0, min(10.0, self.ttl / 3)), retries=0)

    def now(self) -> float:
        """Return the time on the cluster's clock."""
        return time.time() + self._offset

    def _body(self) -> dict:
        now = self.now()
        return {"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(), "started": self.started,
                "heartbeat": now, "expires": now + self.ttl, "ttl": self.ttl}

    def acquire(self, wait: bool = False, timeout: float | None = None, notify=None) -> dict | None:
        """Take the lock; return the expired lock taken over (None when it was free).

        Raise ``AliasBusy`` when another run holds it, unless ``wait`` (then wait, up to ``timeout``
        seconds when given). ``notify(message)`` is told once that the run waits, and of a take-over.
        """
        self._offset = _cluster_offset(self.client)
        self.started = _when(self.now())
        _ensure_index(self.client, self.alias)
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            taken, other = self._try()
            if taken:
                break
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                raise AliasBusy(self._busy_message(other))
            if notify is not None and not told:
                notify(f"waiting: another reindex is running on the OpenSearch alias {self.alias} "
                       f"({_holder(other)})")
                told = True
            time.sleep(min(POLL, max(0.05, self.ttl / 4)))
        _HELD.add(self)
        self._thread = threading.Thread(target=self._beat, name="presse-lock-heartbeat", daemon=True)
        self._thread.start()
        if other is not None and notify is not None:
            notify(f"note: took over the lock of a reindex that stopped renewing it ({_holder(other)}; "
                   f"expired {max(0, round(self.now() - float(other.get('expires') or 0)))} s ago)")
        return other

    def _busy_message(self, other: dict | None) -> str:
        left = max(0, round(float((other or {}).get("expires") or 0) - self.now()))
        return (f"another reindex is running on the OpenSearch alias {self.alias} (lock held by {_holder(other)}; "
                f"taken over if not renewed within {left} s); wait for it to finish or use --wait")

    def _try(self) -> tuple[bool, dict | None]:
        """Create the lock, or take over an expired one; return (taken, the lock found)."""
        for _attempt in range(20):  # each turn: the lock changed hands between our two requests
            answer = self.client.request("PUT", f"/{self.index}/_create/{DOC}", self._body(), ok=(200, 201, 409))
            if answer.get("result") == "created":
                self._seq = (answer["_seq_no"], answer["_primary_term"])
                return True, None
            found = self.client.request("GET", f"/{self.index}/_doc/{DOC}", ok=(200, 404))
            if not found.get("found"):
                continue  # released in between: create it again
            doc = found["_source"]
            if doc.get("owner") == self.owner:  # our own creation, retried by the client after a lost answer
                self._seq = (found["_seq_no"], found["_primary_term"])
                return True, None
            if float(doc.get("expires") or 0) > self.now():
                return False, doc
            if self._write_if((found["_seq_no"], found["_primary_term"]), self.client):
                return True, doc
        return False, None

    def _write_if(self, seq: tuple[int, int], client: osi.Client) -> bool:
        """Write our lock over the version ``seq``; return False when it changed (someone else wrote it)."""
        answer = client.request("PUT", f"/{self.index}/_doc/{DOC}?if_seq_no={seq[0]}&if_primary_term={seq[1]}",
                                self._body(), ok=(200, 201, 404, 409))
        if answer.get("result") not in ("created", "updated"):
            # a conflict with our own write, retried by the client after its answer was lost, is no conflict
            answer = client.request("GET", f"/{self.index}/_doc/{DOC}", ok=(200, 404))
            if not answer.get("found") or answer["_source"].get("owner") != self.owner:
                return False
        self._seq = (answer["_seq_no"], answer["_primary_term"])
        return True

    def _renew(self, client: osi.Client) -> None:
        """Push the expiry ahead (the mutex held); raise LockLost when the lock is no longer ours."""
        if self._lost is None and (self._seq is None or not self._write_if(self._seq, client)):
            self._lost = (f"the reindex lock of the OpenSearch alias {self.alias} was taken over by "
                          f"{_holder(read(client, self.alias))}: this run stopped without publishing")
        if self._lost is not None:
            raise LockLost(self._lost, 409)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            with self._mutex:
                if self._stop.is_set():
                    return
                try:
                    self._renew(self._beat_client)
                except LockLost:
                    return
                except osi.OpenSearchError:
                    continue  # no answer: the next beat tries again (``check`` renews before publishing)

    def check(self) -> None:
        """Renew the lock now; raise ``LockLost`` when another run took it over (then do not publish)."""
        with self._mutex:
            self._renew(self.client)

    def release(self) -> None:
        """Stop the heartbeat and delete the lock if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._beat_client.timeout + 1)
        with self._mutex:
            _HELD.discard(self)
            if self._seq is not None and self._lost is None:
                seq, self._seq = self._seq, None
                self.client.request("DELETE", f"/{self.index}/_doc/{DOC}?if_seq_no={seq[0]}&if_primary_term={seq[1]}",
                                    ok=(200, 404, 409))


@contextmanager
def hold(client: osi.Client, alias: str, *, wait: bool = False, timeout: float | None = None, notify=None):
    """Hold the reindex lock of ``alias`` for the block; raise ``AliasBusy`` if taken and not waiting."""
    lock = AliasLock(client, alias)
    lock.acquire(wait=wait, timeout=timeout, notify=notify)
    try:
        yield lock
    finally:
        try:
            lock.release()
        except osi.OpenSearchError:
            pass  # the cluster does not answer: the lock expires by itself after TTL seconds
