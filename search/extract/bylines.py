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


# A credit's lead-in ("Source : BFMTV", "Avec AFP", "Crédit : 6Medias"): what follows names an outlet.
_CREDIT_PREFIX = re.compile(r"^(?:sources?|soure|src|cr[ée]dits?|avec|with)\s*:?\s+", re.IGNORECASE)
# Separators between the names of a joint byline ("Jean Dupont avec AFP", "6Medias, Vidéo BFMTV").
_CREDIT_PARTS = re.compile(r"\s*(?:[,;/&+]|\s[-–—]\s|\b(?:et|and|avec|with)\b)\s*", re.IGNORECASE)


# A name opening with an article or closing on a number names a title, a channel or a programme.
_THING_NAME = re.compile(r"^(?:(?:le|la|les)\s|l['’])|.*\s\d{1,3}$", re.IGNORECASE)


def names_outlet(text: str, table: OutletTable) -> bool:
    """Return True when some run of the words of ``text`` is an outlet of the table ("Orange BVA", "AFP FR")."""
    words = text.split()
    return any(table.lookup(" ".join(words[i:j])) is not None
               for i in range(len(words)) for j in range(i + 1, len(words) + 1))


def is_person_author(text: str, table: OutletTable) -> bool:
    """Return True when an author value names a person rather than an agency, a newsroom or a credit."""
    # A byline value is checked word run by word run: "RT France" is person-shaped but names an outlet.
    return looks_like_person(title_case(text), table) and not names_outlet(text, table)


def _is_credit(text: str, parts: list[str], table: OutletTable) -> bool:
    """Return True when a value that names no person reads as a credit: known, joint, a host or one word."""
    if len(parts) > 1:
        return any(_is_credit(part, [part], table) for part in parts)  # "BVA - Orange", "6Medias, Vidéo BFMTV"
    if len(text.split()) == 1 or ("." in text and " " not in text):
        return True  # "Closer", "Jeanmarcmorandini.com": brands, never a byline's full name
    if _THING_NAME.match(text):
        return True  # "La Croix", "Le Lab d'Europe 1", "France 2": titles and channels, not people
    return names_outlet(text, table) or table.is_not_person(line_key(title_case(text)))


def split_credit(value: str | None, table: OutletTable) -> tuple[str | None, str | None]:
    """Return ``(author, credit)`` of an author value: persons stay the author, agencies and outlets the credit."""
    text = " ".join((value or "").split()).strip(" ,;:.-–—")
    if not text:
        return None, None
    prefix = _CREDIT_PREFIX.match(text)
    if prefix:
        credit = text[prefix.end():].strip(" ,;:.-–—")
        return None, table.canonical(credit) if credit else None
    parts = [p for p in _CREDIT_PARTS.split(text) if p]
    persons = [p for p in parts if is_person_author(p, table)]
    if len(persons) == len(parts):
        return text, None
    if not persons:
        if _is_credit(text, parts, table):
            return None, table.canonical(text)
        return text, None  # neither a person's name nor a known credit: the source's word stands
    others = [p for p in parts if p not in persons]
    return ", ".join(persons), table.canonical(", ".join(others))
