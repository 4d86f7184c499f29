"""Did you mean: corrections from the folded exact vocabulary, shown with accents, on both engines."""

from __future__ import annotations

import pytest

from search.query.service import SearchService
from search.query.request import SearchRequest
from tests.engine_fixture import build, whoosh_only
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)
from tests.query_fixtures import ARTICLES, build_index

VOCABULARY_FILE = "the vocabulary file of a Whoosh generation"


@pytest.fixture(scope="module")
def svc(engine_name, request):
    return build(request, engine_name, articles=ARTICLES)


def suggest(svc, q, **params):
    """Return the "did you mean" of a query searched as typed (no automatic correction)."""
    return svc.search(SearchRequest.from_params({"q": q, "autocorrect": "0", **params})).to_dict()["suggestion"]


@pytest.mark.parametrize("q, corrected", [
    ("cooperasion militere", "coopération militaire"),
    ("Lavrof", "Lavrov"),
])
def test_a_query_finding_nothing_shows_the_results_of_its_correction_at_once(svc, q, corrected):
    as_typed = svc.search(SearchRequest.from_params({"q": q, "autocorrect": "0"})).to_dict()
    fixed = svc.search(SearchRequest.from_params({"q": q})).to_dict()
    direct = svc.search(SearchRequest.from_params({"q": corrected})).to_dict()
    assert as_typed["total"] == 0 and as_typed["corrected_from"] is None
    assert fixed["corrected_from"] == q and fixed["query"] == corrected and fixed["suggestion"] is None
    assert fixed["total"] == direct["total"] > 0
    assert [h["id"] for h in fixed["hits"]] == [h["id"] for h in direct["hits"]]


def test_a_query_with_hits_is_never_replaced_by_its_correction(svc):
    res = svc.search(SearchRequest.from_params({"q": "Lavrov"})).to_dict()
    assert res["corrected_from"] is None and res["query"] == "Lavrov"


@pytest.mark.parametrize("q, expected", [
    ("cooperasion militere", "coopération militaire"),
    ("Lavrof", "Lavrov"),
    ("securiter", "sécurité"),
    ("titre:cooperasion", "titre:coopération"),
])
def test_misspelt_words_get_an_accented_suggestion(svc, q, expected):
    sug = suggest(svc, q)
    assert sug is not None and sug["text"] == expected
    assert sug["total"] >= 1


def test_the_suggestion_html_marks_the_corrected_words_only(svc):
    sug = suggest(svc, "cooperasion & <militere>")
    assert sug["html"] == "<mark>coopération</mark> &amp; <mark>militaire</mark>"


@pytest.mark.parametrize("q", ["coopération", "sécurité niger", "", "annee:2023", "zzzzqqq"])
def test_no_suggestion_when_it_would_not_give_more_results(svc, q):
    assert suggest(svc, q) is None


def test_no_suggestion_when_filters_leave_nothing_for_the_correction(svc):
    assert suggest(svc, "cooperasion", outlet=["Bamada.net"]) is None


# -- the saved vocabulary


def _vocab(index_dir):
    from search.index import folder as store
    from search.query import suggest

    gen = store.live_path(index_dir)
    return gen, suggest


@whoosh_only(VOCABULARY_FILE)
def test_a_saved_vocabulary_loads_back_to_the_same_terms(tmp_path):
    from whoosh import index as windex

    build_index(tmp_path, ARTICLES)
    gen, suggest = _vocab(tmp_path)
    assert suggest.save_vocabulary(gen)
    loaded, stamp = suggest.load_vocabulary(gen / suggest.VOCAB_FILE)
    with windex.open_dir(str(gen)).searcher() as s:
        read = suggest.Vocabulary(s)._read(suggest.EXACT_FIELDS)
        assert stamp == {"generation": s.reader().generation(), "docs": s.reader().doc_count_all()}
    assert {k: (list(t), d.tolist()) for k, (t, d) in loaded.items()} == \
        {k: (sorted(t), [x for _t, x in sorted(zip(t, d.tolist()))]) for k, (t, d) in read.items()}


@whoosh_only(VOCABULARY_FILE)
def test_a_large_index_without_the_file_never_makes_a_search_wait(tmp_path, monkeypatch):
    import threading

    build_index(tmp_path, ARTICLES)
    _gen, suggest = _vocab(tmp_path)
    gate = threading.Event()
    real = suggest.read_vocabulary

    def slow(reader, fields=suggest.EXACT_FIELDS):
        gate.wait(5)
        return real(reader, fields)

    monkeypatch.setattr(suggest, "SYNC_BUILD_DOCS", 0)
    monkeypatch.setattr(suggest, "read_vocabulary", slow)
    svc = SearchService(tmp_path)
    res = svc.search(SearchRequest.from_params({"q": "Lavrof~ OR cooperasion"})).to_dict()
    assert res["suggestion"] is None  # the vocabulary is still being read: no waiting for it
    assert "a1" in {h["id"] for h in res["hits"]}  # fuzzy words still expand (Whoosh's own scan)
    gate.set()
    vocab = svc._current()[1].vocab
    for _ in range(200):
        if vocab.ready():
            break
        threading.Event().wait(0.02)
    assert suggest_text(svc, "cooperasion militere") == "coopération militaire"


