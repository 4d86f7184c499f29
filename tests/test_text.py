"""search.text: one folding function, one French month table, one all-capitals name fixer.

Also the lines the person NER never reads ([ner_text] of outlets.toml) and the one comment-count
pattern, since they are matched against folded line keys.
"""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st
from unidecode import unidecode

from search.extract import bylines, outlets
from search.extract.comments import COMMENT_COUNT
from search.persons import nertext
from search.text import MONTH_NUMBERS, MONTHS_FR, MONTHS_FR_SHORT, display_case, fold, fold_key, is_all_caps, month_name


def reference_fold(text: str) -> str:
    """The specification of ``fold``: each character of the NFC text folded on its own."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ch)
        elif ch in "’‘ʼ`´":
            out.append("'")
        else:
            out.append(unidecode(ch) if ch.isalpha() or unicodedata.combining(ch) else ch)
    return "".join(out)


# --- folding ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, folded", [
    ("", ""),
    ("plain ASCII `kept` as is", "plain ASCII `kept` as is"),
    ("Élève à l’école", "Eleve a l'ecole"),
    ("ÉCOLE Goïta Keïta Ségou", "ECOLE Goita Keita Segou"),
    ("œuvre, Œdipe, cœur", "oeuvre, OEdipe, coeur"),
    ("N’Diaye ‘cité’ ʼa ´b", "N'Diaye 'cite' 'a 'b"),
    ("Straße, Søren, Łódź, đ", "Strasse, Soren, Lodz, d"),
    ("北京", reference_fold("北京")),  # a transliteration, ASCII
    ("la paix 🙂 ✊🏾", "la paix 🙂 ✊🏾"),  # symbols are not letters: kept
    ("« 15 € » 2\u00a0000", "« 15 € » 2\u00a0000"),  # punctuation, currency, no-break space kept
    ("e\u0301le\u0300ve", "eleve"),  # decomposed accents fold like composed ones
    ("q\u0301", "q"),  # a combining mark without a composed form is dropped
    ("\u0301x", "x"),  # a combining mark standing alone too
])
def test_fold_table(text, folded):
    assert fold(text) == folded
    assert fold(text) == reference_fold(text)


@pytest.mark.parametrize("text, key", [
    ("  Assimi   GOÏTA ", "assimi goita"),
    ("N’Diaye", "n'diaye"),
    ("Kéïta\tMoussa\n", "keita moussa"),
    ("Œuvre", "oeuvre"),
    ("", ""),
])
def test_fold_key_table(text, key):
    assert fold_key(text) == key


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fold_equals_the_reference_on_any_text(text):
    assert fold(text) == reference_fold(text)


# French prose with decomposed accents and quotes, long enough for the replace path.
_FRENCH = st.text(alphabet="aeiouy cçéèêëàâîïôöùûüÿœæÉÈÀÇŒ’‘ʼ`´'«» \u0301\u0300\u0308.-", min_size=60, max_size=600)


@settings(max_examples=200, deadline=None)
@given(_FRENCH)
def test_fold_equals_the_reference_on_french_like_text(text):
    assert fold(text) == reference_fold(text)


def test_fold_equals_the_reference_on_every_character():
    # One text with every character of the basic plane (the translate path, thousands of distinct
    # characters), and each character alone (the short path).
    chars = [chr(i) for i in range(0x80, 0x10000) if not 0xD800 <= i < 0xE000]
    assert fold("".join(chars)) == reference_fold("".join(chars))
    assert [fold(ch) for ch in chars] == [reference_fold(ch) for ch in chars]


def test_fold_of_a_long_page_equals_the_reference():
    page = ("Le président Assimi Goïta a reçu à Koulouba l’ambassadeur de Côte d’Ivoire. « Nous "
            "œuvrons ensemble », a-t-il déclaré.\n") * 2000
    assert fold(page) == reference_fold(page)
    assert fold(page + "北京") == reference_fold(page + "北京")


# --- months -------------------------------------------------------------------------------

# The month table of search/extract/dates.py before it moved here.
_OLD_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "aou": 8,
    "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
    "january": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4, "may": 5, "june": 6,
    "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "october": 10,
    "november": 11, "december": 12,
}


def test_month_numbers_cover_every_old_key():
    assert {k: MONTH_NUMBERS.get(k) for k in _OLD_MONTHS} == _OLD_MONTHS
    assert all(key == fold(key).lower() and "." not in key for key in MONTH_NUMBERS)


@pytest.mark.parametrize("month, short, name", [
    (1, False, "janvier"), (2, False, "février"), (8, False, "août"), (12, False, "décembre"),
    (1, True, "janv."), (2, True, "févr."), (3, True, "mars"), (7, True, "juil."), (12, True, "déc."),
])
def test_month_name(month, short, name):
    assert month_name(month, short) == name


def test_every_module_uses_the_one_month_table():
    from search.extract import dates
    from search.query import language
    from webapp import dates as web_dates

    assert len(MONTHS_FR) == len(MONTHS_FR_SHORT) == 12
    assert dates.MONTHS is MONTH_NUMBERS
    assert language.MONTHS_FR is MONTHS_FR
    assert web_dates.MONTHS is MONTHS_FR and web_dates.MONTHS_SHORT is MONTHS_FR_SHORT
    assert dates.parse_day_month("publié le 14 FÉVRIER") == (14, 2)


# --- names printed in capitals ------------------------------------------------------------

@pytest.mark.parametrize("word, caps", [
    ("IBK", True), ("GOÏTA", True), ("N'DIAYE", True), ("ÉÈ", True), ("KEITA,", True),
    ("A", False), ("A.", False), ("K2", False), ("123", False), ("Keita", False), ("McDONALD", False), ("", False),
])
def test_is_all_caps(word, caps):
    assert is_all_caps(word) is caps


@pytest.mark.parametrize("word, shown", [
    ("GOÏTA", "Goïta"),
    ("ÉRIC", "Éric"),
    ("N'DIAYE", "N'Diaye"),
    ("N’DIAYE", "N’Diaye"),
    ("JEAN-MARIE", "Jean-Marie"),
    ("J.K.", "J.K."),
    ("KEITA,", "Keita,"),
    ("A.", "A."),  # an initial stays
    ("Keita", "Keita"),  # not in capitals: unchanged
    ("McDONALD", "McDONALD"),
])
def test_display_case(word, shown):
    assert display_case(word) == shown


@pytest.mark.parametrize("name, shown", [
    ("MOHAMED KEITA", "Mohamed Keita"),
    ("MOHAMED AG ALHASSANE", "Mohamed ag Alhassane"),
    ("ALIOU N'DIAYE", "Aliou N'Diaye"),
    ("JEAN-MARIE TRAORÉ", "Jean-Marie Traoré"),
    ("A. KEITA", "A. Keita"),
    ("Mohamed KEITA", "Mohamed KEITA"),  # mixed case is left to the writer
])
def test_byline_title_case(name, shown):
    assert bylines.title_case(name) == shown


@pytest.mark.parametrize("line, shown", [
    ("Madina SISSOKO a parlé", "Madina Sissoko a parlé"),
    ("Aliou N’DIAYE et Jean-Marie TRAORÉ", "Aliou N’Diaye et Jean-Marie Traoré"),
    ("le CNT a voté", "le CNT a voté"),  # an acronym alone stays
])
def test_ner_text_title_cases_names_in_capitals(line, shown):
    assert nertext._title_case_caps(line) == shown


# --- lines the person NER never reads -----------------------------------------------------

@pytest.fixture(scope="module")
def table():
    return outlets.table()


@pytest.mark.parametrize("line", [
    "© 2024 Malijet – Tous droits réservés",
    "Copyright L’Essor",
    "(c) 2023 Sidwaya",
    "Toute reproduction, même partielle, est interdite sans autorisation",
    "Ce contenu est protégé par le droit d’auteur et les droits d’auteur.",
    "Source : AMAP",
    "NB : les photos sont d’archives",
    "Suivez-nous sur Facebook",
    "Écoutez Radio Kledu",
    "Partager",
    "Share this article",
    "Tags : Mali, Goïta",
    "Mots-clés : élections",
    "Tél. : +223 20 22 00 00",
    "E-mail : redaction@journal.ml",
    "Contact : 76 00 00 00",
    "Designed by Studio X",
    "Propulsé par WordPress",
    "www.malijet.com",
    "Plus d’infos sur https://example.org/page",
    "Écrire à redaction@lessor.ml",
])
def test_ner_boilerplate_lines(table, line):
    assert table.is_ner_boilerplate(outlets.line_key(line))


_CITING = ("Le ministre Moussa Traoré a rappelé que le rapport de la commission, consultable sur "
           "www.gouv.ml depuis lundi, détaille les droits d’auteur des artistes maliens et les "
           "mesures prises par le gouvernement de transition pour lutter contre la piraterie, "
           "selon un communiqué publié à Bamako.")


@pytest.mark.parametrize("line", [
    _CITING,  # a paragraph of article text citing a website: not a footer
    "La source a confirmé l’information.",
    "Contacté par nos soins, Amadou Diallo n’a pas répondu.",
    "Partagerons-nous enfin ce constat ?",
    "Moussa Traoré, ministre de la Culture",
])
def test_article_lines_are_not_ner_boilerplate(table, line):
    assert len(_CITING) > 200
    assert not table.is_ner_boilerplate(outlets.line_key(line))


@pytest.mark.parametrize("line", [
    "Laisser un commentaire", "Ajouter un commentaire :", "Commentaires via Facebook",
    "Comments are closed", "Réagir", "Leave a Reply", "Notify of", "Vos commentaires",
])
def test_ner_comment_start_lines(table, line):
    assert table.is_ner_comment_start(outlets.line_key(line))


def test_clean_body_stops_at_comments_and_keeps_article_paragraphs():
    body = "\n".join([
        "Le président Assimi Goïta a reçu Moussa Traoré.", _CITING, "© 2024 Malijet", "www.malijet.com",
        "3 commentaires", "Ali Touré : bravo au président",
    ])
    cleaned = nertext.clean_body(body)
    assert "Assimi Goïta" in cleaned and "www.gouv.ml" in cleaned
    assert "Malijet" not in cleaned and "Ali Touré" not in cleaned
    for count in ("12 Réactions :", "0 Comments", "2 réponses"):
        assert "Ali" not in nertext.clean_body(f"Texte de Moussa Traoré.\n{count}\nAli Touré a écrit")


def test_comment_count_reads_raw_text_and_line_keys():
    for text in ("3 commentaires", "12 Réactions", "0 Comments", "5 avis", "3 COMMENTAIRES"):
        assert COMMENT_COUNT.search(text) and COMMENT_COUNT.search(outlets.line_key(text))
    assert COMMENT_COUNT.search("12 Réactions").group(1) == "12"
    assert not COMMENT_COUNT.search("les commentaires")


@pytest.mark.parametrize("line", [
    "(c) " * 500, "© " * 1000, "reproduction " * 150, "www." * 500, "a@b." * 500, "source : " * 220,
    "droits d " * 250, "x" * 1999, "designed " * 220, "tel : " * 400,
])
def test_ner_line_patterns_are_fast_on_hostile_lines(table, line):
    key = outlets.line_key(line)
    start = time.perf_counter()
    for _ in range(20):
        table.is_ner_boilerplate(key)
        table.is_ner_comment_start(key)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("year,month,day,real", [
    (2024, 2, 29, True), (2023, 2, 29, False), (2023, 2, 30, False), (2023, 13, 1, False),
    (2023, 0, 1, False), (2023, 4, 31, False), (2023, 12, 31, True), (0, 1, 1, False), (10**6, 1, 1, False),
])
def test_only_days_of_the_calendar_are_real_days(year, month, day, real):
    from search.text import real_day

    assert real_day(year, month, day) is real


@pytest.mark.parametrize("items,size,expected", [
    ([], 3, []),
    ([1, 2, 3], 3, [[1, 2, 3]]),
    ([1, 2, 3, 4], 3, [[1, 2, 3], [4]]),
    (range(5), 1, [[0], [1], [2], [3], [4]]),
])
def test_a_stream_is_cut_into_batches_in_order(items, size, expected):
    from search.streams import batched

    assert list(batched(items, size)) == expected
