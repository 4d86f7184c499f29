"""On-disk layout of the index folder: generations, the live pointer, and the writer lock.

An index folder (``PRESSE_INDEX_DIR``, default ``var/index``) holds one Whoosh index per
*generation* (``gen-*`` sub-folders) and a ``CURRENT`` file naming the live one.  A full
reindex builds a new generation beside the live one and publishes it by atomically replacing
``CURRENT``; readers that see the pointer change reopen.  The writer lock is an ``flock`` on
``.lock``: the kernel drops it when its holder dies, so a ``kill -9`` never leaves a stale lock.
"""

from __future__ import annotations

import errno
import fcntl
import multiprocessing.util
import os
import signal
import shutil
import stat
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

CURRENT = "CURRENT"
LOCK = ".lock"
GEN_PREFIX = "gen-"
#: Hidden folders a run writes before the generation they go into (left behind only by a crash).
STAGED_PREFIX = ".staged-"


class IndexBusy(RuntimeError):
    """Raised when another reindex holds the writer lock."""


class NoIndex(RuntimeError):
    """Raised when the index folder has no live generation."""


def default_index_dir() -> Path:
    """Return the index folder from ``PRESSE_INDEX_DIR``, else ``var/index``."""
    return Path(os.environ.get("PRESSE_INDEX_DIR") or "var/index")


def default_source_dir() -> Path:
    """Return the source folder from ``PRESSE_SOURCE_DIR``, else ``seeds``."""
    return Path(os.environ.get("PRESSE_SOURCE_DIR") or "seeds")


def read_small_file(path: os.PathLike | str, limit: int = 4096) -> bytes:
    """Return the first ``limit`` bytes of a regular file; raise OSError for anything else.

    Opened non-blocking and checked on the descriptor, so that a FIFO or a device put in place
    of the file fails at once instead of hanging every reader.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.read(fd, limit)
    finally:
        os.close(fd)


def live_path(index_dir: os.PathLike | str) -> Path | None:
    """Return the live generation folder, or None when there is none."""
    index_dir = Path(index_dir)
    try:
        name = read_small_file(index_dir / CURRENT).decode("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # not a regular file: no live index
            return None
        raise
    if not name or "/" in name or name.startswith("."):
        return None
    path = index_dir / name
    return path if path.is_dir() else None


def new_generation(index_dir: os.PathLike | str) -> Path:
    """Create and return an empty folder for a new generation."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = index_dir / f"{GEN_PREFIX}{stamp}-{os.getpid()}"
    path.mkdir()
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for entry in path.iterdir():
        if entry.is_file():
            with open(entry, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(path)


def publish(index_dir: os.PathLike | str, generation: os.PathLike | str) -> None:
    """Make ``generation`` the live index with one atomic rename, then prune old ones."""
    index_dir = Path(index_dir)
    generation = Path(generation)
    _fsync_tree(generation)
    tmp = index_dir / f".{CURRENT}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(generation.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    previous = live_path(index_dir)
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    prune(index_dir, keep={generation.name, previous.name if previous else ""})


def prune(index_dir: os.PathLike | str, keep: set[str] | None = None) -> list[str]:
    """Remove generation folders that are neither live nor in ``keep``; return their names.

    The previous generation is normally kept so that a reader that read the old pointer just
    before the swap can still open it; anything older, or left by a crashed run, goes.
    """
    index_dir = Path(index_dir)
    live = live_path(index_dir)
    keep = set(keep or ())
    if live is not None:
        keep.add(live.name)
    removed = []
    for entry in sorted(index_dir.glob(f"{GEN_PREFIX}*")):
        if entry.name in keep or not entry.is_dir():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
    for tmp in index_dir.glob(f".{CURRENT}.*.tmp"):
        tmp.unlink(missing_ok=True)
    for staged in index_dir.glob(f"{STAGED_PREFIX}*"):  # pruning runs under the writer lock: none is in use
        shutil.rmtree(staged, ignore_errors=True)
    return removed


class _AfterFork:
    """A weak-referenceable token for ``multiprocessing.util.register_after_fork``."""



def _child_setup(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
    try:  # Linux: deliver SIGKILL to this worker when its parent dies
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)  # the parent died before prctl took effect
    except (OSError, AttributeError):
        pass


@contextmanager
def writer_lock(index_dir: os.PathLike | str, wait: bool = False, timeout: float | None = None):
    """Hold the index folder's writer lock; raise IndexBusy if taken and not waiting."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if not wait or (deadline is not None and time.monotonic() >= deadline):
                    raise IndexBusy(
                        f"another reindex is running on {index_dir} (lock held); "
                        "wait for it to finish or use --wait"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        # Worker processes forked while the lock is held (Whoosh's multiprocessing writer,
        # spaCy's n_process) inherit the descriptor; they close their copy so that the lock
        # lives and dies with this process only, and die with it when it is killed.
        # (the registry holds the token weakly: dropping it in `finally` unregisters the hook)
        token = _AfterFork()
        multiprocessing.util.register_after_fork(token, lambda _obj, fd=fd: _child_setup(fd))
        yield
    finally:
        token = None
        os.close(fd)  # closing the descriptor releases the flock


class IndexHandle:
    """A shared, lazily reopened Whoosh index and searcher for one index folder.

    ``searcher()`` is cheap to call per request: it reopens only when ``CURRENT`` names another
    generation or the live generation has committed new segments.  Thread-safe.
    """

    def __init__(self, index_dir: os.PathLike | str, check_interval: float = 0.5):
        self.index_dir = Path(index_dir)
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._gen: Path | None = None
        self._ix = None
        self._searcher = None
        self._checked = 0.0
        self.version = 0  # bumps whenever a new searcher is opened; caches key on it

    def _open(self):
        from whoosh import index as windex

        for _attempt in range(5):
            gen = live_path(self.index_dir)
            if gen is None:
                raise NoIndex(f"no index in {self.index_dir}; run `presse reindex` first")
            try:
                ix = windex.open_dir(str(gen))
                return gen, ix
            except (OSError, windex.EmptyIndexError):
                time.sleep(0.05)  # the pointer moved under us: read it again
        raise NoIndex(f"the index in {self.index_dir} could not be opened")

    def searcher(self):
        """Return an up-to-date Whoosh searcher (do not close it; the handle owns it)."""
        now = time.monotonic()
        with self._lock:
            if self._searcher is not None and now - self._checked < self.check_interval:
                return self._searcher
            self._checked = now
            gen = live_path(self.index_dir)
            stale = self._searcher is None or gen != self._gen
            if not stale:
                try:
                    stale = self._ix.latest_generation() != self._searcher.reader().generation()
                except OSError:
                    stale = True
            if stale:
                # A fresh searcher rather than refresh(): refresh() closes resources that
                # another thread may still be reading; the old searcher is left to the GC.
                self._gen, self._ix = self._open()
                self._searcher = self._ix.searcher()
                self.version += 1
            return self._searcher

    @property
    def generation(self) -> Path | None:
        """The generation folder currently open."""
        return self._gen

    def close(self) -> None:
        """Close the searcher."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix = self._gen = None
