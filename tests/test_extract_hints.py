"""Crawler metadata used as evidence during extraction, and the header rules of issue 12 (synthetic lines only)."""

from __future__ import annotations

import json

import pytest

from search.extract.files import extract_text, load_file
from search.extract.outlets import name_from_host, table
from search.extract.records import slug_tokens, url_date

LEAD = ("Le conseil municipal a adopté mardi le budget de l'exercice à venir après une longue session de débats "
        "entre les élus de la majorité et ceux de l'opposition.")
TITLE = "Le budget communal est adopté"
LEAD2 = ("Les élus ont salué un texte qui prévoit de nouvelles écoles et la réfection des routes du centre-ville, "
         "a précisé le maire à la sortie de la séance.")


@pytest.mark.parametrize("host,name", [
    ("beto.cd", "Beto"),
    ("mobile.camerounweb.com", "Camerounweb"),
    ("www.exemple.co.uk", "Exemple"),
    ("news.journal-du-sahel.com", "Journal-du-sahel"),
    ("aps.sn", "APS"),
    ("box2.archives.exemple.org", "Exemple"),
    ("localhost", None),
    ("", None),
])
def test_an_unknown_host_gives_a_readable_name(host, name):
    assert name_from_host(host) == name


@pytest.mark.parametrize("url,expected", [
    ("https://exemple.com/2024/03/12/un-titre/", ("2024-03-12", "day")),
    ("https://exemple.com/2024/03/un-titre.html", ("2024-03", "month")),
    ("https://exemple.fr/afrique/20240312-un-titre-ici", ("2024-03-12", "day")),
    ("https://exemple.com/2024/02/31/un-titre/", None),  # not a day of the calendar
    ("https://exemple.com/un-titre-2210192.html", None),
    ("pas une adresse", None),
])
def test_a_url_states_a_date_only_in_its_path(url, expected):
    assert url_date(url) == expected


@pytest.mark.parametrize("url,words", [
    # words under 3 letters and the trailing id are dropped
    ("https://exemple.com/politique/le-budget-est-adopte-2210192.html", ["budget", "est", "adopte"]),
    ("https://exemple.net/Le-budget-communal-adopte_a47825.html", ["budget", "communal", "adopte"]),
    ("https://exemple.fr/afrique/20240312-le-budget-communal-adopte", ["budget", "communal", "adopte"]),
    ("https://exemple.net/index.php/a-la-une/33-societe?start=10", []),  # a section, not a headline
    ("https://exemple.com/", []),
])
def test_a_url_slug_gives_the_headline_words(url, words):
    assert slug_tokens(url) == words


def _page(tmp_path, text: str, url: str | None = None) -> dict:
    page = tmp_path / "p.txt"
    page.write_text(text, encoding="utf-8")
    if url:
        (tmp_path / "p.json").write_text(json.dumps({"url": url}), encoding="utf-8")
    (article,) = load_file(page)
    return article


@pytest.mark.parametrize("url,outlet,site", [
    ("https://www.lesoleil.sn/actualites/budget-communal-adopte/", "Le Soleil", "lesoleil.sn"),  # in the table
    ("https://mobile.journalinconnu.cd/budget-communal-adopte", "Journalinconnu", "mobile.journalinconnu.cd"),
])
def test_the_crawler_url_names_the_outlet_of_a_page_that_does_not(tmp_path, url, outlet, site):
    art = _page(tmp_path, f"Le budget communal est adopté\n\n{LEAD}", url)
    assert (art["outlet"], art["site"]) == (outlet, site)


def test_a_credit_in_the_text_still_names_the_original_publisher(tmp_path):
    art = _page(tmp_path, f"Le budget communal est adopté\n\n{LEAD}\n\nSource : AFP",
                "https://mobile.journalinconnu.cd/budget-communal-adopte")
    assert art["outlet"] == "AFP"


