"""French analysis: table-driven token checks, and the same terms on the index and query side."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from search.index import analysis
from search.index.analysis import analyze_terms, exact_analyzer, french_analyzer, keyword_analyzer, pair_analyzer
from search.text import fold

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("text, expected", [
    # elisions, both apostrophes
    ("l'avenir", ["aven"]),
    ("L’avenir", ["aven"]),
    ("d'accord", ["accord"]),
    ("qu'il jusqu'à lorsqu’elle puisqu'on", []),
    ("presqu'île", ["ile"]),
    ("qu'aujourd'hui", ["aujourdhui"]),
    # accents folded before stemming
    ("sécurité securite SÉCURITÉ Securite", ["secur"] * 4),
    ("coopération cooperation coopérations", ["cooper"] * 3),
    ("renforcée renforcee renforcé renforcer", ["renforc"] * 4),
    ("première premiere premier", ["premi"] * 3),
    ("œuvre oeuvre", ["oeuvr"] * 2),
    # plurals in -s and -x
    ("asymétriques asymétrique", ["asymetr", "asymetr"]),
    ("militaires militaire", ["militair", "militair"]),
    ("journaux journal", ["journal", "journal"]),
    # hyphenated words are split
    ("Mali-Russie", ["mali", "russie"]),
    ("militaro-technique", ["militaro", "techniqu"]),
    # names with apostrophes are not elisions
    ("N'Diaye", ["ndiaye"]),
    ("n'diaye NDIAYE ndiaye", ["ndiaye"] * 3),
    ("N’Djamena", ["ndjamena"]),
    ("n'est", []),
    # numbers and dates
    ("le 16 juin 2021", ["16", "juin", "2021"]),
    ("2023-08-02", ["2023", "08", "02"]),
    ("3,5% et 1.000 francs", ["3,5", "1.000", "franc"]),
    ("1er", ["1er"]),
    # proper nouns protected from stemming, whatever their case
    ("Mali mali MALI", ["mali"] * 3),
    ("mal", ["mal"]),
    ("France franc", ["france", "franc"]),
    ("Niger Goïta Keïta", ["niger", "goita", "keita"]),
    # French stop words only: English ones and homographs are kept
    ("les us et coutumes", ["us", "coutum"]),
    ("as or été on", ["as", "or", "ete"]),
    ("maïs mais", ["mais"]),
])
def test_french_analyzer_gives_expected_terms(text, expected):
    assert analyze_terms(text, "french") == expected


@pytest.mark.parametrize("text, expected", [
    ("Coopération militaire", ["cooperation", "militaire"]),
    ("forces armées de la nation", ["forces", "armees", "de", "la", "nation"]),
    ("L’avenir", ["avenir"]),
    ("N'Diaye", ["ndiaye"]),
])
def test_exact_analyzer_keeps_whole_words_and_stop_words(text, expected):
    assert analyze_terms(text, "exact") == expected


@pytest.mark.parametrize("text, expected", [
    ("L'Essor", ["essor"]),
    ("Assimi Goïta", ["assimi", "goita"]),
    ("Le Républicain", ["republicain"]),
])
def test_keyword_analyzer_folds_names_word_by_word(text, expected):
    assert analyze_terms(text, "keyword") == expected


@pytest.mark.parametrize("typed, source", [
    ("securite", "sécurité"),
    ("GOÏTA", "Goïta"),
    ("goita", "Goïta"),
    ("avenir", "L’avenir"),
    ("asymétriques", "asymétrique"),
    ("renforcee", "renforcées"),
    ("mali", "Mali"),
    ("ndiaye", "N'Diaye"),
    ("n'diaye", "N’Diaye"),
    ("n'guessan", "N'Guessan"),
])
def test_query_word_gives_a_term_the_indexed_word_has(typed, source):
    indexed = analyze_terms(source, "french", mode="index")
    assert set(analyze_terms(typed, "french", mode="query")) <= set(indexed)


def test_word_mal_does_not_match_mali():
    assert not set(analyze_terms("mal", mode="query")) & set(analyze_terms("Mali", mode="index"))


def test_every_accented_seed_word_is_found_typed_without_accents(seeds_dir):
    words = set()
    for path in seeds_dir.glob("*.txt"):
        for tok in analysis._TOKEN_RE.findall(path.read_text(encoding="utf-8")):
            if not tok.isascii():
                words.add(tok)
    assert len(words) > 100
    missing = [w for w in words
               if analyze_terms(fold(w), mode="query") != analyze_terms(w, mode="index")]
    assert missing == []


def test_positions_and_character_offsets_point_at_the_source_word():
    text = "Le Mali-Russie, l’avenir"
    toks = [(t.text, t.pos, text[t.startchar:t.endchar])
            for t in french_analyzer()(text, positions=True, chars=True)]
    assert toks == [("mali", 0, "Mali"), ("russie", 1, "Russie"), ("aven", 2, "l’avenir")]


def test_stop_words_are_marked_not_dropped_when_asked():
    toks = [(t.text, t.stopped) for t in french_analyzer()("les forces", removestops=False)]
    assert toks == [("les", True), ("forc", False)]


def test_spelling_mode_skips_stemming():
    assert [t.text for t in french_analyzer()("coopérations", no_morph=True)] == ["cooperations"]


@pytest.mark.parametrize("value", ["", "   ", "—", "💥🔥", "\x00\x01", "a" * 500, None, 12])
def test_odd_input_gives_terms_without_error(value):
    assert isinstance([t.text for t in french_analyzer()(value)], list)


def test_decomposed_accents_are_composed_before_analysis():
    assert analyze_terms("se\u0301curite\u0301") == ["secur"]


@pytest.mark.parametrize("factory", [french_analyzer, exact_analyzer, keyword_analyzer, pair_analyzer])
def test_analyzers_survive_pickling(factory):
    analyzer = factory()
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone == analyzer
    assert [t.text for t in clone("Sécurité au Mali")] == [t.text for t in analyzer("Sécurité au Mali")]


def test_unknown_analyzer_name_is_a_value_error():
    with pytest.raises(ValueError):
        analyze_terms("x", "klingon")


def test_protected_words_are_case_and_accent_insensitive():
    assert analysis.is_protected("MALI") and analysis.is_protected("segou")
    assert not analysis.is_protected("sécurité")


def test_fingerprint_is_the_same_in_processes_with_other_hash_seeds():
    # word sets iterate in a per-process order: an index built by one process is read by others
    code = "from search.index import analysis; print(analysis.analysis_fingerprint())"
    seen = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert seen == {analysis.analysis_fingerprint()}


@pytest.mark.parametrize("words", ["protected_words", "STOP_WORDS", "ELISIONS"])
def test_fingerprint_changes_when_a_word_list_of_the_analysis_changes(monkeypatch, words):
    before = analysis.analysis_fingerprint()
    if words == "protected_words":
        protected = analysis.protected_words() | {"tombouctou2"}
        monkeypatch.setattr(analysis, words, lambda: protected)
    else:
        monkeypatch.setattr(analysis, words, frozenset(getattr(analysis, words)) | {"tombouctou2"})
    assert analysis.analysis_fingerprint() != before


@pytest.mark.parametrize("text, pairs", [
    ("Les forces armées", ["les forces", "forces armees"]),
    ("L'état d'urgence", ["etat urgence"]),
    ("président de la République", ["president de", "de la", "la republique"]),
    ("covid-19", ["covid 19"]),
    ("seul", []),
    ("", []),
])
def test_pair_analyzer_joins_consecutive_exact_words(text, pairs):
    assert analyze_terms(text, "pairs") == pairs


def test_pairs_sit_at_the_first_words_position_and_span_both_words():
    text = "Les forces armées"
    toks = [(t.text, t.pos, text[t.startchar:t.endchar])
            for t in pair_analyzer()(text, positions=True, chars=True)]
    assert toks == [("les forces", 0, "Les forces"), ("forces armees", 1, "forces armées")]


def test_a_name_indexed_two_ways_pairs_both_ways():
    pairs = [t.text for t in pair_analyzer()("avec N'Guessan hier")]
    assert pairs == ["avec nguessan", "avec guessan", "nguessan hier", "guessan hier"]


def test_with_a_frequent_word_set_only_pairs_of_two_frequent_words_are_made():
    analyzer = pair_analyzer({"les", "forces", "armees", "de"})
    assert [t.text for t in analyzer("Les forces armées de Barkhane")] == ["les forces", "forces armees", "armees de"]
    assert analyzer.has_pair("forces", "armees") and not analyzer.has_pair("de", "barkhane")
    assert pair_analyzer().has_pair("de", "barkhane")


def test_frequent_words_are_those_of_enough_articles():
    texts = ["Les forces armées", "les forces", "Barkhane", "l'armée et les forces"]
    assert analysis.frequent_words(texts, share=0.5) == {"les", "forces"}
    assert analysis.frequent_words([], share=0.5) == frozenset()
