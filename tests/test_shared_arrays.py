"""Per-generation arrays written with the index and memory-mapped by searchers (search/query/arrays.py)."""

import io
import json

import numpy as np
import pytest

from search.index import folder as store
from search.index import reindex as indexer
from search.query import arrays, zerocopy
from search.query.request import SearchRequest
from search.query.service import SearchService

DISPATCH = ("Le gouvernement de transition a annoncé mardi à Bamako un nouveau calendrier électoral "
            "après des consultations avec les partis politiques et la société civile. Le scrutin "
            "présidentiel est reporté de plusieurs mois selon le communiqué lu à la télévision.")
COTON = ("Les cours du coton ont progressé cette semaine sur les marchés internationaux selon les "
         "négociants de la filière qui attendent une récolte abondante dans la région de Sikasso.")
RECORDS = [
    {"id": "essor-1", "title": "Calendrier électoral", "body": DISPATCH, "outlet": "L'Essor",
     "date": "2023-08-01", "author": "Awa Traoré"},
    {"id": "maliweb-9", "title": "Mali : le calendrier", "body": "Lu pour vous. " + DISPATCH,
     "outlet": "Maliweb", "date": "2023-08-02"},
    {"id": "coton-1", "title": "Le coton à Sikasso", "body": COTON, "outlet": "MaliWeb", "date": "2021-03",
     "comments": [{"id": "c1", "author": "Oumar", "text": "Bonne nouvelle pour les producteurs de coton."}]},
    {"id": "coton-2", "title": "Récolte de coton", "body": COTON + " Les prix suivent.", "outlet": "L'Essor",
     "date": "2019"},
]
REQUESTS = [
    {"q": ""}, {"q": "calendrier"}, {"q": "coton", "sort": "newest"}, {"q": "coton", "sort": "oldest"},
    {"q": "", "outlet": ["maliweb"]}, {"q": "", "-outlet": ["Maliweb"]}, {"q": "", "year": ["2023"]},
    {"q": "", "author": ["Awa Traoré"]}, {"q": "calendrier", "collapse": "0"}, {"q": "", "scope": "comments"},
    {"q": "\"calendrier électoral\""}, {"q": "cot*"}, {"q": "", "story": "essor-1"}, {"q": "calendrie"},
]


