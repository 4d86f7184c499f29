"""What a source folder can hold besides pages: FIFOs, devices, symbolic links in and out, folders
named like files. Only regular files inside the source folder are read; nothing else hangs, leaks
or drops a readable page, and every such entry is named in the summary or ignored by extension."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.index import reindex as indexer
from search.index import folder as store
from search.cli import main
from tests.conftest import stored_documents

PAGE = ("Bamako : point sur la sécurité numéro {n}\n\nLa sécurité au Mali reste la priorité du "
        "gouvernement de transition, selon le communiqué numéro {n}. Les forces armées ont renforcé "
        "leur présence dans le centre du pays.\n")
#: Seconds a reindex of a few files may take before it counts as hung.
HANG_S = 60


def write_page(path: Path, n: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(n=n), "utf-8")
    return path


def bounded(src: Path, fn):
    """Return ``fn()`` run in a thread; fail, rather than block the suite, when it hangs."""
    result: dict = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed to the test below
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_S)
    if thread.is_alive():
        _unblock_fifos(src)  # let the stuck thread go before failing
        pytest.fail(f"reindex of {src} still running after {HANG_S} s")
    if "error" in result:
        raise result["error"]
    return result["value"]


def bounded_reindex(src: Path, ix: Path, **kw) -> indexer.ReindexReport:
    """Run a real reindex (persons off) that fails the test when it hangs."""
    return bounded(src, lambda: indexer.reindex(src, ix, persons=False, procs=1, **kw))


def bounded_cli(src: Path, *args: str):
    """Invoke the real ``presse`` command line, failing the test when it hangs."""
    return bounded(src, lambda: CliRunner().invoke(main, list(args)))


def _unblock_fifos(folder: Path) -> None:
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass


def indexed(ix: Path) -> dict[str, str]:
    """Return ``{id: path}`` of every article in the live index."""
    return {aid: fields["path"] for aid, fields in stored_documents(ix).items()}


def stored(ix: Path, aid: str) -> dict | None:
    return stored_documents(ix).get(aid)


# --- FIFOs and devices ----------------------------------------------------------------------

def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _null(path: Path) -> None:
    path.symlink_to("/dev/null")


@pytest.mark.parametrize("make, kind", [(_fifo, "named pipe"), (_zero, "character device"),
                                        (_null, "character device")], ids=["fifo", "dev-zero", "dev-null"])
def test_a_sidecar_that_is_a_fifo_or_a_device_leaves_its_page_indexed_without_it(tmp_path, make, kind):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    make(src / "a.json")
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a"}
    assert dict(report.skipped) == {"a.json": f"sidecar ignored: not a regular file ({kind})"}
    again = bounded_reindex(src, ix)  # the writer lock was released and nothing is re-read
    assert not again.changed and dict(again.skipped) == dict(report.skipped)


@pytest.mark.parametrize("name", ["a.txt", "a.html", "a.jsonl", "a.json"])
@pytest.mark.parametrize("make, kind", [(_fifo, "named pipe"), (_zero, "character device")], ids=["fifo", "dev-zero"])
def test_a_fifo_or_a_device_named_like_a_source_file_is_skipped(tmp_path, name, make, kind):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "good.txt")
    make(src / name)
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"good"}
    assert dict(report.skipped) == {name: f"not a regular file ({kind})"}


def test_a_page_that_becomes_a_fifo_after_the_scan_is_skipped_without_hanging(tmp_path, monkeypatch):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    write_page(src / "b.txt", 1)
    real = indexer.extract_file

    def swap_then_extract(sf, **kw):  # the race the type check before opening cannot see
        if sf.rel == "b.txt":
            sf.path.unlink()
            os.mkfifo(sf.path)
        return real(sf, **kw)

    monkeypatch.setattr(indexer, "extract_file", swap_then_extract)
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a"}
    assert dict(report.skipped)["b.txt"] == "not a regular file (named pipe)"


def test_a_reindex_with_a_fifo_sidecar_ends_and_frees_the_lock_for_the_next_run(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    os.mkfifo(src / "a.json")
    first = bounded_cli(src, "reindex", "--source", str(src), "--index", str(ix), "--no-persons")
    assert first.exit_code == 0, first.output
    second = bounded_cli(src, "reindex", "--source", str(src), "--index", str(ix), "--no-persons", "--wait")
    assert second.exit_code == 0 and "named pipe" in second.output


# --- sidecars that cannot be used -------------------------------------------------------------

@pytest.mark.parametrize("make, reason", [
    (lambda p: p.symlink_to("gone.json"), "sidecar ignored: broken symbolic link"),
    (lambda p: p.write_text("{pas du json", "utf-8"), "sidecar ignored: invalid JSON"),
    (lambda p: p.write_bytes(b'{"url": "' + b"x" * (3 * 1024 * 1024) + b'"}'), "sidecar ignored: too large"),
    (lambda p: p.write_text("[1, 2]", "utf-8"), "sidecar ignored: not a JSON object"),
], ids=["broken-link", "invalid-json", "too-large", "not-an-object"])
def test_a_page_whose_sidecar_cannot_be_used_is_indexed_without_it_and_the_sidecar_named(tmp_path, make, reason):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "sub" / "a.txt")
    make(src / "sub" / "a.json")
    report = bounded_reindex(src, ix)
    assert indexed(ix) == {"a": "sub/a.txt"}
    assert not stored(ix, "a").get("url")
    assert any("a.json" in where and why.startswith(reason) for where, why in report.skipped), report.skipped


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_page_whose_sidecar_is_not_readable_is_indexed_without_it(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    side = src / "a.json"
    side.write_text('{"url": "https://example.org/a"}', "utf-8")
    side.chmod(0)
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a"}
    assert any(why.startswith("sidecar ignored: unreadable") for _where, why in report.skipped)


@pytest.mark.parametrize("name", ["A.json", "a.JSON"])
def test_a_json_file_named_almost_like_a_page_s_sidecar_is_named_not_silently_dropped(tmp_path, name):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    (src / name).write_text('{"url": "https://example.org/a"}', "utf-8")
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a"}
    assert "does not match its page" in dict(report.skipped)[name]


def test_a_sidecar_that_becomes_usable_is_read_at_the_next_run(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    os.mkfifo(src / "a.json")
    bounded_reindex(src, ix)
    (src / "a.json").unlink()
    (src / "a.json").write_text('{"url": "https://example.org/a"}', "utf-8")
    report = bounded_reindex(src, ix)
    assert (report.updated, report.skipped) == (1, [])
    assert stored(ix, "a")["url"] == "https://example.org/a"


# --- symbolic links ---------------------------------------------------------------------------

@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the source with a page and a secret-looking file."""
    folder = tmp_path / "outside"
    write_page(folder / "dehors.txt", 7)
    (folder / "secret.txt").write_text("root:$6$hash:19000:0:99999:7:::\n", "utf-8")
    return folder


