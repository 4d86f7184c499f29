"""Persons: NER input, name cleaning, corpus-wide identity, the NER cache, and the seed table."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from search.persons import names
from search.persons import ner
from search.persons import resolve as resolving
from search.index import folder as store
from search.persons.nertext import clean_body, ner_text

SEED_PERSONS = {
    "000": ["Sadio Camara", "Anatolievich Gromyro", "Sergueï Choigou", "Dahirou Dembélé",
            "Ibrahim Boubacar Keïta", "Vladimir Poutine"],
    "001": ["Sadio Camara", "Andreï Beloussov", "Assimi Goïta"],
    "002": ["Assimi Goïta", "Vladimir Poutine", "Sadio Camara"],
    "003": ["Abdoulaye Diop", "Ibrahim Boubacar Keïta", "Sadio Camara", "Vladimir Poutine", "Assimi Goïta"],
    "004": ["Abdoulaye Diop", "Sergueï Lavrov", "Vladimir Poutine"],
}
SEED_COUNTS = {"Sadio Camara": 4, "Vladimir Poutine": 4, "Assimi Goïta": 3, "Abdoulaye Diop": 2,
               "Ibrahim Boubacar Keïta": 2, "Anatolievich Gromyro": 1, "Sergueï Choigou": 1,
               "Dahirou Dembélé": 1, "Andreï Beloussov": 1, "Sergueï Lavrov": 1}


@pytest.fixture(scope="module")
def seed_articles(seeds_dir):
    from search.extract import files as extract

    articles = []
    for path in sorted(seeds_dir.glob("*.txt")):
        articles.extend(extract.load_file(path))
    return articles


@pytest.fixture(scope="module")
def seed_resolution(seed_articles):
    return resolving.resolve(ner.raw_mentions(seed_articles))


# --- cleaning a mention -------------------------------------------------------------------

@pytest.mark.parametrize("span, expected", [
    ("le colonel Sadio Camara", "Sadio Camara"),
    ("Général de corps d’armée Sadio Camara", "Sadio Camara"),
    ("Son Excellence le Colonel Assimi GOÏTA", "Assimi Goïta"),
    ("M. Diop", "Diop"),
    ("Mme Madina SISSOKO", "Madina Sissoko"),
    ("l’imam Mahmoud Dicko", "Mahmoud Dicko"),
    ("El Hadj Oumar Tall", "Oumar Tall"),
    ("d’Ibrahim Boubacar Keita", "Ibrahim Boubacar Keita"),
    ("Ali Sékou alias Diouraydi", "Ali Sékou"),
    ("Mohamed Keita\n\n", "Mohamed Keita"),
    ("Abdel Fattah al-Sissi", "Abdel Fattah al-Sissi"),
    ("Charles de Gaulle", "Charles de Gaulle"),
    ("N'DIAYE", "N'Diaye"),
    ("IBK", "IBK"),
    ("Cheick Modibo Diarra", "Cheick Modibo Diarra"),
])
def test_clean_mention_strips_titles_and_keeps_the_name(span, expected):
    assert names.clean_mention(span) == expected


@pytest.mark.parametrize("span", [
    "Moi j’",                           # pronoun and an elision
    "Deasigned by Adama Fofere Namen",  # lower-case words: a credit, not a name
    "Wagner", "Barkhane", "Sahel", "Sputnik", "Allah",  # known non-persons
    "PANORAMA GROUP LLC",               # an organisation
    "MINUSMA",                          # an acronym that is no alias
    "Armée 2019",                       # digits
    "Elle",                             # a pronoun
    "le président",                     # a title and nothing else
    "A. B.",                            # initials only
    "Jean Paul Marie Louis Henri Robert Durand",  # too long to be one name
    "",
])
def test_clean_mention_rejects_what_is_not_a_person(span):
    assert names.clean_mention(span) is None


@pytest.mark.parametrize("name", ["Sadio Camara", "Assimi Goïta", "IBK", "Abdel Fattah al-Sissi", "N'Diaye"])
def test_clean_mention_is_idempotent(name):
    assert names.clean_mention(names.clean_mention(name)) == names.clean_mention(name)


@pytest.mark.parametrize("a, b", [
    ("Assimi Goïta", "Assimi GOITA"), ("Keïta", "Keita"), ("Sergueï Lavrov", "Serguei Lavrov"),
    ("Jean-Yves Le Drian", "Jean Yves Le Drian"),
])
def test_identity_ignores_accents_case_and_hyphens(a, b):
    assert names.name_key(a) == names.name_key(b)


# --- the text the NER reads ---------------------------------------------------------------

def test_ner_text_drops_comments_byline_teasers_and_footer():
    body = ("Le ministre Sadio Camara a parlé.\n\nÀ Lire Aussi :A Moscou, Vladimir Poutine reçoit\n\n"
            "Fin de l'article.\n\nPar Julie Peh\n\nMohamed Keita\n\nCommentaires via Facebook :\n\n"
            "1. Moi j’aurai préféré Poutine lui-même\n\n© Copyright 2022 – Adama Namen")
    text = clean_body(body)
    assert "Sadio Camara" in text
    for gone in ("Poutine", "Julie Peh", "Mohamed Keita", "Moi", "Copyright"):
        assert gone not in text


def test_ner_text_cuts_flattened_teaser_lists_and_signatures():
    body = ("Le président Ousmane Issoufi Maïga a parlé.  À lire aussi    Industrie : Le Président "
            "Assimi GOITA a reçu Seydou Keita   Célébration du 3 mai: La presse   Adiaratou/Malijet.com")
    text = clean_body(body)
    assert "Ousmane Issoufi Maïga" in text
    assert "Seydou" not in text and "Adiaratou" not in text


def test_ner_text_leaves_out_the_author_line():
    art = {"id": "x", "title": "Titre", "body": "Texte sur Sadio Camara.\n\nMoise Touré", "author": "Moise Touré"}
    assert "Moise" not in ner_text(art)


# --- resolution ---------------------------------------------------------------------------

def test_surname_resolves_to_the_full_name_in_the_same_article():
    res = resolving.resolve({"a": ["Mohamed Keita", "Keita"], "b": ["Ibrahim Boubacar Keïta"]})
    assert res.by_article["a"] == ["Mohamed Keita"]


def test_ambiguous_surname_stays_unresolved():
    res = resolving.resolve({"a": ["Mohamed Keita"], "b": ["Ibrahim Boubacar Keïta"], "c": ["Keïta"]})
    assert res.by_article["c"] == []
    assert res.unresolved == {"Keïta": 1}


def test_surname_alone_resolves_to_the_only_full_name_in_the_corpus():
    res = resolving.resolve({"a": ["Fousseynou Ouattara"], "b": ["Abdoulaye Diopp"], "c": ["Diopp"]})
    assert res.by_article["c"] == ["Abdoulaye Diopp"]


def test_surname_with_no_full_name_anywhere_is_dropped():
    res = resolving.resolve({"a": ["Georgia", "Sadio Camara"]})
    assert res.by_article["a"] == ["Sadio Camara"]


def test_alias_maps_nicknames_and_transliterations():
    res = resolving.resolve({"a": ["IBK"], "b": ["Putin"], "c": ["Prigozhine"], "d": ["Belooussov"]})
    assert res.by_article == {"a": ["Ibrahim Boubacar Keïta"], "b": ["Vladimir Poutine"],
                              "c": ["Evgueni Prigojine"], "d": ["Andreï Beloussov"]}


def test_article_context_wins_over_a_surname_alias():
    res = resolving.resolve({"a": ["Fousseynou Ouattara", "Ouattara"]})
    assert res.by_article["a"] == ["Fousseynou Ouattara"]


def test_display_form_is_the_most_common_accented_spelling():
    res = resolving.resolve({"a": ["Assimi Goita"], "b": ["Assimi Goïta"], "c": ["Assimi GOITA"],
                             "d": ["Assimi Goita"]})
    assert set(res.counts) == {"Assimi Goïta"} and res.counts["Assimi Goïta"] == 4
    assert res.variants["Assimi Goïta"] == {"Assimi Goita": 3, "Assimi Goïta": 1}


def test_shorter_form_in_the_same_article_is_the_same_person():
    res = resolving.resolve({"a": ["Hugues Fabrice Zango", "Fabrice Zango", "Zango"]})
    assert res.by_article["a"] == ["Hugues Fabrice Zango"]


def test_user_edits_to_the_data_files_apply(tmp_path):
    (tmp_path / "person_titles.txt").write_text("sage\n", encoding="utf-8")
    (tmp_path / "non_persons.txt").write_text("Sadio Camara\n", encoding="utf-8")
    (tmp_path / "person_aliases.toml").write_text('[aliases]\n"Le Vieux" = "Amadou Toumani Touré"\n',
                                                  encoding="utf-8")
    rules = names.load_rules(tmp_path)
    res = resolving.resolve({"a": ["Sadio Camara", "sage Modibo Keïta", "Le Vieux"]}, rules=rules)
    assert res.by_article["a"] == ["Modibo Keïta", "Amadou Toumani Touré"]


def test_broken_data_files_count_as_empty(tmp_path):
    (tmp_path / "person_aliases.toml").write_bytes(b"\xff\xfe not toml [[[")
    rules = names.load_rules(tmp_path)
    assert rules.aliases == {} and names.clean_mention("Sadio Camara", rules) == "Sadio Camara"


def test_resolve_survives_hostile_mentions():
    res = resolving.resolve({"a": [None, 3, "", "\x00", "x" * 10_000, "Sadio Camara"], "b": None})
    assert res.by_article == {"a": ["Sadio Camara"], "b": []}


# --- the seeds ----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("prefix", sorted(SEED_PERSONS))
def test_seed_persons_match_the_table(seed_articles, seed_resolution, prefix):
    art = next(a for a in seed_articles if a["id"].startswith(prefix))
    assert sorted(seed_resolution.by_article[art["id"]]) == sorted(SEED_PERSONS[prefix])


@pytest.mark.slow
def test_seed_person_counts_match_the_facet(seed_resolution):
    assert seed_resolution.counts == SEED_COUNTS
    rows = seed_resolution.to_json()["persons"]
    assert [r["name"] for r in rows[:2]] == ["Sadio Camara", "Vladimir Poutine"]
    assert "IBK" in next(r for r in rows if r["name"] == "Ibrahim Boubacar Keïta")["variants"]


@pytest.mark.slow
def test_annotate_fills_persons_and_never_lists_the_author(seed_articles):
    arts = [dict(a) for a in seed_articles]
    arts[0]["author"] = "Mohamed Keita"
    resolving.annotate(arts)
    assert all(isinstance(a["persons"], list) for a in arts)
    assert "Mohamed Keita" not in arts[0]["persons"]
    assert "Vladimir Poutine" in arts[0]["persons"]


# --- the cache ----------------------------------------------------------------------------

@pytest.mark.slow
def test_cache_answers_a_second_run_without_ner(tmp_path, seed_articles, monkeypatch):
    cache = ner.NerCache(tmp_path / "persons-cache.sqlite")
    first = ner.raw_mentions(seed_articles, cache=cache)

    def no_ner(*_a, **_k):
        raise AssertionError("NER ran on cached text")

    monkeypatch.setattr(ner, "tag_spans", no_ner)
    assert ner.raw_mentions(seed_articles, cache=cache) == first
    cache.close()


def test_corrupt_cache_file_is_rebuilt(tmp_path):
    path = tmp_path / "persons-cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cache = ner.NerCache(path, key="k")
    cache.put_many({"h": ["Sadio Camara"]})
    assert cache.get_many(["h", "other"]) == {"h": ["Sadio Camara"]}
    cache.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM mentions").fetchone() == (1,)


def test_cache_is_keyed_by_model(tmp_path):
    path = tmp_path / "c.sqlite"
    with ner.NerCache(path, key="model-a") as a:
        a.put_many({"h": ["X Y"]})
    with ner.NerCache(path, key="model-b") as b:
        assert b.get_many(["h"]) == {}


# --- listing ------------------------------------------------------------------------------

def test_list_persons_reads_the_live_generation(tmp_path):
    gen = store.new_generation(tmp_path)
    res = resolving.resolve({"a": ["Sadio Camara", "IBK"], "b": ["Sadio Camara"]})
    (gen / resolving.PERSONS_FILE).write_text(json.dumps(res.to_json()), encoding="utf-8")
    (tmp_path / store.CURRENT).write_text(gen.name + "\n", encoding="utf-8")
    rows = resolving.list_persons(tmp_path)
    assert rows[0] == {"name": "Sadio Camara", "count": 2, "variants": ["Sadio Camara"]}
    assert rows[1]["name"] == "Ibrahim Boubacar Keïta" and rows[1]["variants"] == ["IBK"]


def test_list_persons_without_an_index_raises_no_index(tmp_path):
    with pytest.raises(store.NoIndex):
        resolving.list_persons(tmp_path)


def test_importing_persons_does_not_load_spacy():
    code = ("import sys, search.persons.ner, search.persons.resolve, search.persons.names;"
            " sys.exit('spacy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent).returncode == 0


# --- the annotated corpus sample ----------------------------------------------------------

@pytest.mark.slow
def test_precision_and_recall_on_the_annotated_corpus_sample(corpus_dir):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        import bench_ner
    finally:
        sys.path.pop(0)
    gold = bench_ner.load_gold()
    sample = bench_ner.read_corpus(corpus_dir, ids=set(gold))
    if len(sample) < len(gold):
        pytest.skip("the corpus does not hold every annotated article")
    res = resolving.resolve(ner.raw_mentions(sample))
    precision, recall, fps, fns = bench_ner.score(gold, res.by_article)
    assert precision >= 0.9, fps
    assert recall >= 0.9, fns


# --- hostile input ------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_clean_mention_never_raises_and_returns_a_clean_name(text):
    name = names.clean_mention(text)
    assert name is None or (name == name.strip() and "\n" not in name and len(name) <= names.MAX_CHARS)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500), st.one_of(st.none(), st.text(max_size=30)))
def test_ner_text_never_raises(body, author):
    text = ner_text({"id": "x", "title": "T", "body": body, "author": author})
    assert isinstance(text, str)
