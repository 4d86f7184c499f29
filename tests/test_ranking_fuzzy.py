"""Fuzzy words (``Goïta~``): the word typed ranks first, close spellings after it, far ones never."""

from __future__ import annotations

import pytest

from search.query.build import plausible_spelling
from search.query.service import SearchService
from search.query.request import SearchRequest
from tests.query_fixtures import article, build_index

FILLER = "Le conseil des ministres s'est réuni à Bamako pour examiner plusieurs dossiers. "

#: Two articles of each shape: the name as typed, and a misspelling one edit away (``Goïtta``).
SHAPES = {
    "title": ("Assimi {} reçoit les partis politiques", FILLER * 4),
    "body": ("Conseil des ministres", FILLER * 6 + "Le colonel {} a présidé la séance."),
    "both": ("La transition selon {}", FILLER * 2 + "{} a parlé."),
}
ARTICLES = [
    article(f"{form}-{shape}", title.format(name), body.format(name), date="2023-01-01")
    for shape, (title, body) in SHAPES.items() for form, name in (("exact", "Goïta"), ("typo", "Goïtta"))
] + [
    # rare words two edits away, in short titles: their idf once put them first
    article("gta", "Alfa Romeo GTA", "Essai de l'Alfa Romeo GTA sur route.", date="2023-01-05"),
    article("goya", "Chantal Goya en concert", "Chantal Goya chante à Paris.", date="2023-01-06"),
] + [
    # the usual spelling is the commoner one, so the misspelling has the higher idf
    article(f"other{i}", f"Actualité {i}", FILLER * 3 + ("Goïta était absent." if i < 4 else ""), date="2022-12-01")
    for i in range(12)
]


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("fuzzy-index")
    build_index(index_dir, ARTICLES)
    return SearchService(index_dir)


def ids(svc, q):
    res = svc.search(SearchRequest.from_params({"q": q, "limit": "50"})).to_dict()
    return [h["id"] for h in res["hits"]]


@pytest.mark.parametrize("q", ["Goïta~", "goita~", "GOITA~", "Goïta~1", "Goïta~2"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_fuzzy_word_ranks_the_word_typed_above_a_close_spelling_in_the_same_place(svc, q, shape):
    order = ids(svc, q)
    assert order.index(f"exact-{shape}") < order.index(f"typo-{shape}")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_misspelt_fuzzy_word_finds_the_usual_spelling_after_its_own(svc, shape):
    order = ids(svc, "Goitta~")
    assert order.index(f"typo-{shape}") < order.index(f"exact-{shape}")


@pytest.mark.parametrize("q", ["Goïta~", "Goïta~2", "Goïta~3"])
def test_a_fuzzy_word_never_reaches_names_that_change_a_third_of_its_letters(svc, q):
    found = set(ids(svc, q))
    assert found == {a["id"] for a in ARTICLES if "Goït" in a["title"] + a["body"]}


@pytest.mark.parametrize("word, candidate, maxdist, expected", [
    ("goita", "goitta", 1, True),
    ("goita", "gota", 1, True),
    ("goita", "goya", 2, False),  # two edits in four letters
    ("goita", "gta", 2, False),
    ("beloussof", "belooussov", 2, True),
    ("beloussof", "belooussov", 1, False),
    ("lavrof", "lavrov", 1, True),
])
def test_a_plausible_spelling_is_near_in_proportion_to_the_word(word, candidate, maxdist, expected):
    assert plausible_spelling(word, candidate, maxdist) is expected
