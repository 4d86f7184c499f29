"""Did you mean: corrections from the folded exact vocabulary, shown with accents."""

from __future__ import annotations

import pytest

from search.query import SearchRequest, SearchService
from tests.query_fixtures import ARTICLES, build_index


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("suggest-index")
    build_index(index_dir, ARTICLES)
    return SearchService(index_dir)


def suggest(svc, q, **params):
    return svc.search(SearchRequest.from_params({"q": q, **params})).to_dict()["suggestion"]


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
    from search import store, suggest

    gen = store.live_path(index_dir)
    return gen, suggest


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


@pytest.mark.parametrize("content", [b"", b"garbage", b"PRESSE-VOCAB 1\n{not json\n", b"PRESSE-VOCAB 1\n{}\n"])
def test_a_damaged_vocabulary_file_is_ignored(tmp_path, content):
    build_index(tmp_path, ARTICLES)
    gen, suggest = _vocab(tmp_path)
    (gen / suggest.VOCAB_FILE).write_bytes(content)
    assert suggest.load_vocabulary(gen / suggest.VOCAB_FILE) is None
    assert suggest_text(SearchService(tmp_path), "cooperasion militere") == "coopération militaire"


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
    from search.suggest import phonetic

    assert phonetic(typed) == phonetic(correct)


@pytest.mark.parametrize("a, b", [("militaire", "ministere"), ("mali", "malien"), ("niger", "nigeria"),
                                  ("coup", "cour")])
def test_different_words_do_not_sound_alike(a, b):
    from search.suggest import phonetic

    assert phonetic(a) != phonetic(b)


def sound_index(tmp_path, extra=()):
    from tests.query_fixtures import article

    arts = [article(f"m{i}", "Le militaire", "Un militaire parle.") for i in range(20)]
    arts += [article("x1", "Militer", "Militer pour la paix.")]
    arts += [article(f"e{i}", "Élection", "L'élection présidentielle.") for i in range(30)]
    arts += list(extra)
    build_index(tmp_path, arts)
    return SearchService(tmp_path)


def test_a_same_sounding_candidate_beats_a_closer_spelling(tmp_path):
    # "militer" is one edit away, "militaire" two: the sound and the frequency decide
    assert suggest_text(sound_index(tmp_path), "militere") == "militaire"


def test_a_far_spelling_that_sounds_the_same_is_found(tmp_path):
    assert suggest_text(sound_index(tmp_path), "elekssion") == "élection"


def test_a_typo_shared_by_a_few_articles_is_corrected_to_a_far_commoner_form(tmp_path):
    from tests.query_fixtures import article

    # a typo seen 3 times is not "rare", yet the same-sounding spelling is 100 times commoner
    typos = [article(f"t{i}", "Une faute", "Le presidant parle.") for i in range(3)]
    others = [article(f"p{i}", "Le président", "Le président parle.") for i in range(300)]
    svc = sound_index(tmp_path, typos + others)
    assert suggest_text(svc, "presidant") == "président"


def test_several_misspelt_words_prefer_a_combination_found_together(tmp_path):
    from tests.query_fixtures import article

    # "rizière" alone is commoner, but only "rivière" occurs with "niger"
    arts = [article(f"r{i}", "La rizière", "Une rizière verte.") for i in range(10)]
    arts += [article("n1", "Le fleuve", "La rivière Niger déborde.")]
    build_index(tmp_path, arts)
    svc = SearchService(tmp_path)
    sug = suggest(svc, "riviere nigger")
    assert sug is None or sug["total"] >= 1
    sug = suggest(svc, "rixiere nigr")
    assert sug is not None and sug["text"] == "rivière Niger" and sug["total"] == 1
