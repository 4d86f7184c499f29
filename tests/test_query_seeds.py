"""Realistic French search over the seeds index (built by the indexer), on both engines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from search.cli import main
from search.query.request import SearchRequest
from tests.engine_fixture import seeds
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def svc(engine_name, request):
    return seeds(request, engine_name)


def cli_run(svc, args):
    """Run ``presse`` on the engine of ``svc`` (its folder as ``--index``)."""
    return CliRunner(env=svc.environ()).invoke(main, [args[0], "--index", str(svc.index_dir), *args[1:]])


def found(svc, q, **params):
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "50", **params})).to_dict()
    return {h["id"] for h in res["hits"]}


def test_accents_and_case_do_not_matter(svc):
    variants = [found(svc, q) for q in ("sécurité", "securite", "SECURITE", "Sécurité")]
    assert variants[0] and all(v == variants[0] for v in variants)
    goita = [found(svc, q) for q in ("Goïta", "goita", "GOÏTA")]
    assert goita[0] and all(v == goita[0] for v in goita)


def test_elided_words_are_found(svc):
    assert any(i.startswith("002") for i in found(svc, "avenir"))


def test_lower_case_mali_finds_the_country_not_the_word_mal(svc):
    mali = found(svc, "mali")
    assert len(mali) == 5
    assert found(svc, "mal", autocorrect="0") != mali  # as typed: the word "mal" is not "Mali"


def test_a_phrase_matches_only_in_order(svc):
    assert found(svc, '"coopération militaire"')
    assert not found(svc, '"militaire coopération"')


def test_fuzzy_and_suggestion_find_beloussov_and_lavrov(svc):
    assert any(i.startswith("001") for i in found(svc, "Beloussof~"))
    res = svc.search(SearchRequest.from_params({"q": "Lavrof", "autocorrect": "0"})).to_dict()
    assert res["suggestion"]["text"] == "Lavrov"
    res = svc.search(SearchRequest.from_params({"q": "cooperasion militere"})).to_dict()
    assert res["query"] == "coopération militaire" and res["corrected_from"] == "cooperasion militere"


def test_snippets_mark_accented_words_for_unaccented_queries(svc):
    res = svc.search(SearchRequest.from_params({"q": "securite"})).to_dict()
    assert any("<mark>sécurité</mark>" in s["html"].lower() for h in res["hits"] for s in h["snippets"])


def test_presse_search_json_has_the_index_issue_shape(svc):
    out = cli_run(svc, ["search", "--json", "coopération"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["total"] >= 1
    assert {"id", "title", "outlet", "date", "persons", "score"} <= set(data["hits"][0])
    assert {"outlet", "year", "person"} <= set(data["facets"])
    empty = json.loads(cli_run(svc, ["search", "--json"]).output)
    assert empty["total"] == 5


def test_presse_search_rejects_bad_parameters_with_a_message(svc):
    out = cli_run(svc, ["search", "--year", "abc", "mali"])
    assert out.exit_code == 2 and "année invalide" in out.output
