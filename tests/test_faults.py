"""Faults during a reindex: messy sources, kill -9 at each checkpoint, searches meanwhile, full or
read-only disks, concurrent runs. The previous index always keeps serving."""

from __future__ import annotations

import errno
import gc
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.index import faults
from search.index import reindex as indexer
from search.index import folder as store
from search.cli import main
from search.query.service import SearchService
from search.query.request import SearchRequest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ("{title}\n\nLa sécurité au Mali reste la priorité du gouvernement de transition, selon le "
        "communiqué numéro {n}. Les forces armées ont renforcé leur présence à Bamako et dans le "
        "centre du pays.\n\nLes habitants interrogés saluent ces mesures.\n")


def write_pages(folder: Path, count: int, start: int = 0, word: str = "sécurité") -> list[str]:
    """Write ``count`` small French pages into ``folder``; return their ids (file stems)."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for n in range(start, start + count):
        stem = f"page{n:04d}"
        title = f"Bamako : point sur la {word} numéro {n}"
        (folder / f"{stem}.txt").write_text(PAGE.format(title=title, n=n), "utf-8")
        ids.append(stem)
    return ids


def snapshot(index_dir: Path, queries=("securite", "bamako", "")) -> dict:
    """Return what a fresh SearchService answers for a few queries (ids and totals)."""
    svc = SearchService(index_dir)
    try:
        return {q: answer(svc, q) for q in queries}
    finally:
        svc.handle.close()


def answer(svc: SearchService, q: str) -> tuple[int, list[str]]:
    """Return (total, ids of the first page) for a query."""
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "100"}))
    return res.total, sorted(h["id"] for h in res.hits)


def presse(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    """Start the real ``presse`` command in a subprocess."""
    return subprocess.Popen([sys.executable, "-m", "search.cli", *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def run_presse(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``presse`` command to completion."""
    proc = presse(*args, env=env)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def reindex_args(src: Path, ix: Path, *extra: str) -> list[str]:
    return ["reindex", "--source", str(src), "--index", str(ix), *extra]


def paused_reindex(tmp_path: Path, src: Path, ix: Path, checkpoint: str, *extra: str) -> subprocess.Popen:
    """Start a reindex that freezes at ``checkpoint``; return it once it is there."""
    marker = tmp_path / f"at-{checkpoint}"
    proc = presse(*reindex_args(src, ix, *extra),
                  env={faults.PAUSE_ENV: checkpoint, faults.FILE_ENV: str(marker)})
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"reindex ended before checkpoint {checkpoint}: {proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"checkpoint {checkpoint} never reached")
        time.sleep(0.05)
    return proc


def kill9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def generations(ix: Path) -> set[str]:
    return {p.name for p in ix.glob(f"{store.GEN_PREFIX}*")}


@pytest.fixture
def built(tmp_path):
    """A source of 30 pages and its index (no persons); the source then gains 10 pages."""
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_pages(src, 30)
    indexer.reindex(src, ix, persons=False)
    before = snapshot(ix)
    assert before["securite"][0] == 30
    write_pages(src, 10, start=100)  # what the interrupted run would have added
    return src, ix, before


# --- 1. messy source folders -------------------------------------------------------------------

