"""Similar articles, on both engines: numpy BM25 over the key terms' posting lists, ranked like Whoosh would."""

from __future__ import annotations

import json

import pytest
from whoosh import query as wq

from search.query.similar import SimilarIndex
from tests.engine_fixture import build, whoosh_only
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)

TOPICS = {
    "barkhane": "L'opération Barkhane quitte Gao ; les soldats de Barkhane remettent la base aux FAMa.",
    "coton": "La campagne cotonnière à Koutiala : la CMDT annonce une récolte de coton record.",
    "election": "Le scrutin présidentiel est reporté ; la commission électorale publie un calendrier.",
    "sante": "Une campagne de vaccination contre la rougeole commence dans les centres de santé.",
}


def _records():
    out = []
    for topic, text in TOPICS.items():
        for n in range(3):
            out.append({"id": f"{topic}-{n}", "title": f"{topic.capitalize()} : épisode {n}",
                        "body": f"{text} Épisode {n}. " + "Le gouvernement a réagi à Bamako. " * (n + 1)})
    out.append({"id": "vide", "title": "Sans texte", "body": ""})
    return out


@pytest.fixture
def index(engine_name, request, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "lot.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), "utf-8")
    return src, build(request, engine_name, source=src, label="similar")


def _similar_ids(svc, article_id):
    return [h["id"] for h in svc.more_like_this(article_id, limit=5)]


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_similar_articles_share_the_subject_and_leave_the_article_out(index, topic):
    _src, svc = index
    found = _similar_ids(svc, f"{topic}-0")
    assert f"{topic}-0" not in found
    assert set(found[:2]) == {f"{topic}-1", f"{topic}-2"}


@whoosh_only("Whoosh's BM25 over its posting lists")
def test_ranking_matches_whoosh_bm25_for_the_same_key_terms(index):
    _src, svc = index
    searcher, gen = svc._current()
    sim = SimilarIndex(searcher)
    for docnum in range(searcher.doc_count_all()):
        text = searcher.stored_fields(docnum).get("body") or ""
        terms = sim.key_terms(text)
        if not terms:
            continue
        ours = [d for _s, d in sim.similar(docnum, text, 3)]
        q = wq.Or([wq.Term("body", w, boost=b) for w, b in terms])
        theirs = [h.docnum for h in searcher.search(q, limit=3, mask={docnum})]
        assert ours == theirs


def test_article_with_an_empty_body_and_deleted_articles_are_handled(index):
    src, svc = index
    assert svc.more_like_this("vide") == []
    records = [r for r in _records() if r["id"] != "coton-1"]
    (src / "lot.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    svc.reindex(src)  # incremental: coton-1 is deleted in place
    assert svc.report.mode != "full" and svc.report.deleted == 1
    assert "coton-1" not in _similar_ids(svc, "coton-0")
