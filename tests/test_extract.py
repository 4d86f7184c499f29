"""Extraction of the seeds and of typical pages from other outlets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.extract.files import ARTICLE_KEYS, extract_text, load_file
from search.extract.records import normalize_record, parse_json

SEED = {
    "000": "000_099785bdeec106f2.txt",
    "001": "001_a67a3e0c69b76608.txt",
    "002": "002_7b4a10bd26d76951.txt",
    "003": "003_265fd4dabbadb5f5.txt",
    "004": "004_53bd0b684726b4b5.txt",
}


@pytest.fixture(scope="module")
def seeds(seeds_dir) -> dict[str, dict]:
    out = {}
    for key, name in SEED.items():
        (article,) = load_file(seeds_dir / name)
        out[key] = article
    return out


@pytest.mark.parametrize("seed,title,outlet,author,comments", [
    # Seed 000's text never names Maliweb: its only sign was the Facebook comment plugin's header, which every
    # site using the plugin prints. The outlet comes from the crawler's URL (see the sidecar test below).
    ("000", "Conférence sur la sécurité : Le ministre de la Défense du Mali invité en Russie", None,
     "Mohamed Keita", 3),
    ("001", "Coopération militaire renforcée : Le Général Sadio Camara reçu par son homologue russe Andreï Beloussov",
     "Bamada.net", "Moise Touré", 0),
    ("002", "Mali-Russie : L’avenir de la coopération militaire est prometteur", "L’Essor", None, 0),
    ("004", "Mali | Coopération avec la Russie: Bamako annonce une avancée dans la sécurité", "Panorama Papers",
     "Julie Peh", 0),
])
def test_seed_title_outlet_author_and_comment_count_match_the_issue_table(seeds, seed, title, outlet, author, comments):
    art = seeds[seed]
    assert (art["title"], art["outlet"], art["author"], art["comments_count"]) == (title, outlet, author, comments)
    assert art["title_derived"] is False
    assert len(art["comments"]) == comments


def test_seed_without_title_gets_one_derived_from_its_lead(seeds):
    art = seeds["003"]
    assert art["title_derived"] is True
    assert art["title"].startswith("Bamako exprime sa satisfaction")
    assert art["outlet"] == "APA" and art["author"] is None and art["comments_count"] == 0
    assert art["body"].startswith("Bamako exprime sa satisfaction")  # the lead stays in the body
    assert "AC/Sf/APA" not in art["body"]


@pytest.mark.parametrize("seed,date,precision,estimated", [
    ("000", "2021", "year", True),  # only dates inside the story: an estimate, flagged
    ("001", None, None, False),
    ("002", "2023-08-02", "day", False),
    ("003", None, None, False),
    ("004", None, None, False),
])
def test_seed_dates_are_stated_or_flagged_as_estimates(seeds, seed, date, precision, estimated):
    art = seeds[seed]
    assert (art["date"], art["date_precision"], art["date_estimated"]) == (date, precision, estimated)


@pytest.mark.parametrize("seed,site", [
    ("000", None), ("001", "bamada.net"), ("002", "abamako.com"), ("003", None),
    ("004", "panoramapapers.com"),
])
def test_seed_site_is_the_host_that_carried_the_page(seeds, seed, site):
    assert seeds[seed]["site"] == site


def test_every_seed_article_has_exactly_the_documented_keys(seeds):
    for art in seeds.values():
        assert set(art) == set(ARTICLE_KEYS)
        assert art["persons"] == []
        assert len(art["content_hash"]) == 64
        json.dumps(art)


def test_maliweb_comments_keep_their_thread_structure(seeds):
    first, second, third = seeds["000"]["comments"]
    assert first["text"].startswith("Moi j’aurai préferé")
    assert "Dire que l’ambasseur" in first["text"]  # continuation lines stay in their comment
    assert first["reply_to"] is None
    assert second["text"].startswith("Votre remarque")
    assert second["reply_to"] == first["id"]
    assert third["text"] == "Pensées rebelles."
    assert third["reply_to"] == second["id"]


@pytest.mark.parametrize("seed,forbidden", [
    ("000", ["Commentaires via Facebook", "COMMENTAIRES", "Mohamed Keita", "Comments are closed", "\n\n3\n\n"]),
    ("001", ["Suivez-nous", "Lire Aussi", "NB : Toute reproduction", "Source:", "Moise Touré", "ORTM en direct",
             "Bamada.net-"]),
    ("002", ["date 2023-08", "abamako.com", "Publié le", "Envoyé spécial"]),
    ("003", ["AC/Sf/APA"]),
    ("004", ["Accueil", "Par panorama papers", "Par Julie Peh", "4,6K vues", "Subscribe", "Notify of", "0 Comments",
             "About Us", "Marrywood", "Copyright", "Lire Aussi", "Cliquez pour commenter"]),
])
def test_seed_body_holds_no_boilerplate_metadata_or_comments(seeds, seed, forbidden):
    body = "\n\n" + seeds[seed]["body"] + "\n\n"
    for text in forbidden:
        assert text not in body, text


def test_seed_body_keeps_paragraphs_and_typographic_apostrophes(seeds):
    body = seeds["001"]["body"]
    assert "\n\nUne reconnaissance méritée\n\n" in body
    assert body.startswith("Dans le cadre du renforcement")
    assert "Prenant la parole à l’ouverture" in body
    assert "\xa0" not in body
    assert "« Nous avons réalisé des progrès" in seeds["004"]["body"]
    assert "stratégique », a-t-il déclaré," in seeds["004"]["body"]  # a split sentence is joined


def test_seed_body_of_000_ends_with_the_article_not_the_signature(seeds):
    assert seeds["000"]["body"].endswith("aux premières heures de son indépendance.")


RFI = """Mali: la junte annonce un calendrier électoral - RFI

