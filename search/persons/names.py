"""Person-name normalisation: titles, shape rules, stoplist and aliases (no spaCy here).

A mention tagged PER by the NER is cleaned into a display-cased name or rejected.  The rules come
from editable data files in ``search/persons/data`` (titles, non-persons, aliases), so that a user's merges
and deletions apply at the next reindex without running the NER again.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from search.text import APOSTROPHES as _APOSTROPHES, display_case, fold, is_all_caps, nfc

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Longest mention kept, in words and characters: longer spans are NER run-ons, not names.
MAX_TOKENS = 6
MAX_CHARS = 60

# Lower-case words allowed inside a name (never first or last): "Charles de Gaulle", "Ben Ali".
PARTICLES = frozenset(
    "de du des la le d' da di do dos del della van von der den ter ten el al ben bin ibn ould ag "
    "bint mint y e af zu wa".split()
)
# Capitalised particles that start a surname: "Le Drian", "Ag Ghaly", "Ould Abdallah" alone are
# surnames, not full names.
SURNAME_PARTICLES = frozenset(
    "le la de du des di da van von der el al ben bin ibn ould ag abu ab mac ter".split()
)
# Words preceding a title in running text ("le colonel", "son excellence", "l'ex-ministre").
_LEADING_WORDS = frozenset(
    "le la les l' du de des d' au aux son sa ses leur leurs notre nos votre vos cet cette ce "
    "à a par avec et ou selon pour chez un une the of feu ex".split()
)
# Pronouns and function words that the NER sometimes tags as persons ("Moi j'", "Lui").
_PRONOUNS = frozenset(
    "moi toi lui elle nous vous il ils elles eux je j' tu on celui celle ceux celles ça cela ceci "
    "qui que quoi dont où chacun chacune personne rien tout tous toutes aucun mon ma mes ton ta tes "
    "i me you he she we they it".split()
)
_ALIAS_WORDS = frozenset({"alias", "dit", "dite", "aka", "surnomme", "surnommee"})
_EDGE_PUNCT = "\"'«»“”‘’„()[]{}<>,;:!?-–—…*•·|/\\ \t\u00a0"
_BAD_CHARS = re.compile(r"[0-9@#=_/\\|<>{}\[\]+%$€£&~^]|https?:|www\.", re.I)
_ELISION = re.compile(r"^(?:[ldjmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.U)
_SPACES = re.compile(r"\s+")
# "de l’X" after a name: where the person comes from, not part of the name ("de la Cruz" and
# "du Plessis" are surnames, so only the elided article marks an origin).
_ORIGIN = re.compile(r"^de l['’][A-ZÀ-ÖØ-Þ]")


def name_key(name: str) -> str:
    """Return the identity key of a name: case, accents, hyphens, dots and apostrophes ignored."""
    key = fold(nfc(name)).lower()
    key = key.replace("-", " ").replace(".", " ").replace("'", " ")
    return _SPACES.sub(" ", key).strip()


def _word_key(word: str) -> str:
    return fold(word).lower().rstrip(".")


def _has_upper_start(part: str) -> bool:
    return bool(part) and part[0].isupper()


def _load_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines.append(nfc(line))
    return lines


@dataclass(frozen=True)
class NameRules:
    """The data-driven rules: titles to strip, known non-persons, and aliases to canonical names."""

    titles: frozenset[tuple[str, ...]] = frozenset()
    max_title_len: int = 0
    stop_names: frozenset[str] = frozenset()
    stop_words: frozenset[str] = frozenset()
    stop_words_exact: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    acronyms: tuple[str, ...] = ()

    @classmethod
    def from_files(cls, titles: Path, non_persons: Path, aliases: Path) -> "NameRules":
        """Build rules from the three data files (a missing or broken file counts as empty)."""
        title_seqs = set()
        for line in _load_lines(titles):
            words = tuple(_word_key(w) for w in _SPACES.split(line.replace("’", "'")) if w)
            if words:
                title_seqs.add(words)
        names, words, exact = set(), set(), set()
        for line in _load_lines(non_persons):
            if line.startswith("*"):
                word = line[1:].strip()
                if not word:
                    continue
                # Short all-caps markers (SA, FC, LLC) match only in capitals: "Sa" is not "SA".
                if word.isupper() and len(word) <= 4:
                    exact.add(word)
                else:
                    words.add(_word_key(word))
            else:
                names.add(name_key(line))
        alias_map: dict[str, str] = {}
        acronyms = []
        try:
            data = tomllib.loads(aliases.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        table = data.get("aliases", data) if isinstance(data, dict) else {}
        for alias, canonical in table.items():
            if isinstance(alias, str) and isinstance(canonical, str) and canonical.strip():
                alias_map[name_key(alias)] = nfc(canonical.strip())
                letters = alias.replace(".", "").strip()
                if letters.isascii() and letters.isalpha() and letters.isupper() and 2 <= len(letters) <= 6:
                    acronyms.append(alias.strip())
        return cls(
            titles=frozenset(title_seqs),
            max_title_len=max((len(t) for t in title_seqs), default=0),
            stop_names=frozenset(names),
            stop_words=frozenset(words),
            stop_words_exact=frozenset(exact),
            aliases=alias_map,
            acronyms=tuple(sorted(set(acronyms), key=lambda a: (-len(a), a))),
        )

    def find_acronyms(self, text: str) -> list[str]:
        """Return the person acronyms of the alias file written in ``text`` (the NER misses "IBK")."""
        if not self.acronyms or not text:
            return []
        return [m.group(0) for m in _acronym_pattern(self.acronyms).finditer(text)]

    def alias(self, name: str) -> str | None:
        """Return the canonical name an alias maps to, or None."""
        return self.aliases.get(name_key(name))


@lru_cache(maxsize=8)
def _acronym_pattern(acronyms: tuple[str, ...]) -> re.Pattern:
    # Case-sensitive whole words: "ATT" the nickname, not "att" inside a word.
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in acronyms) + r")(?![\w])")


def file_stamp(path: Path) -> float:
    """Return a data file's modification time (0 when absent), so that caches see a user's edits."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@lru_cache(maxsize=8)