def _write(src, records):
    src.mkdir(parents=True, exist_ok=True)
    (src / "a.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def index(tmp_path):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _write(src, RECORDS)
    indexer.reindex(src, ix, persons=False)
    return src, ix


def _answers(ix) -> list[dict]:
    svc = SearchService(ix)
    out = [svc.search(SearchRequest.from_params(p)).to_dict() for p in REQUESTS]
    out.append({"article": svc.article("coton-1", q="coton"), "missing": svc.article("nope"),
                "similar": svc.more_like_this("coton-1")})
    return out


def _mapped(ix) -> bool:
    _searcher, gen = SearchService(ix)._current()
    return isinstance(gen.facets.ids, arrays.IdTable)


def test_a_reindex_writes_arrays_that_searchers_map(index):
    _src, ix = index
    assert (store.live_path(ix) / arrays.POINTER).is_file()
    assert _mapped(ix)


def test_mapped_arrays_answer_exactly_as_arrays_built_in_memory(index, monkeypatch):
    _src, ix = index
    mapped = _answers(ix)
    monkeypatch.setattr(arrays, "load", lambda searcher, generation: None)
    assert not _mapped(ix)
    assert mapped == _answers(ix)


def test_an_incremental_commit_writes_fresh_arrays_and_removes_the_old_set(index):
    src, ix = index
    live = store.live_path(ix)
    before = sorted(p.name for p in live.glob("arrays-*"))
    _write(src, RECORDS[1:] + [{"id": "neuf-1", "title": "Un article neuf", "body": COTON + " Neuf.",
                                "outlet": "Sahel Tribune", "date": "2024-01-05"}])
    assert indexer.reindex(src, ix, persons=False).mode == "incremental"
    after = sorted(p.name for p in live.glob("arrays-*"))
    assert len(after) == 1 and after != before and _mapped(ix)
    svc = SearchService(ix)
    assert svc.article("essor-1") is None and svc.article("neuf-1")["outlet"] == "Sahel Tribune"
    res = svc.search(SearchRequest.from_params({"q": "", "outlet": ["Sahel Tribune"]})).to_dict()
    assert [h["id"] for h in res["hits"]] == ["neuf-1"]


def test_an_incremental_commit_without_new_arrays_leaves_the_old_ones_unused(index, monkeypatch):
    src, ix = index
    monkeypatch.setattr(arrays, "save", lambda generation: False)
    _write(src, RECORDS + [{"id": "neuf-1", "title": "Un article neuf", "body": COTON + " Neuf.",
                            "outlet": "Sahel Tribune", "date": "2024-01-05"}])
    indexer.reindex(src, ix, persons=False)
    assert not _mapped(ix)  # stale: another Whoosh generation
    res = SearchService(ix).search(SearchRequest.from_params({"q": "", "outlet": ["Sahel Tribune"]})).to_dict()
    assert [h["id"] for h in res["hits"]] == ["neuf-1"]


def _truncate(folder):
    path = next(folder.glob("arrays-*/live.npy"))
    path.write_bytes(path.read_bytes()[:20])


def _drop(folder):
    next(folder.glob("arrays-*/person.pval.npy")).unlink()


def _garble_pointer(folder):
    (folder / arrays.POINTER).write_text("{not json", encoding="utf-8")


def _wrong_count(folder):
    pointer = json.loads((folder / arrays.POINTER).read_text(encoding="utf-8"))
    np.save(folder / pointer["folder"] / "date_sort.npy", np.zeros(pointer["n"] + 3, dtype=np.int64))


def _out_of_range_code(folder):
    pointer = json.loads((folder / arrays.POINTER).read_text(encoding="utf-8"))
    np.save(folder / pointer["folder"] / "outlet.codes.npy", np.full(pointer["n"], 99, dtype=np.int32))


@pytest.mark.parametrize("damage", [_truncate, _drop, _garble_pointer, _wrong_count, _out_of_range_code])
def test_damaged_arrays_are_not_used_and_searches_answer_as_before(index, damage):
    _src, ix = index
    expected = _answers(ix)
    damage(store.live_path(ix))
    assert not _mapped(ix)
    assert _answers(ix) == expected


def test_the_mapped_id_lookup_keeps_the_last_live_document_of_an_id():
    ids = ["b", "a", "c", "a", "", "b"]
    live = np.array([True, True, True, False, True, False])
    blob, off = arrays._strings(ids)
    order = np.argsort(np.array(ids, dtype=object), kind="stable")
    table = arrays.IdTable(blob, off, order)
    lookup = arrays.SortedLookup(table, None, order, live)
    expected = {i: d for d, i in enumerate(ids) if i and live[d]}
    assert {i: lookup.get(i) for i in set(ids) if i} == expected
    assert lookup.get("zz") is None and "zz" not in lookup
    assert list(table) == ids and table.index("a") == 1 and "c" in table and "x" not in table


@pytest.mark.parametrize("steps", [
    [("read", 3), ("read", -1)],
    [("seek", 2), ("readline", -1), ("readline", -1), ("readline", -1)],
    [("seek", -2, 2), ("read", 10), ("tell",)],
    [("seek", 1), ("seek", 2, 1), ("read", 4), ("readline", 2)],
])
def test_the_mapped_reader_reads_like_an_in_memory_file(steps):
    data = b"ab\ncdef\n\nghij" * 50
    ours, theirs = zerocopy.MappedReader(memoryview(data)), io.BytesIO(data)
    for name, *args in steps:
        assert getattr(ours, name)(*args) == getattr(theirs, name)(*args)


def test_segment_sub_files_are_not_copied_out_of_the_map(index):
    _src, ix = index
    zerocopy.install()
    from whoosh.filedb import compound

    assert compound.BufferFile is zerocopy.MappedBufferFile
    svc = SearchService(ix)
    assert svc.search(SearchRequest.from_params({"q": "coton"})).total == 2
    searcher, _gen = svc._current()
    opened = [type(leaf._terms._dbfile) for leaf, _offset in searcher.reader().leaf_readers()]
    assert opened and set(opened) == {zerocopy.MappedBufferFile}  # the terms file: a view of the map


def test_the_saved_vocabulary_is_mapped_and_decoded_a_bucket_at_a_time(index):
    _src, ix = index
    from search.query import suggest

    buckets, _stamp = suggest.load_vocabulary(store.live_path(ix) / suggest.VOCAB_FILE)
    assert isinstance(buckets, suggest.SavedBuckets)
    terms, counts = buckets["c"]
    vocab = SearchService(ix)._current()[1].vocab
    assert "coton" in terms and len(terms) == len(counts)
    assert counts[terms.index("coton")] == vocab.df("coton") == 5  # 2 bodies, 2 titles, 1 comment
    assert sorted(terms) == terms and all(t.startswith("c") for t in terms)


@pytest.mark.parametrize("cut", [1, 7, 40])
def test_a_vocabulary_file_cut_short_is_not_mapped(index, cut):
    _src, ix = index
    from search.query import suggest

    path = store.live_path(ix) / suggest.VOCAB_FILE
    path.write_bytes(path.read_bytes()[:-cut])
    assert suggest.load_vocabulary(path) is None
