"""Bylines and signatures: who wrote a page and which outlet signed it.

Recognises ``Par X`` bylines, ``Source : X`` lines, agency signatures (``AC/Sf/APA``,
``Bamako (AFP) -``, ``© AFP``), dateline credits (``Orange avec AFP, publié le ...``) and
person-like names alone on a line. A role (``Envoyé spécial``) or a newsroom is never an author.
"""

from __future__ import annotations

import re

from search.extract.outlets import OutletTable, line_key
from search.text import display_case, is_all_caps

_PARTICLES = {"de", "du", "da", "dos", "des", "di", "del", "le", "la", "ben", "bin", "ibn", "ould", "ag", "el",
              "al", "van", "von", "mint", "ter", "dit", "d'", "l'"}
# Capitalised words that start sentences or headings, never a first name.
_NOT_FIRST = {
    "le", "la", "les", "un", "une", "des", "ce", "cette", "ces", "vive", "merci", "bravo", "fin", "source", "par",
    "photo", "photos", "credit", "credits", "lire", "voir", "mali", "bamako", "republique", "etat", "etats",
    "conclusion", "introduction", "encadre", "suite", "nb", "ps", "pour", "avec", "sans", "dans", "sur", "au",
    "aux", "en", "et", "ou", "mais", "donc", "nous", "vous", "ils", "elles", "il", "elle", "on", "mon", "ma",
    "mes", "notre", "nos", "votre", "vos", "leur", "leurs", "tout", "tous", "toute", "toutes", "quand", "comment",
    "pourquoi", "qui", "que", "quoi", "ou", "selon", "chez", "vers", "depuis", "contre", "entre", "apres",
    "avant", "ministere", "gouvernement", "presidence", "assemblee", "conseil", "commission", "union", "agence",
    "association", "comite", "direction", "bureau", "service", "cellule", "groupe", "equipe", "redaction",
    "envoye", "envoyee", "correspondant", "correspondante", "journaliste", "auteur", "tags", "mots", "categorie",
    "forces", "armee", "operation", "accueil", "home", "news", "actualite", "actualites", "international",
    "politique", "societe", "economie", "sport", "culture", "sante", "securite", "afrique", "monde", "france",
}
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w’'.-]*|[A-ZÀ-ÖØ-Þ]\.|[A-ZÀ-ÖØ-Þ]['’][A-ZÀ-ÖØ-Þ][\w’'-]*)$")
_SOURCE = re.compile(r"^(?:source|sources|src)\s*:?\s+(.{2,80}?)\s*\.?$", re.IGNORECASE)
_BYLINE = re.compile(
    r"^(?:par|by|ecrit par|écrit par|auteur|auteure|author|redige par|rédigé par|posted by|publie par|publié par)"
    r"\s*:?\s+(.{2,120}?)\s*$", re.IGNORECASE)
_SIGNATURE = re.compile(r"^(?:[A-Za-zÀ-ÿ]{1,6}\s?/\s?){1,6}([A-Za-z]{2,12})\.?$")
_AGENCY_DATELINE = re.compile(r"^[A-ZÀ-Ö][^()]{1,60}?\(\s*(?P<agency>[A-Za-z][\w -]{1,20})\)\s*[-–—:]")
_COPYRIGHT_AGENCY = re.compile(r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?(?P<agency>[A-Za-z][\w -]{1,20}?)\.?$",
                               re.IGNORECASE)


def title_case(name: str) -> str:
    """Return an ALL-CAPS name in title case ("MOHAMED KEITA" → "Mohamed Keita"); others unchanged."""
    if not is_all_caps(name):
        return name
    return " ".join(word.lower() if word.lower() in _PARTICLES else display_case(word) for word in name.split())


def looks_like_person(text: str, table: OutletTable) -> bool:
    """Return True when ``text`` reads as a person's name (2–5 capitalised words, no digits)."""
    text = text.strip(" ,;:.")
    if not 4 <= len(text) <= 50 or any(ch.isdigit() for ch in text):
        return False
    if any(ch in text for ch in "!?«»\"“”()[]{}|/@#:;=+*&%$€"):
        return False
    words = text.split()
    if not 2 <= len(words) <= 5:
        return False
    key = line_key(text)
    if key.split()[0] in _NOT_FIRST or table.is_not_person(key):
        return False
    named = 0
    for word in words:
        if word.lower() in _PARTICLES:
            continue
        if not _NAME_WORD.match(word):
            return False
        named += 1
    return named >= 2


def source_of(line: str) -> str | None:
    """Return X for a ``Source : X`` line, else None."""
    m = _SOURCE.match(line.strip())
    if not m:
        return None
    value = m.group(1).strip(" .:-–")
    return value if value and len(value.split()) <= 6 else None


def byline_of(line: str) -> str | None:
    """Return X for a ``Par X`` byline (up to a date or a separator), else None."""
    m = _BYLINE.match(line.strip())
    if not m:
        return None
    value = re.split(r"\s+(?:[-–—|]|le|publi[ée]|mis à jour|mis a jour)\s+|\s*[|,]\s*", m.group(1), maxsplit=1)[0]
    value = value.strip(" .:-–")
    return value or None


def agency_signature(line: str, table: OutletTable) -> str | None:
    """Return the agency of a signature line such as ``AC/Sf/APA`` or ``© AFP``, else None."""
    stripped = line.strip()
    for pattern in (_SIGNATURE, _COPYRIGHT_AGENCY):
        m = pattern.match(stripped)
        if m:
            outlet = table.lookup(m.group(m.lastindex or 1))
            if outlet is not None and outlet.kind == "agency":
                return outlet.name
    return None


def agency_dateline(paragraph: str, table: OutletTable) -> str | None:
    """Return the agency of a dateline opening a paragraph (``Bamako (AFP) - ...``), else None."""
    m = _AGENCY_DATELINE.match(paragraph.strip())
    if not m:
        return None
    outlet = table.lookup(m.group("agency"))
    return outlet.name if outlet is not None and outlet.kind == "agency" else None
