"""Rules that judge a tagged span by the text around it: places, acronym-defined bodies, titles."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from search.persons.names import DATA_DIR, file_stamp

_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME = rf"[{_UPPER}][\w’'-]+"
# "du", "de la", "d'", "notre" may sit between the place word and the name; a bare "de" may
# not: "la clinique de X" is X's clinic, X a person.
_LINK = r"(?:\s+(?:de\s+la|de\s+notre|du|des|d['’]|notre))*"
#: Particles a name never starts with: a span starting with one lost its given name.
PARTICLE_STARTS = frozenset({"ould", "ag", "ben", "bin", "ibn"})
# "(BBY)" after a span: the acronym that defines it.
_INITIALS = re.compile(r"\s*\(([^\W\d_]{2,6})\)")
# Where a run of capitalised words before an acronym may start: a sentence end or a line break.
_RUN_START = re.compile(r"[.!?;:\n«\"“(]")


@lru_cache(maxsize=8)
def _read_lines(path: Path, _stamp: float) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _lines(name: str) -> tuple[str, ...]:
    # Read once per edit: the rules run on every span of every article.
    path = DATA_DIR / name
    return _read_lines(path, file_stamp(path))


@lru_cache(maxsize=4)
def _place_pattern(words: tuple[str, ...]) -> re.Pattern | None:
    if not words:
        return None
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{alts}){_LINK}\s+$", re.I)


@lru_cache(maxsize=4)
def _trigger_pattern(words: tuple[str, ...]) -> re.Pattern | None:
    if not words:
        return None
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{alts})[ \t\u00a0]+({_NAME}(?:[ \t\u00a0]+{_NAME}){{0,3}})")


def place_words() -> tuple[str, ...]:
    """Return the place words of the data file (``place_words.txt``)."""
    return _lines("place_words.txt")


def triggers() -> tuple[str, ...]:
    """Return the titles that announce a person (``mention_triggers.txt``)."""
    return _lines("mention_triggers.txt")


def _occurrences(span: str, text: str):
    # Whole-word occurrences only: "Sall" inside "Sallah" is not the span.
    return re.finditer(rf"(?<![\w]){re.escape(span)}(?![\w])", text)


def follows_place(text: str, start: int) -> bool:
    """Return True when the text before ``start`` ends with a place word ("au stade ", "CHU ")."""
    pattern = _place_pattern(place_words())
    return bool(pattern and pattern.search(text, max(0, start - 40), start))


def names_place(span: str, text: str, words: tuple[str, ...] | None = None) -> bool:
    """Return True when every occurrence of ``span`` in ``text`` follows a place word ("stade X")."""
    pattern = _place_pattern(place_words() if words is None else words)
    if pattern is None:
        return False
    found = False
    for m in _occurrences(span, text):
        found = True
        if not pattern.search(text, max(0, m.start() - 40), m.start()):
            return False
    return found


def defines_acronym(span: str, text: str, people: frozenset[str] = frozenset()) -> bool:
    """Return True when ``span`` ends a run of capitalised words whose initials follow in brackets.

    Acronyms in ``people`` (person aliases such as IBK) name a person, not an organisation.
    """
    for m in _occurrences(span, text):
        acro = _INITIALS.match(text, m.end())
        if not acro or acro.group(1).upper() in people:
            continue
        start = max(0, m.start() - 80)
        cut = list(_RUN_START.finditer(text, start, m.start()))
        start = cut[-1].end() if cut else start
        words = re.findall(rf"[{_UPPER}][\w’'-]*", text[start:m.end()])
        letters = acro.group(1)
        if len(words) >= len(letters) and "".join(w[0] for w in words[-len(letters):]).lower() == letters.lower():
            return True
    return False


def titled_mentions(text: str) -> list[str]:
    """Return the capitalised words after a person-announcing title ("Monsieur Macky Sall")."""
    pattern = _trigger_pattern(triggers())
    if pattern is None or not text:
        return []
    return [m.group(1) for m in pattern.finditer(text)]


def extend_particle(span: str, text: str) -> str:
    """Return ``span`` with the given name before it when it starts with a particle ("Ould Chrougha")."""
    first = span.split(" ", 1)[0]
    if first.lower() not in PARTICLE_STARTS:
        return span
    for m in _occurrences(span, text):
        # A given name inside the sentence: a capital at a sentence start ("Selon") or a word in
        # capitals ("BBC") proves nothing.
        before = re.search(rf"(?<=[\w,;:»)])[ \t\u00a0]+([{_UPPER}][a-zß-öø-ÿ’'-]+)[ \t\u00a0]+$",
                           text[max(0, m.start() - 40):m.start()])
        if before and before.group(1).lower() not in PARTICLE_STARTS:
            return f"{before.group(1)} {span}"
    return span


def keep_span(span: str, text: str, people: frozenset[str] = frozenset()) -> bool:
    """Return False when the text shows ``span`` names a place or an acronym-defined body."""
    return not (names_place(span, text) or defines_acronym(span, text, people))
