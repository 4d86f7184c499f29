"""Small text utilities shared by extraction, analysis, persons, query and the web app.

NFC and accent folding, the French month table, and the re-casing of names printed in capitals:
one definition each, so that every stage reads text the same way.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

from unidecode import unidecode

_SPACES = re.compile(r"\s+")
_QUOTES = "’‘ʼ`´"
#: Every sign typed as an apostrophe (l’, l', lʼ…): one list for analysis, names and OpenSearch.
APOSTROPHES = "'" + _QUOTES
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
# Up to this length a text folds in one str.translate pass; longer ones fold each distinct
# character with one str.replace (C-level, a few dozen for French prose) ...
_SHORT_TEXT = 80
# ... unless they have more distinct non-ASCII characters than this (a page of CJK has thousands):
# then one translate pass is faster.
_REPLACE_LIMIT = 64
# Most characters kept in the translate table: hostile text must not grow it without bound.
_TABLE_LIMIT = 100_000


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (scrapers sometimes store decomposed accents)."""
    return unicodedata.normalize("NFC", text)


def _fold_char(ch: str) -> str:
    """Fold one non-ASCII character (the specification of ``fold``, one character at a time)."""
    if ch in _QUOTES:
        return "'"
    return unidecode(ch) if ch.isalpha() or unicodedata.combining(ch) else ch


class _FoldTable(dict):
    """A ``str.translate`` table that folds each character the first time it is met."""

    def __missing__(self, code: int) -> str:
        if len(self) >= _TABLE_LIMIT:
            self.clear()
        ch = chr(code)
        folded = self[code] = ch if code < 128 else _fold_char(ch)
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Return ``text`` without accents (é→e, ï→i, œ→oe, ’→'), ASCII left untouched, case kept.

    Each character folds on its own (NFC first, so a decomposed accent folds like a composed one);
    the work is done by C-level string operations, not a Python loop over the characters.
    """
    if text.isascii():
        return text
    text = nfc(text)
    if len(text) <= _SHORT_TEXT:
        return text.translate(_TABLE)
    chars = set(_ASCII_RUNS.sub("", text))
    if len(chars) > _REPLACE_LIMIT:
        return text.translate(_TABLE)
    # A character folds to ASCII or to itself, so one replace never feeds another.
    for ch in chars:
        text = text.replace(ch, _TABLE[ord(ch)])
    return text


def fold_key(text: str) -> str:
    """Return a case- and accent-insensitive key with spaces collapsed (for identity checks)."""
    return _SPACES.sub(" ", fold(text).lower()).strip()


#: French month names as displayed, January first.
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")
#: Abbreviated French month names as displayed (timeline labels).
MONTHS_FR_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                   "nov.", "déc.")
# Other abbreviations printed by news sites, folded, with their month.
_MONTH_ABBREVIATIONS = {"jan": 1, "fev": 2, "mar": 3, "aou": 8, "sep": 9}
# English month names (WordPress themes, agency feeds), full then abbreviated.
_MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december")
_MONTHS_EN_SHORT = {"feb": 2, "apr": 4, "jun": 6, "jul": 7, "aug": 8}

#: Folded, lower-case month names and abbreviations (French and English) → month number, for parsing.
MONTH_NUMBERS: dict[str, int] = {
    **{fold(name): i for i, name in enumerate(MONTHS_FR, 1)},
    **{fold(name).rstrip("."): i for i, name in enumerate(MONTHS_FR_SHORT, 1)},
    **_MONTH_ABBREVIATIONS,
    **{name: i for i, name in enumerate(_MONTHS_EN, 1)},
    **_MONTHS_EN_SHORT,
}


def real_day(year: int, month: int, day: int) -> bool:
    """Return True when ``year-month-day`` is a day of the calendar (no 30 February, no month 13)."""
    try:
        _dt.date(year, month, day)
    except (ValueError, OverflowError):
        return False
    return True


def month_name(month: int, short: bool = False) -> str:
    """Return the displayed French name of month ``month`` (1–12), abbreviated when ``short``."""
    return (MONTHS_FR_SHORT if short else MONTHS_FR)[month - 1]


def is_all_caps(word: str) -> bool:
    """Return True when ``word`` has at least two letters and all of them are capitals."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def display_case(word: str) -> str:
    """Return an ALL-CAPS name word in title case (« GOÏTA » → « Goïta », « N'DIAYE » → « N'Diaye »), others unchanged."""
    if not is_all_caps(word):
        return word
    out, upper_next = [], True
    for ch in word:
        out.append(ch.upper() if upper_next else ch.lower())
        # A hyphen, an apostrophe or an initial's dot starts a new name part: « Jean-Marie », « N'Diaye ».
        upper_next = ch in "-." + APOSTROPHES
    return "".join(out)
