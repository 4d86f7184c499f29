"""Snippets and highlighting: matches through accent folding and stemming, escaped HTML."""

from __future__ import annotations

import re

import pytest

from search.query.request import SearchRequest
from search.query.snippets import MAX_FRAGMENTS
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.query_fixtures import ARTICLES, article

LONG_BODY = " ".join(
    [f"Paragraphe {i} sans rapport avec le sujet du jour." for i in range(60)]
    + ["La coopération sécuritaire progresse."]
    + [f"Phrase de remplissage {i}." for i in range(60)]
    + ["Une nouvelle coopération est annoncée."]
)


@pytest.fixture(scope="module")
def svc(engine_name, request):
    extra = [article("long", "Un long article", LONG_BODY, outlet="Maliweb", date="2024-01-01")]
    return build(request, engine_name, articles=ARTICLES + extra)


def snippets(svc, q, article_id):
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "50"})).to_dict()
    hit = next(h for h in res["hits"] if h["id"] == article_id)
    return [s["html"] for s in hit["snippets"]]


@pytest.mark.parametrize("q, article_id, marked", [
    ("securite", "a2", "sécurité"),
    ("SÉCURITÉ", "a2", "sécurité"),
    ("coopérations", "a1", "coopération"),
    ("cooperation", "a3", "Coopérations"),
    ("coop*", "a5", "coopération"),
    ('"forces armees"', "a2", "forces"),
    ("Lavrof~", "a1", "Lavrov"),
    ("transhumance", "a8", "transhumance"),
])
def test_matched_words_are_marked_through_folding_and_stemming(svc, q, article_id, marked):
    html = " ".join(snippets(svc, q, article_id))
    assert f"<mark>{marked}</mark>" in html


def test_snippets_are_fragments_around_matches_in_a_long_body(svc):
    frags = snippets(svc, "coopération", "long")
    assert 1 <= len(frags) <= MAX_FRAGMENTS
    assert all("<mark>coopération</mark>" in f for f in frags)
    assert frags[0].startswith("… ")
    assert all(len(re.sub(r"<[^>]+>", "", f)) < 400 for f in frags)


def test_snippet_html_is_escaped_with_only_mark_tags(svc):
    for html in snippets(svc, "sécurité", "a6"):
        assert set(re.findall(r"</?(\w+)", html)) <= {"mark"}
        assert "&lt;script&gt;" in html


def test_a_hit_without_a_body_match_shows_its_lead_unmarked(svc):
    frags = snippets(svc, "titre:piégé", "a6")
    assert len(frags) == 1 and "<mark>" not in frags[0]


def test_negated_words_are_not_marked(svc):
    html = " ".join(snippets(svc, "sécurité -niger", "a1"))
    assert "<mark>sécurité</mark>" in html
    assert "<mark>Sahel</mark>" not in html


def _word_by_word(hl, kind, text):
    """The plain definition of spans: every _CHUNK word analysed in turn."""
    from search.query import snippets as sn

    fields = [(f, hl.highlight.get(f)) for f in sn.KIND_FIELDS[kind] if hl.highlight.get(f)]
    out = []
    for m in sn._CHUNK.finditer(text):
        hit = hl._match_chunk(fields, m.group(0))
        if hit:
            out.append((m.start() + hit[0], m.start() + hit[1], hit[2]))
    return out


@pytest.mark.parametrize("texts", [
    ["La coopération militaire et la sécurité.", "Coopérations : l'accord, d’accord, ACCORD.",
     "N'Diaye et M'Bodj, aujourd'hui.", "sécurité-coopération x-y 2023 œuvre Œuvres"],
])
def test_spans_found_through_a_word_cache_that_overflows_are_the_word_by_word_ones(texts, monkeypatch):
    from search.index.schema import build_schema
    from search.query import snippets as sn

    wanted = {"body": {"cooper", "accord", "ndiay", "oeuvr", "secur"}, "body_exact": {"la", "2023"}}
    plain = sn.Highlighter(sn.WordAnalyzer(build_schema()), wanted)
    monkeypatch.setattr(sn, "_WORD_CACHE_MAX", 6)  # a fresh state every few words
    hl = sn.Highlighter(sn.WordAnalyzer(build_schema()), wanted)
    for text in texts * 3:
        assert hl.spans("body", text, limit=None) == _word_by_word(plain, "body", text)


@pytest.mark.parametrize("text", [
    "l'état d'urgence-sécurité x-sécurité sécurité-x 'sécurité' d’sécurité sécurité’s ---sécurité_ sécurité2",
    "2sécurité sécurités SÉCURITÉ Sécurité. (sécurité) «sécurité» sécu-rité sécurité-sécurité",
    "aujourd'hui c'est-à-dire N'Diaye n'diaye l’État, l'etat",
    "", "   ", "sécurité",
])
def test_spans_found_by_regex_are_exactly_the_word_by_word_ones(text):
    from search.index.schema import build_schema
    from search.query.snippets import Highlighter, WordAnalyzer

    hl = Highlighter(WordAnalyzer(build_schema()),
                     {"body": {"secur", "etat", "urgenc", "aujourdhui", "ndiay", "diay"},
                      "body_exact": {"securite", "de", "la"}})
    assert hl.spans("body", text, limit=None) == _word_by_word(hl, "body", text)
