"""The schema: fields the other layers rely on, columns for facets, and a pickled round trip."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from whoosh import index as windex

from search.index import documents
from search.index import schema
from search.index import folder as store


def test_facet_fields_are_columns():
    sch = schema.build_schema()
    for field in schema.FACET_COLUMNS.values():
        assert sch[field].column_type is not None, field
    assert sch["date_sort"].column_type is not None and sch["date_estimated_col"].column_type is not None


def test_contract_fields_exist():
    names = set(schema.build_schema().names())
    expected = {"id", "path", "url", "site", "content_hash", "title", "title_exact", "title_derived",
                "body", "body_exact", "comments", "comments_exact", "comments_data",
                "comments_count", "outlet", "author", "year", "month", "date", "date_sort",
                "date_precision", "date_estimated", "date_estimated_col", "persons", "persons_col",
                "persons_text", "outlet_text", "author_text"}
    assert expected <= names


def test_every_document_key_is_a_schema_field():
    art = {"id": "x", "path": "x.txt", "url": "http://e.x/a", "title": "T", "title_derived": False,
           "outlet": "L'Essor", "site": "abamako.com", "author": "Julie Peh", "date": "2023-08-02",
           "date_precision": "day", "date_estimated": False, "body": "b", "content_hash": "h",
           "comments": [{"text": "c", "author": None, "reply_to": None, "id": "1"}],
           "comments_count": 1, "persons": ["Sadio Camara"]}
    assert set(documents.to_document(art)) <= set(schema.build_schema().names())


def test_index_opens_and_searches_from_a_fresh_process(seed_index):
    code = textwrap.dedent(f"""
        from whoosh import index
        from whoosh.qparser import QueryParser
        from search.index import folder as store
        ix = index.open_dir(str(store.live_path({str(seed_index)!r})))
        with ix.searcher() as s:
            print(len(s.search(QueryParser("body", ix.schema).parse("securite"))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) > 0


def test_index_records_the_schema_analyzers(seed_index):
    ix = windex.open_dir(str(store.live_path(seed_index)))
    try:
        assert type(ix.schema["body"].analyzer).__name__ == "FrenchTokenizer"
    finally:
        ix.close()


# Whoosh leaves the TOC file of an index it fails to unpickle for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_live_index_whose_schema_cannot_be_read_is_rebuilt_in_full_by_the_next_reindex(tmp_path):
    # An index pickled under module paths that no longer exist (schema 3, before the layout
    # move) cannot be opened: the next run must rebuild it rather than call it « no index ».
    import shutil
    from pathlib import Path

    from search.index.reindex import reindex

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    src = tmp_path / "src"
    shutil.copytree(seeds, src)
    ix = tmp_path / "ix"
    reindex(src, ix, persons=False)
    live = store.live_path(ix)
    for toc in live.glob("*.toc"):  # the pickled analyzers now name a module that does not exist
        data = toc.read_bytes()
        assert b"search.index.analysis" in data
        toc.write_bytes(data.replace(b"search.index.analysis", b"search.index.analysiz"))
    report = reindex(src, ix, persons=False)
    assert (report.mode, report.full_reason) == ("full", "live index unreadable")
    assert store.live_path(ix) != live and report.added == len(list(seeds.glob("*.txt")))