def suggest_text(svc, q):
    sug = suggest(svc, q)
    return sug and sug["text"]


@whoosh_only(VOCABULARY_FILE)
@pytest.mark.parametrize("content", [b"", b"garbage", b"PRESSE-VOCAB 1\n{not json\n", b"PRESSE-VOCAB 1\n{}\n"])
def test_a_damaged_vocabulary_file_is_ignored(tmp_path, content):
    build_index(tmp_path, ARTICLES)
    gen, suggest = _vocab(tmp_path)
    (gen / suggest.VOCAB_FILE).write_bytes(content)
    assert suggest.load_vocabulary(gen / suggest.VOCAB_FILE) is None
    assert suggest_text(SearchService(tmp_path), "cooperasion militere") == "coopération militaire"


@whoosh_only(VOCABULARY_FILE)
def test_a_stale_vocabulary_serves_until_the_fresh_one_is_read(tmp_path):
    import threading

    from whoosh import index as windex

    from tests.query_fixtures import article, to_doc

    build_index(tmp_path, ARTICLES)
    gen, suggest = _vocab(tmp_path)
    assert suggest.save_vocabulary(gen)
    with windex.open_dir(str(gen)).writer() as w:  # a later commit: the saved file is now stale
        w.add_document(**to_doc(article("z1", "Transhumance", "Les éleveurs peuls du Macina.")))
    svc = SearchService(tmp_path)
    vocab = svc._current()[1].vocab
    assert vocab.buckets()  # the stale file, at once
    for _ in range(200):
        if not vocab._loading:
            break
        threading.Event().wait(0.02)
    assert "macina" in vocab.buckets()["m"][0]


# -- candidate ranking: sound, edits, frequency, combinations


@pytest.mark.parametrize("typed, correct", [
    ("cooperasion", "coopération"), ("militere", "militaire"), ("Lavrof", "Lavrov"), ("Barkane", "Barkhane"),
    ("securiter", "sécurité"), ("Beloussof", "Beloussov"), ("terorisme", "terrorisme"), ("Bamakoo", "Bamako"),
    ("elektion", "élection"), ("atake", "attaque"), ("Kadafi", "Kadhafi"), ("presidant", "président"),
])
def test_a_misspelling_sounds_like_the_word(typed, correct):
    from search.query.suggest import phonetic

    assert phonetic(typed) == phonetic(correct)


@pytest.mark.parametrize("a, b", [("militaire", "ministere"), ("mali", "malien"), ("niger", "nigeria"),
                                  ("coup", "cour")])
def test_different_words_do_not_sound_alike(a, b):
    from search.query.suggest import phonetic

    assert phonetic(a) != phonetic(b)


def sound_index(request, engine, extra=()):
    from tests.query_fixtures import article

    arts = [article(f"m{i}", "Le militaire", "Un militaire parle.") for i in range(20)]
    arts += [article("x1", "Militer", "Militer pour la paix.")]
    arts += [article(f"e{i}", "Élection", "L'élection présidentielle.") for i in range(30)]
    arts += list(extra)
    return build(request, engine, articles=arts, label="sound")


@pytest.fixture(scope="module")
def sound_svc(engine_name, request):
    return sound_index(request, engine_name)


def test_a_same_sounding_candidate_beats_a_closer_spelling(sound_svc):
    # "militer" is one edit away, "militaire" two: the sound and the frequency decide
    assert suggest_text(sound_svc, "militere") == "militaire"


def test_a_far_spelling_that_sounds_the_same_is_found(sound_svc):
    assert suggest_text(sound_svc, "elekssion") == "élection"


def test_a_typo_shared_by_a_few_articles_is_corrected_to_a_far_commoner_form(engine_name, request):
    from tests.query_fixtures import article

    # a typo seen 3 times is not "rare", yet the same-sounding spelling is 100 times commoner
    typos = [article(f"t{i}", "Une faute", "Le presidant parle.") for i in range(3)]
    others = [article(f"p{i}", "Le président", "Le président parle.") for i in range(300)]
    svc = sound_index(request, engine_name, typos + others)
    assert suggest_text(svc, "presidant") == "président"


def test_several_misspelt_words_prefer_a_combination_found_together(engine_name, request):
    from tests.query_fixtures import article

    # "rizière" alone is commoner, but only "rivière" occurs with "niger"
    arts = [article(f"r{i}", "La rizière", "Une rizière verte.") for i in range(10)]
    arts += [article("n1", "Le fleuve", "La rivière Niger déborde.")]
    svc = build(request, engine_name, articles=arts)
    sug = suggest(svc, "riviere nigger")
    assert sug is not None and sug["text"] == "rivière Niger" and sug["total"] == 1
    sug = suggest(svc, "rixiere nigr")
    assert sug is not None and sug["text"] == "rivière Niger" and sug["total"] == 1


