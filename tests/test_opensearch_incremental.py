"""Incremental reindex by id on OpenSearch, against a real node: the same runs as Whoosh, the same results.

Each test changes one source folder run after run (a file added, changed, deleted, touched, nothing)
and reindexes it with both engines through the product's own code: the two summaries must count the
same added, updated and deleted articles, and the same searches must give the same hits, totals,
stories and facet counts. Faults (a refused bulk item, a run stopped between two bulk requests,
before its vocabulary or before its state) must leave the previous results serving, and the next
run must repair the index. The node comes from ``tests/test_opensearch_engine.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from search.engines import opensearch as eos
from search.engines import opensearch_index as osi
from search.engines import opensearch_reindex as osr
from search.engines import opensearch_state as st
from search.engines.opensearch import OpenSearchEngine
from search.index import reindex as indexer
from search.index import state as statefile
from search.query.request import SearchRequest
from search.query.service import SearchService
from tests.opensearch_node import _alias
from tests.test_opensearch_engine import _summary

pytestmark = pytest.mark.slow

COPY = ("Le gouvernement de transition a annoncé la signature d'un accord de coopération sécuritaire avec "
        "ses voisins du Sahel, portant sur le renseignement, la formation des unités et la surveillance "
        "commune des frontières, selon un communiqué lu à la télévision nationale mardi soir.")


def _rec(aid: str, title: str, body: str, outlet: str = "Maliweb", date: str | None = "2023-03-01", **more) -> dict:
    return {"id": aid, "title": title, "body": body, "outlet": outlet, **({"date": date} if date else {}), **more}


def _write(src, name: str, records: list[dict]) -> None:
    (src / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


FIRST = {
    "a.jsonl": [_rec("a1", "Coopération militaire à Bamako", "La coopération militaire progresse à Bamako."),
                _rec("a2", "Accord au Sahel", COPY, "APA", "2023-03-02"),
                _rec("a3", "Zorbaa et zorbab", "Le zorbaa rencontre le zorbab au marché.", "L'Essor", "2022-05"),
                _rec("a4", "Sécurité", "Sécurité renforcée aux frontières du Niger.", date=None)],
    "b.jsonl": [_rec("b1", "Accord de coopération sécuritaire", COPY, "L'Essor", "2023-03-01"),
                _rec("b2", "La transhumance", "La transhumance inquiète les éleveurs du Sahel.", "APA", "2021"),
                _rec("b3", "Élections", "Les élections auront lieu en février.", author="Awa Traoré")],
    "page.txt": "Un marché à Ségou\n\nLe marché de Ségou rouvre ses portes après les travaux de coopération.\n",
}


def _first(src) -> None:
    for name, content in FIRST.items():
        if isinstance(content, str):
            (src / name).write_text(content, "utf-8")
        else:
            _write(src, name, content)


def _add_a_file(src) -> None:  # an earlier copy of the story (which takes its id), and a word new to the corpus
    _write(src, "c.jsonl", [_rec("c1", "Le Sahel signe un accord", COPY, "Sahel Tribune", "2023-02-28"),
                            _rec("c2", "Zorbac nouveau", "Le zorbac arrive avec la coopération.", "APA", "2024-01")])


def _change_a_file(src) -> None:  # one article changed, one gone, one new, one untouched
    _write(src, "b.jsonl", [FIRST["b.jsonl"][0],
                            _rec("b2", "La transhumance", "La transhumance apaisée entre éleveurs et agriculteurs.",
                                 "APA", "2021"),
                            _rec("b4", "Coopération agricole", "Une coopération agricole au Niger.", "Maliweb")])


def _delete_a_file(src) -> None:  # two copies of the story gone with it: the third is alone again
    (src / "a.jsonl").unlink()
    (src / "b.jsonl").unlink()


def _touch_a_file(src) -> None:  # same content, another mtime: nothing to write
    path = src / "c.jsonl"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))


def _nothing(src) -> None:
    pass


def _put_back(src) -> None:  # the deleted files come back: their ids are new again
    _write(src, "a.jsonl", FIRST["a.jsonl"])
    _write(src, "b.jsonl", FIRST["b.jsonl"])


def _add_a_duplicate_id(src) -> None:  # a record named like the page: it becomes page~xxxxxxxx
    _write(src, "dup.jsonl", [_rec("page", "Un autre marché", "Le marché de Kita ferme pour la coopération.")])


def _drop_the_page(src) -> None:  # the page goes: the record takes its id (renamed, from the stored fields)
    (src / "page.txt").unlink()


#: (what the step does, the change, added, updated, deleted)
STEPS = [
    ("a file added", _add_a_file, 2, 0, 0),
    ("a file changed", _change_a_file, 1, 1, 1),
    ("files deleted", _delete_a_file, 0, 0, 7),
    ("a file touched", _touch_a_file, 0, 0, 0),
    ("nothing changed", _nothing, 0, 0, 0),
    ("files put back", _put_back, 7, 0, 0),
    ("a duplicate id added", _add_a_duplicate_id, 1, 0, 0),
    ("a duplicate id gone", _drop_the_page, 0, 0, 1),
]

QUERIES = [{"q": ""}, {"q": "", "collapse": "0"}, {"q": "coopération"}, {"q": "accord sahel"},
           {"q": "zorb*"}, {"q": "zorbac"}, {"q": "transhumance"}, {"q": "", "outlet": ["APA"]},
           {"q": "", "sort": "oldest"}, {"q": "élections"}, {"q": "", "facet_limit": "0"},
           {"q": "inquiète"}, {"q": "apaisée"}, {"q": "", "story": "c1"}, {"q": "transhumanse"},
           {"q": "cooperasion zorbak"}]


def _counts(report) -> tuple:
    return (report.added, report.updated, report.deleted, report.renamed, report.unchanged,
            report.persons_updated, report.total_docs)


def _same_results(eng: OpenSearchEngine, svc: SearchService, queries=QUERIES, what: str = "") -> None:
    for params in queries:
        req = SearchRequest.from_params({"limit": "100", "autocorrect": "0", **params})
        ours, theirs = _summary(eng.search(req)), _summary(svc.search(req))
        assert ours == theirs, (what, params, {k: (v, theirs[k]) for k, v in ours.items() if v != theirs[k]})


def _drop_all(eng: OpenSearchEngine) -> None:
    for row in eng.client.request("GET", f"/_cat/indices/{eng.alias}-*?format=json"):
        eng.client.request("DELETE", f"/{row['index']}", ok=(200, 404))


@pytest.fixture
def pair(opensearch_url, tmp_path, monkeypatch, request):
    """Return (source folder, run(**kw) → (OpenSearch summary, Whoosh report), engine, Whoosh service)."""
    monkeypatch.setattr(eos, "VOCABULARY_CHECK", 0.0)  # one engine for every run: it must see each one
    src, wdir, local = tmp_path / "src", tmp_path / "whoosh", tmp_path / "local"
    src.mkdir()
    _first(src)
    alias = _alias("inc-" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:10])  # one per test
    eng = OpenSearchEngine(opensearch_url, alias=alias)
    _drop_all(eng)

    def run(os_only: bool = False, **kw):
        persons = kw.pop("persons", False)
        ours = eng.reindex(src, persons=persons, index_dir=local, **kw)
        theirs = None if os_only else indexer.reindex(src, wdir, persons=persons, **kw)
        return ours, theirs

    yield src, run, eng, lambda: SearchService(wdir)
    _drop_all(eng)


def test_every_step_of_a_sequence_of_runs_gives_whooshs_counts_and_results(pair):
    src, run, eng, service = pair
    ours, theirs = run()
    assert ours["report"].mode == theirs.mode == "full" and _counts(ours["report"]) == _counts(theirs)
    target = ours["index"]
    _same_results(eng, service())
    for what, change, added, updated, deleted in STEPS:
        change(src)
        ours, theirs = run()
        report = ours["report"]
        assert report.mode == "incremental", what
        assert (report.added, report.updated, report.deleted) == (added, updated, deleted), what
        assert report.renamed == (what == "a duplicate id gone"), what
        assert _counts(report) == _counts(theirs), what
        assert eng._alias_targets() == [target], what  # by id into the same index, never a rebuild
        _same_results(eng, service(), what=what)
        # the vocabulary, brought up to date by the written documents' terms, is a count of the index
        token = st.read_stamps(eng.client, target)[target]["token"]
        counted = osi.vocabulary(st.StoredArticles(eng.client, target).all_stored_fields())
        assert osi.read_vocabulary(eng.client, target, token) == osi.add_counts({}, counted), what


def test_the_summary_is_whooshs_with_the_index_for_generation(pair):
    src, run, _eng, _service = pair
    run()
    _add_a_file(src)
    ours, theirs = run()
    mine, whoosh = ours["report"].summary().splitlines(), theirs.summary().splitlines()
    assert mine[0].startswith("reindex incremental: ") and mine[0].endswith(ours["index"])
    assert mine[1] == whoosh[1] == "2 added, 0 updated, 0 deleted, 8 unchanged, 0 re-indexed for persons, 0 skipped"


def test_a_story_joined_then_left_updates_its_other_copies_by_id(pair):
    src, run, eng, service = pair
    run()
    _add_a_file(src)
    run()
    versions = eng.article("b1")["versions"]
    assert [v["id"] for v in versions] == ["c1", "b1", "a2"]  # the first publication names the story
    assert {eng.article(i)["story"] for i in ("a2", "b1", "c1")} == {"c1"}
    _delete_a_file(src)
    ours, _ = run()
    assert eng.article("c1")["versions"] == [] and ours["report"].deleted == 7
    _same_results(eng, service(), [{"q": "accord", "collapse": "1"}, {"q": "accord", "collapse": "0"}])


def _refuse(ids: set[str]):
    """Return a bulk_actions that the cluster answers with a per-item refusal for ``ids``."""
    real = osi.bulk_actions

    def bulk(client, index, actions, retries=3):
        sent = [(op, aid, dict(body, unknown_field=1) if op == "index" and aid in ids else body)
                for op, aid, body in actions]
        return real(client, index, sent, retries)  # the strict mapping refuses the unknown field

    return bulk


def _stop_after(calls: int, where=None):
    """Return a bulk_actions that stops the run (as a lost connection would) after ``calls`` requests."""
    real, done = osi.bulk_actions, [0]

    def bulk(client, index, actions, retries=3):
        if done[0] >= calls:
            raise osi.OpenSearchError("POST /_bulk: connection reset")
        done[0] += 1
        return real(client, index, actions, retries)

    return bulk


def _broken(message: str):
    def fail(*args, **kwargs):
        raise osi.OpenSearchError(message)

    return fail


#: (fault, what to patch, its replacement, does the run raise)
FAULTS = [
    ("a refused bulk item", (osi, "bulk_actions"), lambda: _refuse({"b2"}), False),
    ("a run stopped between two bulk requests", (osi, "bulk_actions"), lambda: _stop_after(1), True),
    ("a run stopped before its vocabulary", (osi, "write_vocabulary"), lambda: _broken("vocabulary"), True),
    ("a run stopped before its state", (st, "save"), lambda: _broken("state"), True),
    ("a run stopped before its stamp", (st, "write_stamp"), lambda: _broken("stamp"), True),
]


def _undo(src) -> None:  # the source as it was before the failed run (new mtimes, old contents)
    (src / "c.jsonl").unlink()
    _write(src, "b.jsonl", FIRST["b.jsonl"])


@pytest.mark.parametrize("then", ["the change kept", "the change undone"])
@pytest.mark.parametrize("fault, patch, replacement, raises", FAULTS, ids=[f[0] for f in FAULTS])
def test_a_failed_incremental_run_keeps_the_previous_articles_and_the_next_run_repairs_it(
        pair, monkeypatch, fault, patch, replacement, raises, then):
    src, run, eng, service = pair
    monkeypatch.setattr(osr, "BULK_SIZE", 2)  # several bulk requests a run
    run()
    before = _summary(eng.search(SearchRequest.from_params({"q": "transhumance"})))
    _change_a_file(src)
    _add_a_file(src)
    with monkeypatch.context() as m:
        m.setattr(*patch, replacement())
        if raises:
            with pytest.raises(osi.OpenSearchError):
                run(os_only=True)
        else:
            ours, _ = run(os_only=True)
            assert list(ours["failed"]) == ["b2"]  # named, with the cluster's reason
            assert dict(ours["report"].skipped)["b2"].startswith("not written: strict_dynamic_mapping_exception")
            # the refused article still serves its previous text
            assert _summary(eng.search(SearchRequest.from_params({"q": "transhumance"}))) == before
            assert eng.search(SearchRequest.from_params({"q": "inquiète"})).total == 1
    assert eng._alias_targets() and eng.search(SearchRequest()).total >= 7  # still serving
    if then == "the change undone":
        _undo(src)  # files whose content is the state's again: only the uncertain ids tell what to repair
    ours, theirs = run()  # the next run, the cluster healthy again, repairs the index
    assert ours["report"].mode == "incremental"
    _same_results(eng, service(), what=f"{fault}, {then}")
    ours, theirs = run()  # and then nothing is left to do
    assert not ours["report"].changed, ours["report"].summary()


def test_a_full_run_swaps_the_alias_and_a_failed_one_keeps_the_index_and_its_state(pair, monkeypatch):
    src, run, eng, service = pair
    first, _ = run()
    _add_a_file(src)
    with monkeypatch.context() as m:
        m.setattr(osi, "bulk_actions", _refuse({"c1"}))
        with pytest.raises(osi.OpenSearchError, match="c1"):
            run(os_only=True, full=True)
    assert eng._alias_targets() == [first["index"]]
    names = sorted(i["index"] for i in eng.client.request("GET", f"/_cat/indices/{eng.alias}-*?format=json"))
    assert names == sorted([first["index"], osi.vocabulary_index(first["index"]), st.state_index(first["index"])])
    ours, theirs = run()  # the state survived the failed full run: this one is incremental
    assert ours["report"].mode == "incremental" and ours["report"].added == 2
    ours, theirs = run(full=True)
    assert ours["report"].mode == "full" and ours["report"].full_reason == "--full"
    assert eng._alias_targets() == [ours["index"]] != [first["index"]]
    assert not eng.client.exists(f"/{st.state_index(first['index'])}")
    assert _counts(ours["report"]) == _counts(theirs)
    _same_results(eng, service())


@pytest.mark.parametrize("what, patch, reason", [
    ("the OpenSearch mapping", (st, "opensearch_fingerprint", lambda shards: "other"), "OpenSearch mapping changed"),
    ("the analysis", (statefile.analysis, "analysis_fingerprint", lambda: "other"), "analysis changed"),
])
def test_a_changed_mapping_or_analysis_makes_the_next_run_a_full_rebuild(pair, monkeypatch, what, patch, reason):
    _src, run, eng, _service = pair
    first, _ = run()
    monkeypatch.setattr(*patch)
    ours, _ = run(os_only=True)
    assert ours["report"].mode == "full" and ours["report"].full_reason == reason, what
    assert eng._alias_targets() != [first["index"]]


def test_a_lost_state_or_story_evidence_costs_a_rebuild_or_a_regrouping_never_a_wrong_result(pair, tmp_path):
    src, run, eng, service = pair
    first, _ = run()
    shutil.rmtree(tmp_path / "local" / st.STORIES_CACHE)  # reindexing from another machine
    _add_a_file(src)
    ours, _ = run()
    assert ours["report"].mode == "incremental"
    _same_results(eng, service())
    eng.client.request("DELETE", f"/{st.state_index(first['index'])}")
    ours, _ = run(os_only=True)
    assert ours["report"].mode == "full" and ours["report"].full_reason == "index state missing"
    _same_results(eng, service())


def test_persons_changing_corpus_wide_rewrite_the_articles_they_name(pair):
    src, run, eng, service = pair
    for name in list(FIRST):
        (src / name).unlink()
    _write(src, "p.jsonl", [_rec("p1", "Visite à Kayes", "M. Tiéfolo a déclaré que les travaux commenceront. "
                                                         "Le ministre Tiéfolo a insisté.")])
    run(persons=True)
    assert eng.article("p1")["persons"] == []
    full_name = [_rec("q1", "Le ministre", "Le ministre Ousmane Tiéfolo a reçu les élus à Koulouba. "
                                           "Selon Ousmane Tiéfolo, les routes seront refaites.", "APA")]
    # the full name enters the corpus, then leaves it: the older article's persons follow, by id
    for step, persons in [(lambda: _write(src, "q.jsonl", full_name), ["Ousmane Tiéfolo"]),
                          (lambda: (src / "q.jsonl").unlink(), [])]:
        step()
        ours, theirs = run(persons=True)
        assert ours["report"].persons_updated == theirs.persons_updated == 1
        assert eng.article("p1")["persons"] == service().article("p1")["persons"] == persons
        _same_results(eng, service(), [{"q": "", "facet_limit": "0"}, {"q": "kayes"}, {"q": "personne:tiéfolo"}])


def test_an_edit_of_the_persons_rules_rereads_every_article_from_the_index(pair, monkeypatch):
    _src, run, eng, service = pair
    run(persons=True)
    monkeypatch.setattr(statefile, "persons_data_fingerprint", lambda: "edited")
    ours, theirs = run(persons=True)
    assert ours["report"].mode == "incremental" and _counts(ours["report"]) == _counts(theirs)
    _same_results(eng, service(), [{"q": "", "facet_limit": "0"}])


def test_the_cli_reindexes_into_opensearch_by_id_and_prints_whooshs_summary(pair, monkeypatch, tmp_path):
    src, run, eng, _service = pair
    from search.cli import main as cli

    monkeypatch.setenv("PRESSE_ENGINE", "opensearch")
    monkeypatch.setenv("PRESSE_OPENSEARCH_URL", eng.client.url)
    monkeypatch.setenv("PRESSE_OPENSEARCH_INDEX", eng.alias)
    args = ["reindex", "--source", str(src), "--index", str(tmp_path / "local"), "--no-persons"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0 and "reindex full (no index yet)" in first.output
    _add_a_file(src)
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0 and "2 added, 0 updated, 0 deleted, 8 unchanged" in second.output
    full = CliRunner().invoke(cli, args + ["--full"])
    assert full.exit_code == 0 and "reindex full (--full)" in full.output