def _cached_rules(data_dir: str, _stamp: tuple) -> NameRules:
    base = Path(data_dir)
    return NameRules.from_files(
        base / "person_titles.txt", base / "non_persons.txt", base / "person_aliases.toml"
    )


def load_rules(data_dir: os.PathLike | str | None = None) -> NameRules:
    """Return the rules from ``data_dir`` (default: the package's data folder), reloaded on edit."""
    base = Path(data_dir) if data_dir else DATA_DIR
    files = ("person_titles.txt", "non_persons.txt", "person_aliases.toml")
    return _cached_rules(str(base), tuple(file_stamp(base / f) for f in files))


def _strip_leading(tokens: list[str], rules: NameRules) -> list[str]:
    """Drop determiners, elisions and titles from the front, as often as they occur."""
    changed = True
    while tokens and changed:
        changed = False
        first = tokens[0]
        elided = _ELISION.match(first)
        if elided:  # "d’Ibrahim" → "Ibrahim", "l’imam" → "imam"; "N'Diaye" is capitalised
            rest = first[elided.end():]
            tokens = ([rest] if rest else []) + tokens[1:]
            changed = True
            continue
        low = _word_key(first)
        if low in _LEADING_WORDS and (first[:1].islower() or _title_len(tokens[1:], rules)):
            tokens = tokens[1:]  # "le colonel", and "Le Président" at the start of a sentence
            changed = True
            continue
        if low.startswith("ex-") and len(low) > 3:  # "ex-président"
            tokens = [first[3:]] + tokens[1:]
            changed = True
            continue
        size = _title_len(tokens, rules)
        if size:
            tokens = tokens[size:]
            changed = True
    return tokens


def _singular(word: str) -> str:
    """Return the singular of a title word ("colonels" → "colonel", "généraux" → "général")."""
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def _title_len(tokens: list[str], rules: NameRules) -> int:
    """Return the number of leading tokens that form a title (longest match), else 0."""
    # Plural ranks ("les Colonels Goïta et Diaw") are titles too, never part of a name.
    for size in range(min(rules.max_title_len, len(tokens)), 0, -1):
        words = tuple(_word_key(t.replace("’", "'")) for t in tokens[:size])
        if words in rules.titles or tuple(_singular(w) for w in words) in rules.titles:
            return size
    return 0


def _token_ok(token: str, position: int, count: int) -> bool:
    inner = 0 < position < count - 1
    low = _word_key(token)
    if token[:1].islower():
        if low in PARTICLES or low.rstrip("'’") + "'" in PARTICLES:
            return inner
        parts = re.split(r"[-’']", token)
        # "al-Sissi", "el-Béchir": a lower-case particle glued to a capitalised name
        return len(parts) > 1 and parts[0].lower() in PARTICLES and all(
            _has_upper_start(p) for p in parts[1:] if p
        )
    if not token[:1].isalpha():
        return False
    parts = [p for p in token.split("-") if p]
    if sum(1 for p in parts if p.lower() not in PARTICLES) >= 3:
        return False  # "Kwala-Mourdiah-Nara": a chain of places, no person's name
    return all(_has_upper_start(p) or p.lower() in PARTICLES for p in parts)