def test_a_link_to_a_file_outside_the_source_is_skipped_and_not_served(tmp_path, outside):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    (src / "shadow.txt").symlink_to(outside / "secret.txt")
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a"}
    assert "outside the source folder" in dict(report.skipped)["shadow.txt"]


@pytest.mark.parametrize("link, target", [
    ("bulk.jsonl", "lot.jsonl"), ("dossier", "."), ("a.json", "meta.json")])
def test_links_to_bulk_files_folders_and_sidecars_outside_the_source_are_skipped(tmp_path, link, target):
    src, ix, out = tmp_path / "src", tmp_path / "ix", tmp_path / "outside"
    write_page(src / "a.txt")
    write_page(out / "b.txt", 1)
    (out / "lot.jsonl").write_text(json.dumps({"id": "lot", "title": "Lot", "body": "Texte."}) + "\n", "utf-8")
    (out / "meta.json").write_text('{"url": "https://example.org/secret"}', "utf-8")
    (src / link).symlink_to((out / target).resolve())
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a"}
    (where, why), = report.skipped
    assert where == link and "outside the source folder" in why
    assert not stored(ix, "a").get("url")


def test_follow_external_links_indexes_what_links_lead_to(tmp_path, outside):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    (src / "ailleurs").symlink_to(outside)
    (src / "loop").symlink_to(src)  # a link back into the source: never walked twice
    result = bounded_cli(src, "reindex", "--source", str(src), "--index", str(ix), "--no-persons",
                         "--follow-external-links")
    assert result.exit_code == 0, result.output
    assert indexed(ix) == {"a": "a.txt", "dehors": "ailleurs/dehors.txt", "secret": "ailleurs/secret.txt"}
    # without the option the next run drops them again
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a"} and report.deleted == 2


@pytest.mark.parametrize("make", [
    lambda src: (src / "b.txt").symlink_to("a.txt"),
    lambda src: (src / "b.txt").symlink_to((src / "a.txt").resolve()),
    lambda src: (src / "sub").mkdir() or (src / "sub" / "b.txt").symlink_to("../a.txt"),
], ids=["relative", "absolute", "from-a-subfolder"])
def test_a_link_within_the_source_folder_is_indexed(tmp_path, make):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    make(src)
    report = bounded_reindex(src, ix)
    assert set(indexed(ix)) == {"a", "b"} and report.skipped == []