Afrique

Mali: la junte annonce un calendrier électoral

Publié le : 15/06/2020 - 16:40
Modifié le : 16/06/2020 - 09:12

Le gouvernement de transition a présenté mardi un chronogramme prévoyant une présidentielle en février.

Avec notre correspondant à Bamako, Serge Daniel

Les partis politiques ont aussitôt réagi, certains dénonçant un calendrier trop long.

Partager :
Facebook
Twitter

À lire aussi
Mali: les partis politiques réclament un dialogue

Sur le même sujet
"""

MALIWEB_REPUBLISHED = """Mali : le gouvernement suspend l'exportation de céréales

Publié le 3 mars 2022 à 10:15

5

Le gouvernement malien a décidé de suspendre temporairement l'exportation des céréales.

La mesure concerne le mil, le sorgho, le maïs et le riz, a précisé le ministre du Commerce.

Amadou Diallo

Source: L'Indépendant

© maliweb.net

Commentaires via Facebook :

2 COMMENTAIRES

  1. Bonne décision pour protéger les consommateurs maliens.

    • Oui mais les producteurs vont souffrir.

Comments are closed.
"""

JDM = """Accueil
Politique
Dialogue inter-maliens : les recommandations remises au président de la Transition
Par Boubacar Sidiki Haïdara
-
lundi 13 mai 2024 à 16h40
Les recommandations issues du dialogue inter-maliens ont été remises ce lundi au président de la Transition.
Parmi les propositions figurent la prorogation de la Transition de deux à cinq ans.
Partager
Laisser un commentaire
Votre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués avec *
© Journal du Mali 2024 - Tous droits réservés
"""

APA = """Sénégal : le FMI approuve un décaissement de 230 millions de dollars
Dakar, 12 mars 2024 (APA) – Le Conseil d'administration du FMI a approuvé un décaissement en faveur du Sénégal.
Ce financement vise à soutenir les réformes budgétaires engagées par le gouvernement.
MD/te/APA
"""

WORDPRESS = """Burkina : les enseignants en grève ce lundi – Sahelien.com
Burkina : les enseignants en grève ce lundi
Posted on 21/11/2023 by La Rédaction
Les syndicats d'enseignants ont lancé un mot d'ordre de grève de 72 heures pour leurs conditions de travail.
Les cours sont perturbés dans plusieurs établissements de Ouagadougou, selon nos constats.
Tags: Burkina, éducation, grève
2 réponses
Issa Ouédraogo dit :
21 novembre 2023 à 18 h 05 min
Il faut que le gouvernement écoute les enseignants.
Répondre
Awa Sawadogo dit :
22 novembre 2023 à 09 h 12 min
Les élèves sont les premières victimes de cette grève.
Répondre
Laisser un commentaire
"""

AFP_ON_AGGREGATOR = """Niger : attaque meurtrière près de Tillabéri
Toutes les news Monde
Niger : attaque meurtrière près de Tillabéri
Réagir
Des soldats nigériens en patrouille. (illustration)
©Issouf SANOGO / AFP
A lire aussi
Monde
Un autre titre de la colonne
AFP, publié le lundi 15 juin 2020 à 16h40
Au moins douze soldats ont été tués dans une attaque près de Tillabéri, dans l'ouest du Niger, a annoncé le ministère.
L'attaque a été revendiquée par un groupe jihadiste actif dans la zone des trois frontières.
Réagir
Publicité
Fil info
Vos réactions doivent respecter nos CGU.
retrouvez Actualités sur
"""


@pytest.mark.parametrize("text,expected", [
    (RFI, {"title": "Mali: la junte annonce un calendrier électoral", "outlet": "RFI", "site": "rfi.fr",
           "author": "Serge Daniel", "date": "2020-06-15", "date_estimated": False}),
    (MALIWEB_REPUBLISHED, {"title": "Mali : le gouvernement suspend l'exportation de céréales",
                           "outlet": "L’Indépendant", "site": "maliweb.net", "author": "Amadou Diallo",
                           "date": "2022-03-03", "comments_count": 2}),
    (JDM, {"title": "Dialogue inter-maliens : les recommandations remises au président de la Transition",
           "outlet": "Journal du Mali", "author": "Boubacar Sidiki Haïdara", "date": "2024-05-13"}),
    (APA, {"outlet": "APA", "date": "2024-03-12", "date_estimated": False, "author": None}),
    (WORDPRESS, {"title": "Burkina : les enseignants en grève ce lundi", "outlet": "Sahelien", "author": None,
                 "date": "2023-11-21", "comments_count": 2}),
    (AFP_ON_AGGREGATOR, {"title": "Niger : attaque meurtrière près de Tillabéri", "outlet": "AFP",
                         "site": "actu.orange.fr", "date": "2020-06-15", "author": None}),
])
def test_pages_of_other_outlets_give_their_metadata(text, expected):
    art = extract_text(text, id="x")
    assert {k: art[k] for k in expected} == expected


@pytest.mark.parametrize("text,forbidden", [
    (RFI, ["Partager", "Facebook", "À lire aussi", "réclament un dialogue", "Publié le", "Modifié le",
           "Serge Daniel"]),
    (JDM, ["Accueil", "Par Boubacar", "Laisser un commentaire", "Tous droits réservés", "lundi 13 mai"]),
    (WORDPRESS, ["Posted on", "Tags:", "Issa", "Répondre"]),
    (AFP_ON_AGGREGATOR, ["Réagir", "SANOGO", "illustration", "Un autre titre", "publié le", "Fil info", "CGU"]),
])
def test_pages_of_other_outlets_keep_only_the_article_in_the_body(text, forbidden):
    body = extract_text(text, id="x")["body"]
    assert body
    for word in forbidden:
        assert word not in body, word


def test_wordpress_comments_carry_their_authors_and_dates():
    comments = extract_text(WORDPRESS, id="x")["comments"]
    assert [(c["author"], c["date"], c["text"]) for c in comments] == [
        ("Issa Ouédraogo", "2023-11-21", "Il faut que le gouvernement écoute les enseignants."),
        ("Awa Sawadogo", "2023-11-22", "Les élèves sont les premières victimes de cette grève."),
    ]


def test_a_comment_date_reaches_the_article_page(tmp_path):
    from bs4 import BeautifulSoup

    from search.index.reindex import reindex
    from webapp import create_app

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "greve.txt").write_text(WORDPRESS, encoding="utf-8")
    reindex(tmp_path / "src", tmp_path / "ix", persons=False)
    client = create_app({"INDEX_DIR": str(tmp_path / "ix"), "TESTING": True}).test_client()
    page = BeautifulSoup(client.get("/article/greve").get_data(as_text=True), "html.parser")
    assert [t["datetime"] for t in page.select(".comment time.comment-date")] == ["2023-11-21", "2023-11-22"]
    assert "21 novembre 2023" in page.select_one(".comment").get_text()


def test_unknown_outlet_is_null_not_a_guess():
    art = extract_text("Un titre d'article quelconque ici\n\nUn paragraphe de texte suffisamment long pour être "
                       "le corps de l'article, sans signature ni source.", id="x")
    assert art["outlet"] is None and art["site"] is None and art["author"] is None


@pytest.mark.parametrize("line", ["Envoyé spécial", "La Rédaction", "Par La Rédaction", "Correspondance particulière"])
def test_roles_and_newsrooms_are_not_authors(line):
    art = extract_text(f"Un titre d'article de test\n\nUn paragraphe assez long pour faire un corps d'article.\n\n{line}",
                       id="x")
    assert art["author"] is None
    assert line not in art["body"]


def test_a_published_date_refines_the_crawler_month():
    art = extract_text(" date 2023-08 Un titre - abamako.com\n\nUn titre Publié le 2 août 2023\n\nTexte de l'article.",
                       id="x")
    assert (art["date"], art["date_precision"], art["site"]) == ("2023-08-02", "day", "abamako.com")


def test_crawler_month_alone_gives_month_precision():
    art = extract_text(" date 2023-08 Un titre de page - abamako.com\n\nTexte de l'article assez long pour compter.",
                       id="x")
    assert (art["date"], art["date_precision"], art["date_estimated"]) == ("2023-08", "month", False)


def test_closing_agency_copyright_signs_the_article():
    art = extract_text("Un titre d'article de test\n\nUn paragraphe assez long pour faire un corps d'article.\n\n© AFP",
                       id="x")
    assert art["outlet"] == "AFP"


def test_agency_photo_credit_above_the_text_does_not_sign_the_article():
    art = extract_text("Un titre d'article de test\n\n© AFP\n\nUn paragraphe assez long pour faire un corps d'article.",
                       id="x")
    assert art["outlet"] is None


def test_cli_extract_prints_one_json_object_per_seed(seeds_dir):
    from click.testing import CliRunner

    from search.cli import main

    files = [str(seeds_dir / name) for name in SEED.values()]
    result = CliRunner().invoke(main, ["extract", *files, "--json", "--no-persons"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert [r["id"] for r in rows] == [Path(f).stem for f in files]
    assert [r["outlet"] for r in rows] == [None, "Bamada.net", "L’Essor", "APA", "Panorama Papers"]


def test_seed_000_saved_with_its_crawler_url_is_a_maliweb_page(seeds_dir, tmp_path):
    page = tmp_path / "000.txt"
    page.write_bytes((seeds_dir / SEED["000"]).read_bytes())
    (tmp_path / "000.json").write_text('{"url": "https://www.maliweb.net/politique/conference-securite-0000.html"}')
    (article,) = load_file(page)
    assert (article["outlet"], article["site"], article["author"]) == ("Maliweb", "maliweb.net", "Mohamed Keita")


def test_user_outlet_file_adds_fingerprints_without_code(tmp_path, monkeypatch):
    from search.extract import outlets

    extra = tmp_path / "mes-medias.toml"
    extra.write_text(
        "[[outlet]]\n"
        'name = "Le Hérisson"\nkind = "paper"\nhosts = ["leherisson.ml"]\n'
        "fingerprints = ['^le herisson, l.hebdo qui pique$']\n"
        "boilerplate = ['^abonnez-vous au herisson$', '(unbalanced']\n",
        encoding="utf-8")
    page = ("Un titre d'article de test\n\nLe Hérisson, l’hebdo qui pique\n\n"
            "Un paragraphe assez long pour faire un corps d'article.\n\nAbonnez-vous au Hérisson\n")
    monkeypatch.setenv(outlets.ENV_FILE, str(extra))
    outlets._cached.cache_clear()
    try:
        art = extract_text(page, id="x")
    finally:
        monkeypatch.delenv(outlets.ENV_FILE)
        outlets._cached.cache_clear()
    assert (art["outlet"], art["site"]) == ("Le Hérisson", "leherisson.ml")
    assert "Abonnez" not in art["body"]
    assert extract_text(page, id="x")["outlet"] is None  # back to the shipped table


@pytest.mark.parametrize("lead, date", [
    ("Bamako, 3 mars 2024 - Le gouvernement a signé un accord avec ses partenaires.", "2024-03-03"),
    ("GAO, le 12 mai 2023 : les habitants ont accueilli la délégation dans le calme.", "2023-05-12"),
    ("Ouagadougou, 1er août 2022 – La transition a annoncé un remaniement du gouvernement.", "2022-08-01"),
])
def test_a_place_dateline_opening_the_story_is_its_publication_date(lead, date):
    art = extract_text(f"Un titre d'article de test\n\n{lead}\n\nUn second paragraphe du même article.", id="x")
    assert (art["date"], art["date_precision"], art["date_estimated"]) == (date, "day", False)


def test_a_date_later_in_the_story_stays_an_estimate():
    art = extract_text("Un titre d'article de test\n\nLe gouvernement a signé un accord avec ses partenaires.\n\n"
                       "La cérémonie s'est tenue le 3 mars 2024 à Bamako en présence des ministres.", id="x")
    assert (art["date"], art["date_precision"], art["date_estimated"]) == ("2024", "year", True)


# --- JSON records: parsed before any text clean-up ------------------------------------------

_HUGE_LITERAL = "9" * 5000


@pytest.mark.parametrize("line,title,body", [
    (json.dumps({"id": "a", "title": "Titre\u2028suite", "body": "Un\u2029corps."}, ensure_ascii=False).encode(),
     "Titre suite", "Un\n\ncorps."),
    (b'{"id": "a", "title": "T\x00itre", "body": "Un \x01corps\x7f."}', "Titre", "Un corps."),
    (b'{"id": "a", "title": "T\\u0000itre\\u001f", "body": "Un corps.\\u2028"}', "Titre", "Un corps."),
    (b'\xef\xbb\xbf{"id": "a", "title": "Titre", "body": "Un corps."}', "Titre", "Un corps."),
    ('{"id": "a", "title": "Sécurité", "body": "L’été."}'.encode("cp1252"), "Sécurité", "L’été."),
    ('{"id": "a", "title": "SÃ©curitÃ©", "body": "Un corps."}'.encode(), "Sécurité", "Un corps."),
    (b'{"id": "a", "title": "Titre", "body": "Un corps.", "vues": ' + _HUGE_LITERAL.encode() + b"}",
     "Titre", "Un corps."),
    (b'{"id": "a", "title": "Titre", "body": "Un corps."}\x00', "Titre", "Un corps."),
], ids=["line-separators", "raw-controls", "escaped-controls", "bom", "cp1252", "mojibake", "huge-integer",
        "nul-after-the-object"])
def test_a_json_record_with_separators_or_control_characters_is_kept_with_clean_strings(line, title, body):
    art = normalize_record(parse_json(line), path="bulk.jsonl")
    assert (art["id"], art["title"], art["body"]) == ("a", title, body)


def test_an_invalid_json_record_is_still_refused():
    with pytest.raises(ValueError):
        parse_json(b'{"id": "a", "title": ')


# --- the extract command ---------------------------------------------------------------------

def _bulk(path: Path, ids, extra_lines=()) -> Path:
    lines = [json.dumps({"id": i, "title": f"Titre {i}", "body": "Un corps de texte."}) for i in ids]
    path.write_text("\n".join([*lines, *extra_lines]) + "\n", encoding="utf-8")
    return path


def test_cli_extract_prints_each_article_before_reading_the_next_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from search.extract import files as extract
    from search.cli import main

    first, second = _bulk(tmp_path / "a.jsonl", ["a1", "a2"]), _bulk(tmp_path / "b.jsonl", ["b1"])
    real = extract.iter_file

    def interrupted_on_the_second(path, **kwargs):
        if Path(path) == second:
            raise KeyboardInterrupt  # Ctrl-C in the middle of a long extraction
        return real(path, **kwargs)

    monkeypatch.setattr(extract, "iter_file", interrupted_on_the_second)
    result = CliRunner().invoke(main, ["extract", "--json", "--no-persons", str(first), str(second)])
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a1", "a2"]


@pytest.mark.parametrize("fail_after,exit_code,reason", [
    (0, 1, "extraction failed: RuntimeError: bogue"),
    (1, 0, "extraction stopped: RuntimeError: bogue"),
])
def test_cli_extract_reports_an_extractor_bug_as_a_skipped_file(tmp_path, monkeypatch, fail_after, exit_code,
                                                                 reason):
    from click.testing import CliRunner

    from search.extract import files as extract
    from search.cli import main

    bulk = _bulk(tmp_path / "a.jsonl", ["a1", "a2"])
    real = extract.iter_file

    def buggy(path, **kwargs):
        items = real(path, **kwargs)
        for _ in range(fail_after):
            yield next(items)
        raise RuntimeError("bogue")

    monkeypatch.setattr(extract, "iter_file", buggy)
    result = CliRunner().invoke(main, ["extract", "--no-persons", str(bulk)])
    assert result.exit_code == exit_code
    assert len(result.stdout.splitlines()) == fail_after
    assert result.stderr == f"skipped {bulk}: {reason}\n"


def test_cli_extract_names_each_bad_record_on_stderr_and_keeps_the_others(tmp_path):
    from click.testing import CliRunner

    from search.cli import main

    bulk = _bulk(tmp_path / "a.jsonl", ["a1", "a2"], extra_lines=["{cassé", json.dumps({"id": "a3", "title": "T"})])
    result = CliRunner().invoke(main, ["extract", "--no-persons", str(bulk)])
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["a1", "a2", "a3"]
    assert result.stderr.startswith(f"skipped {bulk}:3: invalid JSON")


def test_cli_extract_resolves_persons_across_batches_as_across_all_the_files(seeds_dir, monkeypatch):
    from click.testing import CliRunner

    from search import cli
    from search.persons.resolve import annotate

    files = sorted(seeds_dir.glob("*.txt"))
    expected = [a for f in files for a in load_file(f)]
    annotate(expected)
    monkeypatch.setattr(cli, "_PERSONS_BATCH", 2)
    result = CliRunner().invoke(cli.main, ["extract", "--json", *map(str, files)])
    assert result.exit_code == 0, result.output
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["id"], a["persons"]) for a in got] == [(a["id"], a["persons"]) for a in expected]
    assert any(a["persons"] for a in got)