# -- many misspelt words: work linear in the number of words, inside the time limit


@pytest.mark.parametrize("options", [
    [[("a", 3.0), ("b", 2.0), ("c", 1.0)], [("d", 2.5), ("e", 2.4), ("f", 0.1)]],
    [[("a", 1.0), ("b", 1.0)], [("c", 1.0), ("d", 1.0)], [("e", 2.0), ("f", 1.0)]],  # ties: product order
    [[("a", 1.0)], [("b", 5.0), ("c", 4.9), ("d", -1.0)], [("e", 0.5), ("f", 0.4)], [("g", 0.0), ("h", -0.2)]],
    [[("a", 0.3), ("b", 0.2), ("c", 0.1)]],
])
@pytest.mark.parametrize("limit", [1, 6, 100])
def test_the_best_combinations_come_in_the_order_of_the_full_product(options, limit):
    from itertools import product

    from search.query.suggest import best_combinations

    ranked = sorted(product(*(range(len(o)) for o in options)),
                    key=lambda pick: -sum(options[w][i][1] for w, i in enumerate(pick)))
    assert best_combinations(options, limit) == ranked[:limit]


#: Long words that a typo (a letter added) brings one edit away from three indexed spellings.
BASES = ["militaire", "ministre", "capacite", "terroriste", "francaise", "continent", "partenaire", "securite",
         "frontiere", "gouvernement", "population", "economie"]


@pytest.fixture(scope="module")
def typo_svc(engine_name, request):
    from tests.query_fixtures import article

    arts = [article("all", "Tous les mots", " ".join(BASES))]
    arts += [article(f"b{i}", "Un mot", f"{w} {w}") for i, w in enumerate(BASES * 2)]
    arts += [article(f"v{i}", "Des variantes", f"{w}s {w}e") for i, w in enumerate(BASES)]
    return build(request, engine_name, articles=arts, label="typo")


@whoosh_only("the candidates of the Whoosh vocabulary")
def test_each_misspelt_word_of_the_typo_index_has_three_spellings(typo_svc):
    vocab = typo_svc._current()[1].vocab
    assert all(len(vocab.candidates(w + "q", 3)) == 3 for w in BASES)


def test_twelve_misspelt_words_are_corrected_in_little_memory(typo_svc):
    import tracemalloc

    suggest(typo_svc, "cooperasion")  # opens the index and reads the vocabulary first
    tracemalloc.start()
    try:
        sug = suggest(typo_svc, " ".join(w + "q" for w in BASES))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # sorting every combination of three spellings for 12 words (531,441 of them) took 90 MB
    assert peak < 16 * 2**20
    assert sug is not None and sug["text"] == " ".join(BASES) and sug["total"] == 1


@whoosh_only("a clock and the candidates of the Whoosh vocabulary monkeypatched")
def test_suggestions_stop_at_the_search_time_limit_without_cutting_the_results(typo_svc, monkeypatch):
    from types import SimpleNamespace

    from search.query import suggest as sg
    from search.query import timelimit

    clock = [0.0]
    monkeypatch.setattr(timelimit, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setenv("PRESSE_SEARCH_TIME_LIMIT", "5")
    real = sg.Vocabulary.candidates

    def slow(self, term, k=3):
        clock[0] += 2.0  # each word's spellings take two seconds of the five
        return real(self, term, k)

    monkeypatch.setattr(sg.Vocabulary, "candidates", slow)
    q = " ".join(w + "q" for w in BASES[:4])
    res = typo_svc.search(SearchRequest.from_params({"q": q})).to_dict()
    assert res["suggestion"] is None
    assert not any("interrompue" in w for w in res["warnings"])  # the hits (none) are complete
    monkeypatch.setattr(sg.Vocabulary, "candidates", real)
    # the result without its suggestion was not cached: with time to spare, the suggestion comes
    assert suggest_text(typo_svc, q) == " ".join(BASES[:4])


@pytest.mark.parametrize("typos, correct, offered", [
    (25, 600, True),  # « presidant macron » 25 hits, « président macron » 625: offered above the results
    (25, 60, False),  # 85 against 25: not far more, the query stands as typed
])
def test_a_query_with_hits_is_offered_a_correction_that_finds_far_more(engine_name, request, typos, correct, offered):
    from tests.query_fixtures import article

    arts = [article(f"t{i}", "Une faute", "Le presidant Macron parle.") for i in range(typos)]
    arts += [article(f"p{i}", "Le président", "Le président Macron parle.") for i in range(correct)]
    svc = sound_index(request, engine_name, arts)
    res = svc.search(SearchRequest.from_params({"q": "presidant macron"})).to_dict()
    assert res["total"] == typos
    assert (res["suggestion"] is not None and res["suggestion"]["text"] == "président macron") is offered