def test_a_source_folder_reached_through_a_link_is_inside_itself(tmp_path):
    real, ix = tmp_path / "real", tmp_path / "ix"
    write_page(real / "a.txt")
    (real / "b.txt").symlink_to(real / "a.txt")
    (tmp_path / "src").symlink_to(real)
    report = bounded_reindex(tmp_path / "src", ix)
    assert set(indexed(ix)) == {"a", "b"} and report.skipped == []


# --- any mix of entries -----------------------------------------------------------------------

# Each kind: how to create it, and what the reindex must do with it.
_KINDS = ["page", "empty", "binary", "folder", "link_in", "link_out", "fifo", "broken", "device",
          "sidecar_fifo", "sidecar_broken", "bulk", "other"]
_EXTS = [".txt", ".html", ".json", ".jsonl", ".md"]


def _make(src: Path, out: Path, name: str, kind: str, ext: str, n: int) -> tuple[set, set]:
    """Create one entry; return ``(paths that must be indexed, names that must be in the summary)``."""
    path = src / f"{name}{ext}"
    if kind == "page":
        write_page(src / f"{name}.txt", n)
        return {f"{name}.txt"}, set()
    if kind == "empty":
        (src / f"{name}.txt").write_bytes(b"")
        return set(), {f"{name}.txt"}
    if kind == "binary":
        (src / f"{name}.txt").write_bytes(bytes(range(256)) * 8)
        return set(), {f"{name}.txt"}
    if kind == "folder":  # a folder with a file's name is walked like any folder
        write_page(src / f"{name}.txt" / "inner.txt", n)
        return {f"{name}.txt/inner.txt"}, set()
    if kind == "link_in":
        write_page(src / f"{name}-cible.txt", n)
        (src / f"{name}.txt").symlink_to(f"{name}-cible.txt")
        return {f"{name}.txt", f"{name}-cible.txt"}, set()
    if kind == "sidecar_fifo":
        write_page(src / f"{name}.txt", n)
        os.mkfifo(src / f"{name}.json")
        return {f"{name}.txt"}, {f"{name}.json"}
    if kind == "sidecar_broken":
        write_page(src / f"{name}.txt", n)
        (src / f"{name}.json").symlink_to(f"{name}-absent.json")
        return {f"{name}.txt"}, {f"{name}.json"}
    if kind == "bulk":
        lines = [json.dumps({"id": f"{name}-1", "title": "Premier", "body": "Texte un."}),
                 "\x00\x00 pas un enregistrement",
                 json.dumps({"id": f"{name}-2", "title": "Second", "body": "Texte deux."})]
        (src / f"{name}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
        return {f"{name}.jsonl"}, {f"{name}.jsonl:2"}
    if kind == "other":
        (src / f"{name}.md").write_text("notes", "utf-8")
        return set(), set()
    if kind == "link_out":
        path.symlink_to(out / "secret.txt")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken":
        path.symlink_to(src / f"{name}-absent{ext}")
    elif kind == "device":
        path.symlink_to("/dev/zero")
    return set(), ({path.name} if ext != ".md" else set())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(st.tuples(st.sampled_from(_KINDS), st.sampled_from(_EXTS)), min_size=1, max_size=10))
def test_any_mix_of_file_types_finishes_indexes_every_good_page_and_names_the_rest(entries):
    with tempfile.TemporaryDirectory() as tmp:
        src, ix, out = Path(tmp) / "src", Path(tmp) / "ix", Path(tmp) / "outside"
        src.mkdir()
        out.mkdir()
        (out / "secret.txt").write_text("root:x:0:0\n", "utf-8")
        must_index, must_name = set(), set()
        for n, (kind, ext) in enumerate(entries):
            good, named = _make(src, out, f"e{n}", kind, ext, n)
            must_index |= good
            must_name |= named
        report = bounded_reindex(src, ix)
        paths = set(indexed(ix).values())
        assert must_index <= paths, report.summary()
        assert paths <= must_index, report.summary()
        named = {where for where, _why in report.skipped}
        assert must_name <= named, report.summary()
        assert all(why and "\n" not in why for _where, why in report.skipped)
        again = bounded_reindex(src, ix)
        assert not again.changed, again.summary()
        assert set(indexed(ix).values()) == paths


# --- the index folder's own small files -----------------------------------------------------------

@pytest.mark.parametrize("name", [store.CURRENT, indexer.STATE_FILE])
def test_a_fifo_in_place_of_an_index_file_does_not_hang_the_next_reindex(tmp_path, name):
    src, ix = tmp_path / "src", tmp_path / "ix"
    write_page(src / "a.txt")
    bounded_reindex(src, ix)
    target = ix / name if name == store.CURRENT else store.live_path(ix) / name
    target.unlink()
    os.mkfifo(target)
    report = bounded_reindex(src, ix)
    assert report.mode == "full" and set(indexed(ix)) == {"a"}
