"""The dictionary pass, variant merging and the name rules of the persons issue, on synthetic text.

The NER is replaced by ``@Name`` markers (``fake_ner``) so that what is tested is what the
dictionary adds: the index is still built by ``reindex``, through the product's own code.
"""

import json

import pytest

from search.index import reindex as indexer
from search.persons import gazetteer, names, ner, nertext, variants
from search.persons import resolve as resolving
from tests.conftest import stored_documents


# ------------------------------------------------------------------ name rules

@pytest.mark.parametrize("mention, expected", [
    ("Colonels Goïta", "Goïta"),
    ("les Généraux Traoré", "Traoré"),
    ("Lieutenants Alex Morisse", "Alex Morisse"),
    ("Excellence Monsieur", None),
    ("Kwala-Mourdiah-Nara-Frontière Mauritanie", None),
    ("Kayes-Diboli-Frontière", None),
    ("Marine Le Pen Marine Le Pen", "Marine Le Pen"),
    ("RN David Rachline", "David Rachline"),
    ("IBK", "IBK"),
    ("Jean-Yves Le Drian", "Jean-Yves Le Drian"),
    ("Abd-el-Kader Diallo", "Abd-el-Kader Diallo"),
])
def test_ranks_honorifics_place_chains_and_captions_are_never_part_of_a_name(mention, expected):
    assert names.clean_mention(mention) == expected


# ------------------------------------------------------------------ name runs

@pytest.mark.parametrize("text, author, expected", [
    ("Coup d'Etat d'Assimi Goita au Mali", None, ["coup etat assimi goita", "mali"]),
    ("le Général d'Armée Assimi GOITA a reçu", None, ["general armee assimi goita"]),
    ("Jean-Yves Le Drian et N'Diaye", None, ["jean yves le drian", "n diaye"]),
    ("au stade Modibo Keïta puis au CHU Gabriel Touré", None, []),
    ("Par Awa Traoré, Bamako", "Awa Traoré", ["par", "bamako"]),
    ("Macron, lui, parle", None, ["macron"]),
])
def test_name_runs_are_capitalised_words_outside_places_and_bylines(text, author, expected):
    assert gazetteer.name_runs(text, author) == expected


# ------------------------------------------------------------------ the dictionary pass

def _resolve(articles: dict[str, tuple[str, list[str]]]):
    """Resolve ``{id: (text, NER mentions)}`` with the dictionary pass over the texts."""
    raw = {aid: mentions for aid, (_text, mentions) in articles.items()}
    runs = {aid: gazetteer.name_runs(text) for aid, (text, _m) in articles.items()}
    return resolving.resolve(raw, runs=runs)


GOITA = {
    "a": ("Le colonel Assimi Goïta a parlé. Goïta a ajouté.", ["Assimi Goïta", "Goïta"]),
    "b": ("Assimi Goïta reçoit. Goïta promet.", ["Assimi Goïta", "Goïta"]),
    "c": ("Selon Goïta, la transition continue.", ["Goïta"]),
    "d": ("Goïta et Assimi Goïta.", ["Assimi Goïta"]),
}


@pytest.mark.parametrize("text, found", [
    ("MALI : LE GÉNÉRAL D'ARMÉE ASSIMI GOITA REÇOIT", True),  # capitals, a headline
    ("Coup d'Etat d'Assimi Goita : ce qu'il faut savoir", True),  # no accents
    ("Assimi-Goïta à Bamako", True),  # hyphen
    ("Le président Goïta à Bamako", True),  # the surname alone, used alone for him in the corpus
    ("La famille Goïta et Mohamed Goïta, son frère", False),  # another Goïta named in full
    ("Le stade Assimi Goïta est plein", False),  # a place
    ("La loi Goïta et la prime Goïta", False),  # things named after him
    ("assimi goita en minuscules", False),  # not written as a name
])
def test_the_dictionary_tags_articles_the_ner_missed(text, found):
    res = _resolve({**GOITA, "new": (text, [])})
    assert ("Assimi Goïta" in res.by_article.get("new", [])) is found
    if found:
        assert res.by_dictionary["new"] == ["Assimi Goïta"]


