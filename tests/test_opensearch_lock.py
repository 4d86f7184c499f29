"""The reindex lock of an OpenSearch alias, and the reindex options on OpenSearch, against a real node.

Two runs into one alias never interleave: the second refuses with Whoosh's message and exit
status, or waits with ``--wait``; a run killed with ``kill -9`` leaves a lock that is taken over once
its heartbeat has expired; a run that fails releases its lock; a run that stalled until its lock
was taken over publishes nothing. ``--procs`` sets the persons step's processes and the bulk
requests in flight, and ``--follow-external-links`` indexes what it indexes on Whoosh. The node
comes from ``tests/test_opensearch_engine.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import main as cli
from search.engines import opensearch_index as osi
from search.engines import opensearch_lock as lk
from search.engines import opensearch_reindex as osr
from search.engines import opensearch_state as st
from search.engines.opensearch import OpenSearchEngine
from search.index import faults
from search.index import reindex as indexer
from search.persons import ner
from search.query.request import SearchRequest
from search.query.service import SearchService
from tests.test_faults import error_lines, kill9, write_pages
from tests.opensearch_node import _alias

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: The lock's TTL in the reindex subprocesses, in seconds: a killed run's lock expires quickly.
SHORT_TTL = 3.0
#: ``presse`` with the lock's TTL and heartbeat shortened (the first argument is the TTL).
PRESSE = ("import sys; from search.engines import opensearch_lock as lk; "
          "lk.TTL = float(sys.argv.pop(1)); lk.HEARTBEAT = lk.TTL / 6; "
          "from search.cli import main; sys.argv[0] = 'presse'; main()")


@pytest.fixture
def engine(opensearch_url, request):
    """Return an engine on an alias of its own; drop its indexes and its lock afterwards."""
    eng = OpenSearchEngine(opensearch_url, alias=_alias(f"lock-{request.node.name[:40]}".lower()))
    yield eng
    for row in eng.client.request("GET", f"/_cat/indices/{eng.alias}*?format=json"):
        eng.client.request("DELETE", f"/{row['index']}", ok=(200, 404))


@pytest.fixture
def on_engine(engine, monkeypatch):
    """Point ``presse`` (in this process) at the engine's alias."""
    monkeypatch.setenv("PRESSE_ENGINE", "opensearch")
    monkeypatch.setenv("PRESSE_OPENSEARCH_URL", engine.client.url)
    monkeypatch.setenv("PRESSE_OPENSEARCH_INDEX", engine.alias)
    return engine


def _env(eng: OpenSearchEngine, **more) -> dict:
    return {**os.environ, "PRESSE_ENGINE": "opensearch", "PRESSE_OPENSEARCH_URL": eng.client.url,
            "PRESSE_OPENSEARCH_INDEX": eng.alias, **more}


def _args(src: Path, local: Path, *extra: str) -> list[str]:
    return ["reindex", "--source", str(src), "--index", str(local), "--no-persons", *extra]