def clean_mention(text: str, rules: NameRules | None = None) -> str | None:
    """Return the person name in an NER span, display-cased and without titles, or None.

    Idempotent: a cleaned name cleans to itself, so stored mentions can be cleaned again when
    the data files change.
    """
    if not text:
        return None
    rules = rules or load_rules()
    text = _SPACES.sub(" ", nfc(text)).strip(_EDGE_PUNCT + ".")
    if not text or len(text) > 3 * MAX_CHARS or _BAD_CHARS.search(text):
        return None
    tokens = [t.strip("\"«»“”()[],;:!?*•") for t in text.split(" ")]
    tokens = [t.lstrip(".") for t in tokens if t.strip(".")]
    tokens = _strip_leading(tokens, rules)
    for i, tok in enumerate(tokens):
        # "Azzedine Lagab de l’Algérie": a country or team after a full name ("Mission de
        # Formation de l’Union" is no full name: its head has a lower-case word).
        if i >= 2 and _ORIGIN.match(" ".join(tokens[i:])) and all(t[:1].isupper() for t in tokens[:i]):
            tokens = tokens[:i]
            break
        if i and _word_key(tok) in _ALIAS_WORDS:  # "Ali Sékou alias Diouraydi": the name is first
            tokens = tokens[:i]
            break
    if not tokens:
        return None
    while (len(tokens) > 2 and is_all_caps(tokens[0]) and tokens[0].isascii() and tokens[0].isalpha()
           and 2 <= len(tokens[0]) <= 4 and not rules.alias(tokens[0])):
        tokens = tokens[1:]  # "RN David Rachline", "LR Laurent Wauquiez": a party before the name
    half = len(tokens) // 2
    if len(tokens) % 2 == 0 and half >= 2 and [_word_key(t) for t in tokens[:half]] == [_word_key(t) for t in tokens[half:]]:
        tokens = tokens[:half]  # "Marine Le Pen Marine Le Pen": a name repeated by a caption
    if tokens[-1][-1:] in _APOSTROPHES:  # "Moi j’": an elision, never the end of a name
        return None
    count = len(tokens)
    if count > MAX_TOKENS:
        return None
    if any(_word_key(t).rstrip("'’") in _PRONOUNS for t in tokens):
        return None
    if not all(_token_ok(t, i, count) for i, t in enumerate(tokens)):
        return None
    letters = [t for t in tokens if sum(c.isalpha() for c in t) > 1]
    if not letters:  # initials only ("A.", "J. K.")
        return None
    if count == 1 and is_all_caps(tokens[0]) and not rules.alias(tokens[0]):
        # An acronym (MINUSMA, CEDEAO) unless an alias says it is a person (IBK); accents or an
        # apostrophe mark a surname in capitals (KEÏTA, N'DIAYE), kept for in-article resolution.
        if tokens[0].isascii() and not any(c in _APOSTROPHES + "-" for c in tokens[0]):
            return None
    if any(t in rules.stop_words_exact for t in tokens):
        return None
    if any(_word_key(t) in rules.stop_words for t in tokens):
        return None
    if count == 1 and is_all_caps(tokens[0]) and tokens[0].isascii() and rules.alias(tokens[0]):
        name = tokens[0]  # an acronym alias stays as written (IBK)
    else:
        name = " ".join(display_case(t) for t in tokens)
    if len(name) > MAX_CHARS or name_key(name) in rules.stop_names:
        return None
    return name


def is_short(name: str) -> bool:
    """Return True for a surname or first name used alone ("Poutine", "Le Drian", "M'Bemba")."""
    tokens = name.split(" ")
    if len(tokens) == 1:
        return True
    return len(tokens) == 2 and _word_key(tokens[0]) in SURNAME_PARTICLES


def surname_keys(name: str) -> list[str]:
    """Return the keys a surname used alone may take for this full name (last word, particle + last)."""
    tokens = name_key(name).split(" ")
    keys = [tokens[-1]]
    if len(tokens) >= 3 and tokens[-2] in SURNAME_PARTICLES:
        keys.append(" ".join(tokens[-2:]))
    return keys


def accent_score(name: str) -> int:
    """Return how many accented letters ``name`` has (the display form prefers accented spellings)."""
    return sum(1 for ch in nfc(name) if ch.isalpha() and not ch.isascii())