def test_messy_source_folder_indexes_every_good_file_and_names_every_skipped_one(tmp_path, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    good = write_pages(src, 2)
    (src / "binaire.txt").write_bytes(bytes(range(256)) * 64)
    (src / "vide.txt").write_bytes(b"")
    (src / "blancs.txt").write_bytes(b"  \n\r\n\t \n")
    page = "Coopération : l’armée malienne reçoit des équipements\n\nLa coopération militaire " \
           "entre le Mali et ses partenaires a été renforcée cette année, a indiqué le ministère.\n"
    (src / "windows1252.txt").write_bytes(page.encode("cp1252"))
    (src / "avec_bom.txt").write_bytes(b"\xef\xbb\xbf" + page.encode("utf-8"))
    (src / "fins_crlf.txt").write_bytes(page.replace("\n", "\r\n").encode("utf-8"))
    with open(src / "enorme.txt", "wb") as fh:  # 30 MB of real text: above the page size limit
        line = ("La sécurité au Mali. " * 50 + "\n").encode("utf-8")
        fh.write(line * (30 * 1024 * 1024 // len(line) + 1))
    (src / "x.txt").mkdir()  # a folder with a page's name: walked like any folder
    write_pages(src / "x.txt", 1, start=500)
    write_pages(src / "a" / "b" / "c", 1, start=600)
    doomed = write_pages(src / "zz", 1, start=700)[0]
    (src / "notes.md").write_text("pas une page", "utf-8")

    real_extract = indexer.extract_file

    def extract_then_delete(sf, **kw):  # a file disappears while the run is under way
        (src / "zz" / f"{doomed}.txt").unlink(missing_ok=True)
        return real_extract(sf, **kw)

    monkeypatch.setattr(indexer, "extract_file", extract_then_delete)
    result = CliRunner().invoke(main, reindex_args(src, ix, "--no-persons"))
    out = result.output
    assert result.exit_code == 0, out
    assert "Traceback" not in out
    ids = {h["id"] for h in SearchService(ix).search(SearchRequest(limit=100, collapse=False)).hits}
    assert ids == set(good) | {"windows1252", "avec_bom", "fins_crlf", "page0500", "page0600"}
    skipped = out.split("skipped:\n", 1)[1].splitlines()
    reasons = {line.strip().split(":", 1)[0]: line.split(":", 1)[1].strip() for line in skipped
               if line.startswith("  ")}
    assert set(reasons) == {"binaire.txt", "vide.txt", "blancs.txt", "enorme.txt", f"zz/{doomed}.txt"}
    assert all(reasons.values()), reasons
    assert "too large" in reasons["enorme.txt"]
    assert "empty" in reasons["vide.txt"]


@pytest.mark.parametrize("stem", ["windows1252", "avec_bom", "fins_crlf"])
def test_odd_encodings_and_line_ends_give_clean_text(tmp_path, stem):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    page = "Coopération : l’armée malienne reçoit des équipements\n\nLa coopération militaire " \
           "entre le Mali et ses partenaires a été renforcée cette année, a indiqué le ministère.\n"
    data = {"windows1252": page.encode("cp1252"), "avec_bom": b"\xef\xbb\xbf" + page.encode("utf-8"),
            "fins_crlf": page.replace("\n", "\r\n").encode("utf-8")}[stem]
    (src / f"{stem}.txt").write_bytes(data)
    indexer.reindex(src, ix, persons=False)
    art = SearchService(ix).article(stem)
    assert art["title"] == "Coopération : l’armée malienne reçoit des équipements"
    assert "\r" not in art["body"] and "\ufeff" not in art["body"]
    assert SearchService(ix).search(SearchRequest(q="cooperation renforcee")).total == 1


# --- 2. kill -9 at each checkpoint -----------------------------------------------------------

@pytest.mark.parametrize("checkpoint", faults.CHECKPOINTS)
def test_kill_9_of_a_full_reindex_leaves_the_previous_index_serving(tmp_path, built, checkpoint):
    src, ix, before = built
    live = store.live_path(ix)
    svc = SearchService(ix)  # a reader open across the crash, like a web worker
    assert answer(svc, "securite") == before["securite"]
    extra = ["--full", "--persons" if checkpoint == "ner" else "--no-persons"]
    proc = paused_reindex(tmp_path, src, ix, checkpoint, *extra)
    kill9(proc)

    assert store.live_path(ix) == live
    assert snapshot(ix) == before
    time.sleep(0.6)  # past the handle's check interval: the reader looks at the pointer again
    assert answer(svc, "securite") == before["securite"]

    # the next run needs no clean-up: no stale lock, and the dead run's generation goes
    done = run_presse(*reindex_args(src, ix, "--no-persons"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert generations(ix) == {store.live_path(ix).name}
    assert not list(ix.glob(f".{store.CURRENT}.*"))
    assert not list(ix.glob(f"{store.STAGED_PREFIX}*"))  # the dead run's staged stories too
    assert snapshot(ix)["securite"][0] == 40
    deadline = time.monotonic() + 5
    while answer(svc, "securite")[0] != 40 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert answer(svc, "securite")[0] == 40


def test_kill_9_during_an_incremental_commit_leaves_the_live_generation_readable(tmp_path, built):
    src, ix, before = built
    live = store.live_path(ix)
    proc = paused_reindex(tmp_path, src, ix, "commit", "--no-persons")
    kill9(proc)
    assert store.live_path(ix) == live
    assert snapshot(ix) == before
    done = run_presse(*reindex_args(src, ix, "--no-persons"))
    assert done.returncode == 0, done.stderr
    assert store.live_path(ix) == live  # incremental: same generation, one more commit
    assert snapshot(ix)["securite"][0] == 40


# --- 3. searches during a full reindex -------------------------------------------------------

@pytest.mark.slow
def test_searches_in_a_loop_during_a_full_reindex_all_succeed(tmp_path):
    from webapp import create_app

    src, ix = tmp_path / "src", tmp_path / "ix"
    write_pages(src, 300)
    indexer.reindex(src, ix, persons=False)
    write_pages(src, 60, start=1000)
    svc = SearchService(ix)
    client = create_app({"INDEX_DIR": str(ix), "TESTING": True}).test_client()
    seen, failures, stop = [], [], threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                seen.append(answer(svc, "securite")[0])
                for url in ("/search?q=securite&outlet=x", "/api/search?q=bamako", "/article/page0001"):
                    resp = client.get(url)
                    if resp.status_code != 200:
                        failures.append((url, resp.status_code))
            except Exception as exc:  # any exception is a failed search
                failures.append(repr(exc))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        done = run_presse(*reindex_args(src, ix, "--full", "--no-persons"), timeout=300)
        deadline = time.monotonic() + 5
        while (not seen or seen[-1] != 360) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 0, done.stderr
    assert failures == []
    assert len(seen) > 10
    assert set(seen) <= {300, 360}  # the old index or the new one, never a mix
    assert seen[0] == 300 and seen[-1] == 360


# --- 4. full disk, read-only index folder --------------------------------------------------

def _assert_clean_failure(code: int, stderr: str, ix: Path, before: dict, live: Path, word: str):
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = error_lines(stderr)
    assert len(lines) == 1 and word in lines[0].lower(), stderr
    assert store.live_path(ix) == live
    assert snapshot(ix) == before


@pytest.mark.parametrize("checkpoint,code,word", [
    ("commit", "ENOSPC", "no space left"),
    ("swap", "ENOSPC", "no space left"),
    ("commit", "EROFS", "read-only"),
])
def test_storage_error_during_a_full_reindex_is_one_clear_line(tmp_path, built, checkpoint, code, word):
    src, ix, before = built
    live = store.live_path(ix)
    done = run_presse(*reindex_args(src, ix, "--full", "--no-persons"),
                      env={faults.RAISE_ENV: f"{checkpoint}:{code}"})
    _assert_clean_failure(done.returncode, done.stderr, ix, before, live, word)
    assert generations(ix) == {live.name}  # the half-written generation is removed
    assert run_presse(*reindex_args(src, ix, "--no-persons")).returncode == 0


def test_disk_full_while_whoosh_writes_segments_is_one_clear_line(built, monkeypatch):
    from whoosh.filedb import structfile

    src, ix, before = built
    live = store.live_path(ix)

    def full_disk(self, *args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(structfile.StructFile, "write", full_disk)
    with warnings.catch_warnings():
        # Whoosh leaves the failed TOC file to the garbage collector; the process would exit here
        warnings.simplefilter("ignore", ResourceWarning)
        result = CliRunner().invoke(main, reindex_args(src, ix, "--full", "--no-persons"))
        monkeypatch.undo()
        code, stderr = result.exit_code, result.stderr
        del result
        gc.collect()
    _assert_clean_failure(code, stderr, ix, before, live, "no space left")


def test_read_only_index_folder_is_one_clear_line(built, monkeypatch):
    src, ix, before = built
    live = store.live_path(ix)
    real_open = os.open

    def read_only(path, flags, *args, **kw):
        if str(path).startswith(str(ix)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", read_only)
    result = CliRunner().invoke(main, reindex_args(src, ix, "--no-persons"))
    monkeypatch.undo()
    _assert_clean_failure(result.exit_code, result.stderr, ix, before, live, "read-only")


@pytest.fixture
def tmpfs(tmp_path):
    """A real 3 MB tmpfs mount (skipped where mounting is not allowed)."""
    if sys.platform != "linux" or not shutil.which("mount"):
        pytest.skip("needs Linux mount")
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_real_full_disk_gives_one_clear_line_and_keeps_the_index(tmp_path, tmpfs):
    src, ix = tmp_path / "src", tmpfs / "ix"
    write_pages(src, 20)
    indexer.reindex(src, ix, persons=False)
    live, before = store.live_path(ix), snapshot(ix)
    big = src / "gros"
    big.mkdir()
    for n in range(60):  # ~6 MB of distinct words: more than the 3 MB disk can hold
        words = " ".join(f"mot{n}x{k}" for k in range(12_000))
        (big / f"gros{n:03d}.txt").write_text(f"Gros dossier {n}\n\n{words}\n", "utf-8")
    done = run_presse(*reindex_args(src, ix, "--full", "--no-persons"), timeout=300)
    _assert_clean_failure(done.returncode, done.stderr, ix, before, live, "no space left")
    shutil.rmtree(big)
    write_pages(src, 5, start=100)
    done = run_presse(*reindex_args(src, ix, "--no-persons"))
    assert done.returncode == 0, done.stderr
    assert snapshot(ix)["securite"][0] == 25


def test_real_read_only_mount_gives_one_clear_line_and_keeps_serving(tmp_path, tmpfs):
    src, ix = tmp_path / "src", tmpfs / "ix"
    write_pages(src, 20)
    indexer.reindex(src, ix, persons=False)
    live, before = store.live_path(ix), snapshot(ix)
    write_pages(src, 5, start=100)
    res = subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot remount read-only: {res.stderr.strip()}")
    try:
        for extra in ([], ["--full"]):
            done = run_presse(*reindex_args(src, ix, "--no-persons", *extra))
            _assert_clean_failure(done.returncode, done.stderr, ix, before, live, "read-only")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], capture_output=True)
    assert run_presse(*reindex_args(src, ix, "--no-persons")).returncode == 0
    assert snapshot(ix)["securite"][0] == 25


# --- 5. two reindexes at once ----------------------------------------------------------------

def test_second_reindex_refuses_with_exit_3_while_another_runs(tmp_path, built):
    src, ix, before = built
    first = paused_reindex(tmp_path, src, ix, "extract", "--full", "--no-persons")
    try:
        second = run_presse(*reindex_args(src, ix, "--no-persons"))
        assert second.returncode == 3
        lines = error_lines(second.stderr)
        assert len(lines) == 1 and "another reindex is running" in lines[0] and "--wait" in lines[0]
        assert "Traceback" not in second.stderr
        waiting = presse(*reindex_args(src, ix, "--no-persons", "--wait"))
        time.sleep(1.5)
        assert waiting.poll() is None  # it waits for the lock instead of refusing
    finally:
        kill9(first)
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert snapshot(ix)["securite"][0] == 40


def test_two_reindexes_started_together_with_wait_both_succeed_and_leave_one_index(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_pages(src, 120)
    procs = [presse(*reindex_args(src, ix, "--full", "--wait", "--no-persons")) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    live = store.live_path(ix)
    assert live is not None and len(generations(ix)) <= 2
    assert indexer.load_state(live) is not None
    assert snapshot(ix)["securite"][0] == 120
    again = indexer.reindex(src, ix, persons=False)
    assert again.mode == "incremental" and not again.changed


# --- 6. source entries that are not regular files ----------------------------------------------

@pytest.mark.parametrize("make", [os.mkfifo, lambda p: p.symlink_to("/dev/zero")], ids=["fifo", "dev-zero"])
def test_a_sidecar_that_is_a_fifo_or_a_device_never_holds_the_writer_lock(tmp_path, make):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_pages(src, 3)
    make(src / "page0001.json")
    for extra in ([], ["--wait"], ["--full"]):  # each run must end for the next one to get the lock
        proc = presse(*reindex_args(src, ix, "--no-persons", *extra))
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            kill9(proc)
            pytest.fail(f"reindex {extra} hung on a sidecar that is not a regular file")
        assert proc.returncode == 0, err
        assert "page0001.json: sidecar ignored: not a regular file" in out
        assert snapshot(ix)["securite"][0] == 3
