"""The index folder: generations, the CURRENT pointer, the writer lock and IndexHandle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from search.index import reindex as indexer
from search.index import folder as store


def test_no_pointer_means_no_live_generation(tmp_path):
    assert store.live_path(tmp_path) is None
    (tmp_path / "CURRENT").write_text("../etc\n")
    assert store.live_path(tmp_path) is None


def test_publish_moves_the_pointer_and_prunes_older_generations(tmp_path):
    gens = []
    for _ in range(3):
        gens.append(store.new_generation(tmp_path))
        store.publish(tmp_path, gens[-1])
    assert store.live_path(tmp_path) == gens[-1]
    assert not gens[0].exists() and gens[1].exists()  # the previous one stays for open readers


def test_prune_removes_leftovers_of_a_crashed_run(tmp_path):
    live = store.new_generation(tmp_path)
    store.publish(tmp_path, live)
    crashed = store.new_generation(tmp_path)
    assert store.prune(tmp_path) == [crashed.name]
    assert live.exists()


def test_second_writer_is_refused_while_the_lock_is_held(tmp_path):
    with store.writer_lock(tmp_path):
        with pytest.raises(store.IndexBusy, match="--wait"):
            with store.writer_lock(tmp_path):
                pass


def test_waiting_writer_gets_the_lock_once_released(tmp_path):
    with store.writer_lock(tmp_path):
        with pytest.raises(store.IndexBusy):
            with store.writer_lock(tmp_path, wait=True, timeout=0.3):
                pass
    with store.writer_lock(tmp_path, wait=True, timeout=1):
        pass


def test_lock_of_a_killed_holder_is_not_stale(tmp_path):
    code = textwrap.dedent(f"""
        import time
        from search.index import folder as store
        with store.writer_lock({str(tmp_path)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(store.IndexBusy):
            with store.writer_lock(tmp_path):
                pass
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    with store.writer_lock(tmp_path):
        pass


def test_forked_worker_does_not_keep_the_lock(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    with store.writer_lock(tmp_path):
        worker = ctx.Process(target=time.sleep, args=(3,))
        worker.start()
        time.sleep(0.5)  # let the child run its after-fork hooks
    try:
        with store.writer_lock(tmp_path):  # the worker still runs, but holds no lock
            pass
    finally:
        worker.terminate()
        worker.join()


def _write_source(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_handle_sees_an_incremental_commit_and_a_new_generation(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _write_source(src, "a.txt", "Titre un\n\nLa sécurité au Mali.")
    indexer.reindex(src, ix, persons=False)
    handle = store.IndexHandle(ix, check_interval=0)
    try:
        assert handle.searcher().doc_count() == 1
        first = handle.generation
        _write_source(src, "b.txt", "Titre deux\n\nLa coopération militaire.")
        indexer.reindex(src, ix, persons=False)
        assert handle.searcher().doc_count() == 2
        indexer.reindex(src, ix, persons=False, full=True)
        assert handle.searcher().doc_count() == 2 and handle.generation != first
    finally:
        handle.close()


def test_handle_without_an_index_raises_no_index(tmp_path):
    with pytest.raises(store.NoIndex):
        store.IndexHandle(tmp_path).searcher()