def _start(eng: OpenSearchEngine, args: list[str], ttl: float = SHORT_TTL, **env) -> subprocess.Popen:
    """Start ``presse`` in a subprocess, its lock's TTL shortened to ``ttl`` seconds."""
    return subprocess.Popen([sys.executable, "-c", PRESSE, str(ttl), *args], cwd=ROOT, env=_env(eng, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _paused(eng: OpenSearchEngine, tmp_path: Path, args: list[str]) -> subprocess.Popen:
    """Start a reindex that freezes while it extracts (the lock held); return it once it is there."""
    marker = tmp_path / "at-extract"
    proc = _start(eng, args, **{faults.PAUSE_ENV: "extract", faults.FILE_ENV: str(marker)})
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"the reindex never reached its extraction: {proc.returncode}\n{out}\n{err}")
        time.sleep(0.05)
    return proc


def _ids(eng: OpenSearchEngine) -> list[str]:
    res = eng.search(SearchRequest.from_params({"q": "", "limit": "100", "collapse": "0"}))
    return sorted(h["id"] for h in res.hits)


def _indexes(eng: OpenSearchEngine) -> set[str]:
    return {row["index"] for row in eng.client.request("GET", f"/_cat/indices/{eng.alias}-*?format=json")}


# --------------------------------------------------------------------------- two runs


def test_a_second_reindex_refuses_while_another_runs_and_one_with_wait_takes_over_after_a_kill(engine, tmp_path):
    src = tmp_path / "src"
    write_pages(src, 12)
    first, waiting = _paused(engine, tmp_path, _args(src, tmp_path / "first", "--full")), None
    try:
        second = _start(engine, _args(src, tmp_path / "second"), ttl=lk.TTL)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 3, err
        (line,) = error_lines(err)
        assert f"another reindex is running on the OpenSearch alias {engine.alias}" in line and "--wait" in line
        assert f"{socket.gethostname()}, pid {first.pid}, since " in line and "Traceback" not in err
        assert engine._alias_targets() == [] and _indexes(engine) == set()  # nothing written by either
        waiting = _start(engine, _args(src, tmp_path / "waiting", "--wait"), ttl=lk.TTL)
        time.sleep(2)
        assert waiting.poll() is None  # it waits for the lock instead of refusing
        kill9(first)  # its lock stays behind, renewed by nobody
        out, err = waiting.communicate(timeout=180)
    finally:
        for proc in (first, waiting):
            if proc is not None and proc.poll() is None:
                kill9(proc)
    assert waiting.returncode == 0, err
    assert "waiting: another reindex is running" in err and "took over the lock of a reindex" in err
    assert "reindex full (no index yet)" in out and len(_ids(engine)) == 12
    assert lk.read(engine.client, engine.alias) is None


def test_a_killed_runs_lock_is_taken_over_once_it_expires_and_not_before(on_engine, tmp_path):
    src = tmp_path / "src"
    write_pages(src, 5)
    kill9(_paused(on_engine, tmp_path, _args(src, tmp_path / "killed")))
    killed_at = time.monotonic()
    early = CliRunner().invoke(cli, _args(src, tmp_path / "local"))  # in this process: at once
    assert time.monotonic() - killed_at < SHORT_TTL - SHORT_TTL / 6, "too slow to see the lock before it expires"
    assert early.exit_code == 3 and "taken over if not renewed within" in early.output, early.output
    time.sleep(max(0.0, killed_at + SHORT_TTL + 1 - time.monotonic()))
    late = CliRunner().invoke(cli, _args(src, tmp_path / "local"))
    assert late.exit_code == 0, late.output
    assert "took over the lock of a reindex that stopped renewing it" in late.output
    assert len(_ids(on_engine)) == 5 and lk.read(on_engine.client, on_engine.alias) is None


def test_two_reindexes_started_together_with_wait_both_succeed_and_leave_one_index(engine, tmp_path):
    src = tmp_path / "src"
    write_pages(src, 40)
    procs = [_start(engine, _args(src, tmp_path / f"run{i}", "--full", "--wait"), ttl=lk.TTL) for i in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert sorted("waiting: another reindex is running" in err for _out, err in results) == [False, True]
    (live,) = engine._alias_targets()
    assert _indexes(engine) == {live, osi.vocabulary_index(live), st.state_index(live)}
    assert len(_ids(engine)) == 40 and lk.read(engine.client, engine.alias) is None
    again = osr.reindex_source(engine, src, tmp_path / "again", persons=False)
    assert again["report"].mode == "incremental" and not again["report"].changed


# --------------------------------------------------------------------------- failures


def _refused(*_args, **_kwargs):
    raise osi.OpenSearchError("POST /_bulk: HTTP 500: internal error", 500)


def _interrupted(*_args, **_kwargs):
    raise KeyboardInterrupt


def _item_failed(_client, _index, actions, retries=3):
    return {doc_id: "mapper_parsing_exception: refused" for _op, doc_id, _body in actions[:1]}


@pytest.mark.parametrize("bulk, code, said", [
    (_refused, 2, "could not be written"),
    (_item_failed, 2, "not written"),
    (_interrupted, 130, "interrupted"),
], ids=["cluster-refuses", "one-article-refused", "interrupted"])
def test_a_failed_reindex_releases_the_lock_for_the_next_run(on_engine, tmp_path, monkeypatch, bulk, code, said):
    src = tmp_path / "src"
    write_pages(src, 6)
    with monkeypatch.context() as patch:
        patch.setattr(osi, "bulk_actions", bulk)
        failed = CliRunner().invoke(cli, _args(src, tmp_path / "local"))
    assert failed.exit_code == code and said in failed.output, failed.output
    assert lk.read(on_engine.client, on_engine.alias) is None
    again = CliRunner().invoke(cli, _args(src, tmp_path / "local"))  # no --wait: the lock is free
    assert again.exit_code == 0, again.output
    assert len(_ids(on_engine)) == 6


def _slow_after_the_first(calls, refused: int | None = None):
    def bulk(*args, **kwargs):
        calls.append("sent")
        try:
            if calls.count("sent") == refused:
                raise osi.OpenSearchError("POST /_bulk: HTTP 500: internal error", 500)
            if calls.count("sent") > 1:
                time.sleep(3.0)  # still under way when the run fails (and drops its index)
            return _real_bulk(*args, **kwargs)
        finally:
            calls.append("ended")
    return bulk


def _second_request_refused(calls):
    return _slow_after_the_first(calls, refused=2), lambda *a, **k: None


def _caller_interrupted(calls):
    def progress(step, done, total, **kwargs):
        if step == "write" and done:
            raise KeyboardInterrupt
    return _slow_after_the_first(calls), progress


_real_bulk = osi.bulk_actions


@pytest.mark.parametrize("fail, error", [(_second_request_refused, osi.OpenSearchError),
                                         (_caller_interrupted, KeyboardInterrupt)],
                         ids=["a-request-refused", "the-caller-interrupted"])
def test_a_failure_with_requests_in_flight_waits_for_them_and_leaves_no_index(engine, tmp_path, monkeypatch,
                                                                              fail, error):
    src = tmp_path / "src"
    write_pages(src, 12)
    monkeypatch.setattr(osr, "BULK_SIZE", 1)
    calls: list[str] = []
    bulk, progress = fail(calls)
    monkeypatch.setattr(osi, "bulk_actions", bulk)
    try:
        osr.reindex_source(engine, src, tmp_path / "local", persons=False, procs=4, progress=progress)
    except error:  # counted while the exception and its frames are alive, as in the CLI's handler
        under_way = calls.count("sent") - calls.count("ended")
    else:
        pytest.fail("the run did not fail")
    assert under_way == 0 and 2 <= calls.count("sent") < 12  # none under way: none writes after the drop
    time.sleep(1.5)
    assert len(calls) == 2 * calls.count("sent") and _indexes(engine) == set()
    assert lk.read(engine.client, engine.alias) is None


@pytest.mark.parametrize("full", [True, False], ids=["full", "incremental"])
def test_a_run_whose_lock_was_taken_over_while_it_stalled_publishes_nothing(engine, tmp_path, monkeypatch, full):
    src = tmp_path / "src"
    write_pages(src, 6)
    osr.reindex_source(engine, src, tmp_path / "local", persons=False)
    write_pages(src, 3, start=50, word="coopération")
    live, before = engine._alias_targets(), st.load(engine.client, engine._alias_targets()[0])[0]["token"]
    monkeypatch.setattr(lk, "TTL", 1.0)
    monkeypatch.setattr(lk, "HEARTBEAT", 3600.0)  # the run stalls: no heartbeat renews its lock
    other = lk.AliasLock(engine.client, engine.alias)
    real = osi.bulk_actions

    def stalled(*args, **kwargs):
        if other.started == "":  # the first request: stall past the TTL, and another run takes over
            time.sleep(2.0)
            assert other.acquire() is not None
        return real(*args, **kwargs)

    monkeypatch.setattr(osi, "bulk_actions", stalled)
    try:
        with pytest.raises(lk.LockLost, match="taken over"):
            osr.reindex_source(engine, src, tmp_path / "local", persons=False, full=full)
        assert lk.read(engine.client, engine.alias)["owner"] == other.owner  # not released by the loser
    finally:
        other.release()
    assert engine._alias_targets() == live
    assert _indexes(engine) == {live[0], osi.vocabulary_index(live[0]), st.state_index(live[0])}
    state, uncertain = st.load(engine.client, live[0])
    assert state["token"] == before  # the state still describes the last run that kept its lock
    if full:  # the new index was dropped: the previous one serves, unchanged
        assert len(_ids(engine)) == 6 and uncertain == []
    else:  # the articles written by id are uncertain: the next run writes them again
        assert {"page0050", "page0051", "page0052"} <= set(uncertain) and len(_ids(engine)) == 9
    monkeypatch.setattr(osi, "bulk_actions", real)
    again = osr.reindex_source(engine, src, tmp_path / "local", persons=False)
    assert again["report"].added == 3 and len(_ids(engine)) == 9
    assert st.load(engine.client, live[0])[1] == []


def test_a_lock_is_renewed_by_its_heartbeat_and_lost_when_taken_over(engine):
    held = lk.AliasLock(engine.client, engine.alias, ttl=1.0, heartbeat=0.2)
    held.acquire()
    try:
        time.sleep(1.5)  # past the TTL: the heartbeat kept it
        with pytest.raises(lk.AliasBusy, match="wait for it to finish or use --wait"):
            lk.AliasLock(engine.client, engine.alias, ttl=1.0).acquire()
        held._stop.set()  # the holder stalls
        held._thread.join()
        time.sleep(1.5)
        taker = lk.AliasLock(engine.client, engine.alias, ttl=1.0)
        assert taker.acquire()["owner"] == held.owner
        with pytest.raises(lk.LockLost):
            held.check()
    finally:
        held.release()
    assert lk.read(engine.client, engine.alias)["owner"] == taker.owner  # the loser's release left it alone
    taker.release()
    assert lk.read(engine.client, engine.alias) is None


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("procs", [1, 3])
def test_procs_sets_the_persons_processes_and_the_bulk_requests_in_flight(on_engine, tmp_path, monkeypatch, procs):
    src = tmp_path / "src"
    write_pages(src, 8)
    monkeypatch.setattr(osr, "BULK_SIZE", 1)
    busy, peak, guard, processes = [0], [0], threading.Lock(), []
    real_bulk = osi.bulk_actions

    def bulk(*args, **kwargs):
        with guard:
            busy[0] += 1
            peak[0] = max(peak[0], busy[0])
        try:
            time.sleep(0.3)
            return real_bulk(*args, **kwargs)
        finally:
            with guard:
                busy[0] -= 1

    def tag_spans(texts, n_process=1, **kwargs):  # the NER's own processes are not what is tested
        processes.append(n_process)
        return [[] for _ in texts]

    monkeypatch.setattr(osi, "bulk_actions", bulk)
    monkeypatch.setattr(ner, "tag_spans", tag_spans)
    args = ["reindex", "--source", str(src), "--index", str(tmp_path / "local"), "--procs", str(procs)]
    for step in ("full", "incremental"):
        peak[0] = 0
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and f"reindex {step}" in result.output, result.output
        assert peak[0] == procs, step
        write_pages(src, 6, start=100)
    assert processes and set(processes) == {procs}
    assert len(_ids(on_engine)) == 14


def test_follow_external_links_indexes_on_opensearch_what_it_indexes_on_whoosh(on_engine, tmp_path):
    src, outside, ix = tmp_path / "src", tmp_path / "outside", tmp_path / "whoosh"
    write_pages(src, 2)
    write_pages(outside, 3, start=10)
    (src / "ailleurs").symlink_to(outside)
    (outside / "lot.jsonl").write_text(json.dumps({"id": "lot", "title": "Lot", "body": "Texte du lot."}) + "\n",
                                       "utf-8")
    expected_ids = {(): ["page0000", "page0001"],
                    ("--follow-external-links",): ["lot", "page0000", "page0001", "page0010", "page0011", "page0012"]}
    for extra in ((), ("--follow-external-links",), ()):  # and without it again: they are deleted
        result = CliRunner().invoke(cli, _args(src, tmp_path / "local", *extra))
        assert result.exit_code == 0, result.output
        whoosh = indexer.reindex(src, ix, persons=False, follow_external_links=bool(extra))
        svc = SearchService(ix)
        try:
            whoosh_ids = sorted(h["id"] for h in svc.search(SearchRequest.from_params(
                {"q": "", "limit": "100", "collapse": "0"})).hits)
        finally:
            svc.handle.close()
        assert _ids(on_engine) == whoosh_ids == expected_ids[extra]
        outside_named = [line for line in result.output.splitlines() if "outside the source folder" in line]
        assert len(outside_named) == (0 if extra else 1) == sum("outside" in why for _w, why in whoosh.skipped)


def test_a_missing_source_folder_is_refused_as_on_whoosh_before_taking_the_lock(on_engine, tmp_path):
    result = CliRunner().invoke(cli, _args(tmp_path / "absent", tmp_path / "local"))
    assert result.exit_code == 1 and "error: source folder not found" in result.output, result.output
    assert not on_engine.client.exists(f"/{lk.lock_index(on_engine.alias)}")