def test_a_surname_shared_by_two_persons_tags_nobody():
    arts = {
        "a": ("Modibo Keïta parle. Keïta insiste.", ["Modibo Keïta", "Keïta"]),
        "b": ("Karim Keïta répond. Keïta nie.", ["Karim Keïta", "Keïta"]),
        "c": ("Keïta a parlé.", []),
    }
    assert _resolve(arts).by_article.get("c", []) == []


def test_a_surname_the_ner_rarely_confirms_is_not_trusted():
    # "Paris" is the surname of one person of the corpus, but standing alone it is the city
    arts = {"a": ("Jean Paris écrit. Paris répond.", ["Jean Paris", "Paris"])}
    arts.update({f"city{i}": (f"Il vit à Paris depuis {i} ans.", []) for i in range(6)})
    res = _resolve(arts)
    assert not any("Jean Paris" in res.by_article.get(f"city{i}", []) for i in range(6))


def test_first_names_absorbed_into_a_longer_name_are_not_a_spelling_of_it():
    arts = {
        "a": ("Abdoul Aziz Moussa et Abdoul Aziz.", ["Abdoul Aziz Moussa", "Abdoul Aziz"]),
        "b": ("Le cheikh Abdoul Aziz Sy prie.", []),
    }
    assert _resolve(arts).by_article.get("b", []) == []


# ------------------------------------------------------------------ variants

def _ctx(name: str, n: int, others=("Iyad Ag Ghaly", "Amadou Koufa")) -> dict:
    return {f"{name}-{i}": [name, *others] for i in range(n)}


@pytest.mark.parametrize("a, b, merged", [
    ("Droukdal", "Droukdel", True),  # one letter, same company kept
    ("Evgueni Prigojine", "Evgueni Prigozhine", True),  # transliteration, same first name
    ("Sergueï Choïgou", "Sergei Shoigu", True),
    ("Moussa Mara", "Moussa Maïga", False),  # two letters: two people
    ("Ibrahim Keïta", "Ibrahima Keïta", True),  # one letter of the first name, same company
    ("Mahamat Déby", "Mahamat Débi", True),
])
def test_spellings_of_one_person_merge_when_the_corpus_supports_it(a, b, merged):
    by_article = {**_ctx(a, 5), **_ctx(b, 2)}
    counts = {a: 5, b: 2, "Iyad Ag Ghaly": 7, "Amadou Koufa": 7}
    assert (variants.merge_map(by_article, counts).get(b) == a) is merged


@pytest.mark.parametrize("a, b", [
    ("Michel Delpech", "Michel Delpuech"),  # the singer and the prefect
    ("Michèle Mercier", "Michel Mercier"),  # a first name's final e is no slip
    ("François Hardy", "Françoise Hardy"),
])
def test_names_one_letter_apart_in_unrelated_company_are_two_people(a, b):
    by_article = {**_ctx(a, 14, others=("Johnny Hallyday", "Sylvie Vartan")),
                  **_ctx(b, 43, others=("Christophe Castaner", "Édouard Philippe"))}
    counts = {a: 14, b: 43, "Johnny Hallyday": 14, "Sylvie Vartan": 14, "Christophe Castaner": 43,
              "Édouard Philippe": 43}
    assert variants.merge_map(by_article, counts) == {}


def test_a_rare_misspelling_of_a_famous_name_is_merged_into_it():
    by_article = {**_ctx("Édouard Phillipe", 4, others=("Gilets Jaunes",)),
                  **_ctx("Édouard Philippe", 400, others=("Emmanuel Macron",))}
    counts = {"Édouard Phillipe": 4, "Édouard Philippe": 400, "Gilets Jaunes": 4, "Emmanuel Macron": 400}
    assert variants.merge_map(by_article, counts) == {"Édouard Phillipe": "Édouard Philippe"}


