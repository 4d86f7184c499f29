"""JSONL records get the cleaning pages get (issue 12): persons as authors, credits apart, readable outlets."""

from __future__ import annotations

import gzip
import itertools
import json
import unicodedata

import pytest

from search.extract import bylines, outlets
from search.extract.records import normalize_record

#: How many records of the shared corpus the sample tests read (all sources appear in the first 3,000).
SAMPLE_SIZE = 3000

#: Credits the corpus's author field holds, which must never be reported as an author.
KNOWN_CREDITS = {"AFP", "Orange avec AFP", "6Medias", "Source BFMTV", "BFMTV", "Source : Non Stop Zapping",
                 "Orange avec Media Services", "Orange avec AFP-Services", "Non Stop Zapping", "Source franceinfo"}


@pytest.fixture(scope="module")
def sample(corpus_dir):
    """The first records of the shared corpus, raw and normalised."""
    with gzip.open(corpus_dir / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        raw = [json.loads(line) for line in itertools.islice(fh, SAMPLE_SIZE)]
    return [(r, normalize_record(r, path="articles.jsonl")) for r in raw]


@pytest.mark.parametrize("value, author, credit", [
    ("AFP", None, "AFP"),
    ("Orange avec AFP", None, "Orange avec AFP"),
    ("Jean Dupont avec AFP", "Jean Dupont", "AFP"),
    ("Avec AFP", None, "AFP"),
    ("Source : Non Stop Zapping", None, "Non Stop Zapping"),
    ("source BFMTV", None, "BFMTV"),
    ("6medias", None, "6Medias"),
    ("Texte 6Medias, Vidéo BFMTV", None, "Texte 6Medias, Vidéo BFMTV"),
    ("RT France", None, "RT France"),
    ("Kangai News", None, "Kangai News"),
    ("France 2", None, "France 2"),
    ("La Croix", None, "La Croix"),
    ("Florian Lautre", "Florian Lautre", None),
    ("Marine de Guilhermier", "Marine de Guilhermier", None),
    ("Jean Dupont et Marie Curie", "Jean Dupont et Marie Curie", None),
    ("MOHAMED KEITA", "MOHAMED KEITA", None),
    ("", None, None),
    (None, None, None),
    ("Nom inconnu de trois mots", "Nom inconnu de trois mots", None),
])
def test_an_author_value_splits_into_a_person_and_a_credit(value, author, credit):
    assert bylines.split_credit(value, outlets.table()) == (author, credit)


def test_a_record_keeps_its_credit_out_of_the_author():
    art = normalize_record({"id": "a", "title": "T", "body": "B.", "author": "Orange avec AFP"}, path="x")
    assert (art["author"], art["credit"]) == (None, "Orange avec AFP")


def test_a_stated_credit_outranks_the_one_read_from_the_author():
    art = normalize_record({"id": "a", "title": "T", "body": "B.", "author": "Jean Dupont avec AFP",
                            "credit": "Reuters"}, path="x")
    assert (art["author"], art["credit"]) == ("Jean Dupont", "Reuters")


def test_no_author_of_the_corpus_sample_is_an_agency_or_outlet_credit(sample):
    table = outlets.table()
    authors = {art["author"] for _raw, art in sample if art["author"]}
    assert not authors & KNOWN_CREDITS
    assert not [a for a in authors if table.lookup(a) or a.lower().startswith("source")]


def test_the_credits_of_the_corpus_sample_are_kept_in_credit(sample):
    credited = [(raw["author"], art["credit"]) for raw, art in sample if raw.get("author") in KNOWN_CREDITS]
    assert credited, "the sample holds credited records"
    assert all(credit for _author, credit in credited)


@pytest.mark.parametrize("outlet, shown", [
    ("beto.cd", "Beto"),
    ("actualite.cd", "Actualité CD"),
    ("7sur7.cd", "7sur7"),
    ("mediacongo.net", "Mediacongo"),
    ("www.inconnu-du-tableau.ml", "Inconnu-du-tableau"),
    ("Présidence", "Présidence de la République du Mali"),
    ("Présidence de la République du Mali", "Présidence de la République du Mali"),
    ("MondAfrique", "Mondafrique"),
    ("L'Enquêteur", "L’Enquêteur"),
])
def test_an_outlet_given_as_a_host_or_a_variant_spelling_gets_its_readable_name(outlet, shown):
    art = normalize_record({"id": "a", "title": "T", "body": "B.", "outlet": outlet}, path="x")
    assert art["outlet"] == shown


def test_no_outlet_of_the_corpus_sample_is_a_bare_host(sample):
    # A dotted brand the table names (« Lefaso.net ») is a name; a host nobody named is not.
    table = outlets.table()
    names = {outlet.name for outlet in table.outlets}
    hosts = {art["outlet"] for _raw, art in sample if art["outlet"] and "." in art["outlet"]
             and " " not in art["outlet"] and art["outlet"] not in names}
    assert not hosts


@pytest.mark.parametrize("body, cleaned", [
    ("l&#039;enseignement &amp; la recherche", "l'enseignement & la recherche"),
    ("&amp;lt; reste écrit", "&lt; reste écrit"),  # decoded once, not twice
    ('![](https://x.cd/a.jpg "Légende<br />Photo")Le texte.', "Le texte."),
    ("Selon [Radio Okapi](https://www.radiookapi.net/a) hier.", "Selon Radio Okapi hier."),
    ("**Les personnes** réclament __leur__ inclusion.", "Les personnes réclament leur inclusion."),
    ("« _Apprenez à nous aimer_ », dit-elle.", "« Apprenez à nous aimer », dit-elle."),
    ("Première ligne<br />seconde ligne", "Première ligne\nseconde ligne"),
    ("<p>Un <span class='x'>mot</span></p>", "Un mot"),
    ("Un paragraphe.\n\n****\n\nUn autre.", "Un paragraphe.\n\nUn autre."),
    ("Selon un sondage Ipsos** publié hier.\n\n** Enquête en ligne.", "Selon un sondage Ipsos** publié hier.\n\n** Enquête en ligne."),
    ("Il a calculé 2*3 et 4*5.", "Il a calculé 2*3 et 4*5."),
    ("Voir l'article 5 [sic] du code.", "Voir l'article 5 [sic] du code."),
    ("Si a < b et c > d, alors rien.", "Si a < b et c > d, alors rien."),
    ("Le fichier nom_de_fichier reste.", "Le fichier nom_de_fichier reste."),
])
def test_record_text_loses_entities_and_crawler_markup_but_keeps_plain_french(body, cleaned):
    assert normalize_record({"id": "a", "title": "T", "body": body}, path="x")["body"] == cleaned


def test_a_record_title_has_its_entities_decoded():
    art = normalize_record({"id": "a", "title": "L&#039;école &amp; la ville", "body": "B."}, path="x")
    assert art["title"] == "L'école & la ville"


HEADLINES = ("Industrie : Le Président a reçu l’ancien footballeur international",
             "Célébration du 3 mai: La presse malienne, actrice majeure de la concorde",
             "Ouverture de la phase finale du Dialogue pour la Paix et la Réconciliation")


@pytest.mark.parametrize("body, kept", [
    ("Le texte se termine ici. Moussa Dagnoko   À lire aussi    " + "   ".join(HEADLINES),
     "Le texte se termine ici. Moussa Dagnoko"),
    ("Début du texte.   À lire aussi   " + "   ".join(HEADLINES) + "   Suite du texte, qui reprend ici.",
     "Début du texte.\n\nSuite du texte, qui reprend ici."),
    ("Le texte finit bien.\n\n" + "\n\n".join(HEADLINES), "Le texte finit bien."),
    ("La liste des sites retenus :\n\n" + "\n\n".join(HEADLINES),
     "La liste des sites retenus :\n\n" + "\n\n".join(HEADLINES)),
    ("Début.   À lire aussi   " + "   ".join(HEADLINES[:2]) + "   « Notre peuple compte sur ses forces... »   Suite.",
     "Début.\n\nSuite."),
    ("Le texte finit.\n\n" + "\n\n".join(HEADLINES[:2]), "Le texte finit.\n\n" + "\n\n".join(HEADLINES[:2])),
    ("Une phrase. Une autre phrase ici\n\nDeux phrases. Encore une là\n\nTrois phrases. Et une dernière",
     "Une phrase. Une autre phrase ici\n\nDeux phrases. Encore une là\n\nTrois phrases. Et une dernière"),
])
def test_a_related_headlines_list_is_dropped_but_an_announced_list_or_two_lines_stay(body, kept):
    assert normalize_record({"id": "a", "title": "T", "body": body}, path="x")["body"] == kept


def test_the_malijet_bodies_of_the_corpus_sample_lose_their_headline_lists(sample):
    malijet = [(raw, art) for raw, art in sample if raw.get("site") == "malijet.com"]
    assert malijet
    announced = [art for raw, art in malijet if "lire aussi" in unicodedata.normalize("NFC", raw["body"])]
    assert announced, "the sample holds Malijet headline lists"
    assert not [art["id"] for art in announced if "lire aussi" in art["body"]]


def test_the_credit_is_stored_in_the_index_and_read_back():
    from search.index import documents, schema

    art = normalize_record({"id": "a", "title": "T", "body": "B.", "author": "Jean Dupont avec AFP"}, path="x")
    doc = documents.to_document(art)
    assert doc["credit"] == "AFP" and "credit" in schema.build_schema().names()
    stored = {k: v for k, v in doc.items() if schema.build_schema()[k].stored}
    assert documents.from_stored(stored)["credit"] == "AFP"


def test_the_article_page_shows_the_author_and_the_credit_apart(tmp_path):
    from search.index.reindex import reindex
    from webapp import create_app

    src = tmp_path / "src"
    src.mkdir()
    record = {"id": "cred", "title": "Un titre d'article", "body": "Le corps de l'article.",
              "author": "Jean Dupont avec AFP"}
    (src / "bulk.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    reindex(src, tmp_path / "ix", persons=False)
    page = create_app({"INDEX_DIR": str(tmp_path / "ix")}).test_client().get("/article/cred")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Crédit" in html and "AFP" in html and "Jean Dupont" in html
    assert "Jean Dupont avec AFP" not in html