@pytest.mark.parametrize("text,url,date,precision,estimated", [
    # a crawler month agreeing with the URL's day: the day, stated
    (f" date 2024-03 Le budget communal est adopté\n\n{LEAD}", "https://x.cd/2024/03/12/budget-communal-adopte/",
     "2024-03-12", "day", False),
    # no date in the text: the URL's day is an estimate
    (f"Le budget communal est adopté\n\n{LEAD}", "https://x.cd/2024/03/12/budget-communal-adopte/",
     "2024-03-12", "day", True),
    # a stated day wins over the URL
    (f"Le budget communal est adopté\n\nPublié le 14 mars 2024\n\n{LEAD}",
     "https://x.cd/2024/03/12/budget-communal-adopte/", "2024-03-14", "day", False),
])
def test_the_url_date_corroborates_or_estimates(tmp_path, text, url, date, precision, estimated):
    art = _page(tmp_path, text, url)
    assert (art["date"], art["date_precision"], art["date_estimated"]) == (date, precision, estimated)


def test_sidecar_values_win_over_the_hints(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text(f"Le budget communal est adopté\n\n{LEAD}", encoding="utf-8")
    (tmp_path / "p.json").write_text(json.dumps({"url": "https://www.lesoleil.sn/a/budget-communal-adopte/",
                                                 "outlet": "Autre Journal", "date": "2024-01-02"}))
    (art,) = load_file(page)
    assert (art["outlet"], art["date"], art["date_estimated"]) == ("Autre Journal", "2024-01-02", False)


def test_the_slug_picks_the_headline_among_header_lines(tmp_path):
    text = f"Une rubrique des infos du jour\n\nLe budget communal est enfin adopté\n\n{LEAD}"
    art = _page(tmp_path, text, "https://x.cd/politique/budget-communal-enfin-adopte")
    assert art["title"] == "Le budget communal est enfin adopté"


@pytest.mark.parametrize("chrome", [
    "Accueil Blog Page 12",  # breadcrumb and pagination
    "Accueil    Politique    Économie    Sports    Culture",  # a menu run flattened on one line
    "Tuesday 16 December, 2025",  # the site's date widget
    "• Un autre titre de la colonne des dernières nouvelles",  # a bullet of a sidebar list
    "Lefaso.net, le quotidien en ligne du pays",  # the site's name and slogan
])
def test_site_chrome_above_the_headline_is_never_the_title(chrome):
    art = extract_text(f"{chrome}\n\nLe budget communal est adopté\n\n{LEAD}", id="x")
    assert art["title"] == "Le budget communal est adopté"


@pytest.mark.parametrize("prefix", ["Rubriques", "Alwihda Info"])
def test_a_crawler_prefix_that_is_a_label_is_not_the_title(prefix):
    art = extract_text(f" date 2024-03 {prefix}\n\nLe budget communal est adopté\n\n{LEAD}", id="x")
    assert (art["title"], art["date"]) == ("Le budget communal est adopté", "2024-03")


def test_a_credit_byline_with_a_date_gives_outlet_author_and_date():
    art = extract_text(f"Le budget communal est adopté\n\nAlwihda Info | Par Fatimé Oumar - 4 mars 2024\n\n{LEAD}",
                       id="x")
    assert (art["outlet"], art["author"], art["date"]) == ("Alwihda Info", "Fatimé Oumar", "2024-03-04")
    assert "Par Fatimé" not in art["body"]


def test_a_dateline_between_the_headline_and_its_repetition_is_read():
    text = f"{TITLE}\n\nPublié le 4 mars 2024\n\nPARTAGER :\n{TITLE}\n\n{LEAD}"
    assert extract_text(text, id="x")["date"] == "2024-03-04"


@pytest.mark.parametrize("line", [
    "Commentaires via Facebook :",  # the Facebook plugin, on any site
    "Avec notre correspondant à Bamako, Awa Traoré",  # every newsroom writes it
])
def test_lines_every_site_prints_are_not_fingerprints(line):
    assert table().fingerprint(["un titre", line.lower()]) == []


def test_a_host_named_inside_a_paragraph_is_not_a_fingerprint():
    key = "selon les informations publiees par maliweb.net hier, le conseil municipal a adopte le budget communal"
    assert table().fingerprint([key]) == []
    assert [o.name for _, o in table().fingerprint(["© maliweb.net"])] == ["Maliweb"]



@pytest.mark.parametrize("tail,gone", [
    # a related-headline list after the last sentence
    ("Un autre sujet du jour sans point final\nEncore un titre de la même rubrique…\nUn troisième titre ici",
     ["Un autre sujet", "Encore un titre", "Un troisième titre"]),
    # an embedded post of a social network
    ("Bravo à nos joueurs ! pic.twitter.com/AbC123 — Fédération (@federation) May 27, 2022", ["pic.twitter.com"]),
    # the author's initials twice
    ("A.B.K.\nA.B.K.", ["A.B.K."]),
])
def test_lines_after_the_article_are_not_body(tail, gone):
    art = extract_text(f"{TITLE}\n\n{LEAD}\n\n{LEAD2}\n\n{tail}", id="x")
    assert art["body"].endswith("à la sortie de la séance.")
    assert not any(g in art["body"] for g in gone)


def test_a_single_short_line_after_the_text_is_kept():
    art = extract_text(f"{TITLE}\n\n{LEAD}\n\n{LEAD2}\n\nUne dernière phrase sans point final ici", id="x")
    assert art["body"].endswith("Une dernière phrase sans point final ici")


def test_the_outlet_name_alone_under_the_text_signs_it_and_ends_the_body():
    art = extract_text(f"{TITLE}\n\n{LEAD}\n\n{LEAD2}\n\nCRIDEM\n\n{LEAD}", id="x")
    assert art["outlet"] == "Cridem" and art["body"].count(LEAD) == 1 and "CRIDEM" not in art["body"]


@pytest.mark.parametrize("tail,outlet", [
    ("... suite de l'article sur Jeune Afrique", "Jeune Afrique"),
    ("Lire la suite sur RFI", "RFI"),
])
def test_a_read_more_link_credits_the_original_publisher(tail, outlet):
    art = extract_text(f"{TITLE}\n\n{LEAD} {tail}", id="x")
    assert art["outlet"] == outlet and "suite" not in art["body"]


def test_a_trailing_ellipsis_in_brackets_is_dropped():
    assert extract_text(f"{TITLE}\n\n{LEAD} [...]", id="x")["body"] == LEAD


@pytest.mark.parametrize("sentence,outlet", [
    ("« Nous attendons les résultats », a déclaré à l'AFP un responsable local.", "AFP"),
    ("Les stations sont à sec, a appris Guineenews auprès des gérants.", "Guinéenews"),
    ("Le bilan est lourd, ont rapporté des journalistes de l'AFP sur place.", "AFP"),
])
def test_a_reporting_phrase_names_the_outlet_when_nothing_else_does(sentence, outlet):
    assert extract_text(f"{TITLE}\n\n{LEAD} {sentence}", id="x")["outlet"] == outlet


def test_a_reporting_phrase_never_outranks_a_stated_source():
    text = f"{TITLE}\n\n{LEAD} Le bilan est lourd, a déclaré à l'AFP un responsable.\n\nSource : APS"
    assert extract_text(text, id="x")["outlet"] == "APS"


@pytest.mark.parametrize("lead,date", [
    ("Le conseil a adopté ce mardi 12 mars 2024 le budget de la commune.", "2024-03-12"),
    ("Le conseil a adopté hier lundi 11 mars 2024 le budget de la commune.", "2024-03-12"),  # written the day after
    ("Le conseil a adopté ce lundi 12 mars 2024 le budget de la commune.", None),  # wrong weekday: not trusted
])
def test_a_deictic_date_in_the_lead_is_the_publication_day(lead, date):
    art = extract_text(f"{TITLE}\n\n{lead} {LEAD}", id="x")
    assert (art["date"] if not art["date_estimated"] else None) == date


@pytest.mark.parametrize("line,outlet,author,date", [
    ("Rédigé par leral.net le Jeudi 19 Juillet 2012 à 17:09 | | 1 commentaire(s)|", "Leral.net", None, "2012-07-19"),
    ("Awa Traoré, pour BBC Afrique", "BBC Afrique", "Awa Traoré", None),
])
def test_credit_lines_give_outlet_author_and_date(line, outlet, author, date):
    art = extract_text(f"{TITLE}\n\n{line}\n\n{LEAD}", id="x")
    assert (art["outlet"], art["author"]) == (outlet, author)
    assert (art["date"] if not art["date_estimated"] else None) == date
    assert line[:12] not in art["body"]


def test_a_listing_date_in_front_of_the_headline_dates_the_article():
    art = extract_text(f"22-09-2020 10:04 - {TITLE}\n\n{TITLE}\n\n{LEAD}", id="x")
    assert (art["title"], art["date"], art["date_estimated"]) == (TITLE, "2020-09-22", False)


@pytest.mark.parametrize("opening,author,outlet", [
    # the name glued to the place of the agency dateline
    ("De l’envoyé spécial de l’APS : Awa TraoréThiès, 19 mai (APS) – ", "Awa Traoré", "APS"),
    ("Agence Ecofin) - ", None, "Agence Ecofin"),  # an agency dateline whose start was cut off
    ("Kongoussi, 30 juillet 2022, ( AIB)-", None, "AIB"),  # spaces inside the parentheses
])
def test_openings_of_the_text_carry_the_byline_and_the_agency(opening, author, outlet):
    art = extract_text(f"{TITLE}\n\n{opening}{LEAD}", id="x")
    assert (art["author"], art["outlet"]) == (author, outlet)
    assert LEAD in art["body"] and "envoyé" not in art["body"] and "Ecofin" not in art["body"]


def test_a_slogan_above_a_paywall_prompt_goes_with_it():
    art = extract_text(f"{TITLE}\n\n{LEAD}\n\nBien lire, mieux comprendre\n\nAbonnez-vous pour lire la suite", id="x")
    assert art["body"] == LEAD


@pytest.mark.parametrize("credit,outlet", [
    ("Source : https://www.journalinconnu.cd/politique/un-article", "Journalinconnu"),  # a link names its site
    ("Source : www.lesoleil.sn", "Le Soleil"),
    ("Source : 12/03/2024 - 10:15", None),  # a date line names nobody
])
def test_an_outlet_is_never_a_url_or_a_date_line(credit, outlet):
    assert extract_text(f"{TITLE}\n\n{LEAD}\n\n{credit}", id="x")["outlet"] == outlet


def test_a_standfirst_cut_with_an_ellipsis_is_dropped_when_the_text_gives_it_whole():
    cut = LEAD[:80].rstrip() + "…"
    art = extract_text(f"{TITLE}\n\n{cut}\n\n{LEAD}\n\n{LEAD2}", id="x")
    assert art["body"] == f"{LEAD}\n\n{LEAD2}"


def test_an_agency_story_list_after_the_text_is_not_body():
    tail = ("SENEGAL-SOCIETE-EDUCATION / Les écoles rouvrent – Par Awa Ba (APS)\n"
            "SENEGAL-SPORT-FOOTBALL / Les Lions qualifiés – Par Ali Sy (APS)")
    art = extract_text(f"{TITLE}\n\n{LEAD}\n\n{LEAD2}\n\n{tail}", id="x")
    assert "SENEGAL" not in art["body"]


def test_an_author_box_near_the_top_gives_the_author_and_leaves_the_body():
    bio = "Économiste, chercheur associé au centre d'études de Nouakchott."
    art = extract_text(f"{TITLE}\n\n{LEAD}\n\n• Mamadou Ould Ahmed\n\n{bio}\n\n{LEAD2}", id="x")
    assert art["author"] == "Mamadou Ould Ahmed"
    assert art["body"] == f"{LEAD}\n\n{LEAD2}"