def test_two_surnames_alone_in_unrelated_company_stay_apart():
    by_article = {**_ctx("Droukdal", 4), **_ctx("Droukdel", 2, others=("Lionel Messi", "Kylian Mbappé"))}
    counts = {"Droukdal": 4, "Droukdel": 2, "Iyad Ag Ghaly": 4, "Amadou Koufa": 4, "Lionel Messi": 2,
              "Kylian Mbappé": 2}
    assert variants.merge_map(by_article, counts) == {}


def test_two_spellings_written_in_the_same_dispatches_are_one_person():
    by_article = {f"x{i}": ["Abdelmalek Droukdal", "Abdelmalek Droukdel"] for i in range(4)}
    by_article.update({f"y{i}": ["Abdelmalek Droukdal"] for i in range(12)})
    merged = variants.merge_map(by_article, {"Abdelmalek Droukdal": 16, "Abdelmalek Droukdel": 4})
    assert merged == {"Abdelmalek Droukdel": "Abdelmalek Droukdal"}


# ------------------------------------------------------------------ through reindex

@pytest.fixture
def fake_ner(monkeypatch):
    """NER mentions from ``@Name`` words; name runs from the real NER text, as the product does."""
    real = ner.raw_mentions

    def raw_mentions(articles, *, cache=None, n_process=1):
        articles = list(articles)
        out = ner.Mentions({a["id"]: [w[1:].replace("_", " ") for w in a["body"].split() if w.startswith("@")]
                            for a in articles})
        for a in articles:
            out.runs[a["id"]] = gazetteer.name_runs(nertext.ner_text(a).replace("@", ""))
        return out

    monkeypatch.setattr(ner, "raw_mentions", raw_mentions)
    return real


def _jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def _art(aid, title, body):
    return {"id": aid, "title": title, "body": body, "outlet": "Maliweb", "date": "2023-08-02"}


def test_reindex_tags_by_dictionary_and_records_how_each_person_was_found(tmp_path, fake_ner):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [
        _art("a", "Visite à Bamako", "Le colonel @Assimi_Goïta a reçu le ministre. @Goïta a parlé."),
        _art("b", "Transition", "@Assimi_Goïta et le Premier ministre. Selon @Goïta, tout va bien."),
        _art("c", "Coup d'Etat d'Assimi GOITA", "Le texte ne le nomme pas."),
    ])
    report = indexer.reindex(src, ix, persons=True)
    docs = stored_documents(ix)
    assert docs["c"]["persons"] == "Assimi Goïta" and docs["c"]["persons_dictionary"] == "Assimi Goïta"
    assert "persons_dictionary" not in docs["a"]
    assert "dictionary" in report.timings
    listed = {p["name"]: p for p in resolving.list_persons(ix)}
    assert listed["Assimi Goïta"]["count"] == 3


def test_an_incremental_run_tags_unchanged_articles_with_a_person_new_to_the_corpus(tmp_path, fake_ner):
    src, ix = tmp_path / "src", tmp_path / "ix"
    _jsonl(src / "a.jsonl", [_art("old", "Bamako", "Le ministre SADIO CAMARA était absent.")])
    indexer.reindex(src, ix, persons=True)
    assert stored_documents(ix)["old"]["persons"] == ""
    _jsonl(src / "b.jsonl", [_art("new", "Défense", "Le ministre @Sadio_Camara à Moscou.")])
    report = indexer.reindex(src, ix, persons=True)
    assert report.mode != "full" and report.persons_updated == 1
    docs = stored_documents(ix)
    assert docs["old"]["persons"] == "Sadio Camara" and docs["old"]["persons_dictionary"] == "Sadio Camara"
    assert docs["new"]["persons"] == "Sadio Camara"

