"""Small text utilities shared by extraction, analysis, persons and query: NFC and accent folding."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (scrapers sometimes store decomposed accents)."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return unidecode(word)


def fold(text: str) -> str:
    """Return ``text`` without accents (é→e, ï→i, œ→oe), ASCII left untouched, case kept."""
    if text.isascii():
        return text
    out = []
    for ch in nfc(text):
        if ch.isascii():
            out.append(ch)
        elif ch in "’‘ʼ`´":
            out.append("'")
        else:
            out.append(_fold_word(ch) if ch.isalpha() or unicodedata.combining(ch) else ch)
    return "".join(out)


def fold_key(text: str) -> str:
    """Return a case- and accent-insensitive key with spaces collapsed (for identity checks)."""
    return _SPACES.sub(" ", fold(text).lower()).strip()
