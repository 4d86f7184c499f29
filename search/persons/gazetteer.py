"""The dictionary pass: every resolved person looked for in every article by its known spellings.

The NER proposes, the dictionary recalls.  The NER misses names in titles, in capitals
(« le Général d'Armée Assimi GOITA ») and short mentions; once the corpus is resolved, each
person's known spellings (its name, the variants merged into it, the alias file's forms) are
matched against the runs of capitalised words of every article's NER text, which is cleaned as
for the NER (no sidebar, related headlines, byline or comments), accent-, case- and
hyphen-insensitively, longest name first.  A surname alone tags an article only when it names
one person of the corpus, the corpus itself uses it alone for that person, and where it stands
alone the NER found that person at least half the time: « Macron » does, « Paris » never will.

``name_runs`` is computed with the NER text and kept with the article's state, so an incremental
reindex matches unchanged articles without reading them again.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from search.persons import context, names

#: Longest name matched, in words.
MAX_WORDS = 6
#: Share of a bare surname's articles where the NER found the person, needed to trust the surname.
MIN_SURNAME_SUPPORT = 0.5
#: Articles where the NER found a person by a bare surname before the dictionary may use it.
MIN_SURNAME_ARTICLES = 3
#: Shortest bare surname the dictionary uses ("Ba", "Sy" are too common as words and initials).
MIN_SURNAME_CHARS = 4

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# Elisions are lower case ("d'Assimi") but for a sentence's first word ("L'Etat"): "N'Diaye"
# and "M'Bemba" are names.
_ELIDED = re.compile(r"^(?:[ldjmnst]|qu|jusqu|lorsqu|puisqu|L|D|Qu)['’]")


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def name_runs(text: str, author: str | None = None) -> list[str]:
    """Return the distinct runs of capitalised words of ``text`` as identity keys, in order.

    A run is broken by punctuation and by lower-case words other than name particles; the
    article's author is cut out, as the NER step leaves the byline out.
    """
    runs: list[str] = []
    author_key = names.name_key(author) if author else ""
    for line in text.split("\n"):
        run: list[str] = []
        last_end = 0
        place = False  # inside a place's name ("stade Modibo Keïta", "CHU Gabriel Touré")
        for m in _WORD.finditer(line):
            word = m.group(0)
            gap = line[last_end:m.start()]
            last_end = m.end()
            elided = _ELIDED.match(word)
            if elided:
                word = word[elided.end():]
            if gap.strip() or elided and not _capitalised(word):
                _close(run, runs, author_key)
                run, place = [], False
            if _capitalised(word) and not place and context.follows_place(line, m.start()):
                _close(run[:-1], runs, author_key)  # the run's last word may be the place word
                run, place = [], True
            if _capitalised(word):
                if not place:
                    run.append(word)
            elif word.lower() in names.PARTICLES and (run or place):
                if not place:
                    run.append(word)
            else:
                _close(run, runs, author_key)
                run, place = [], False
        _close(run, runs, author_key)
    return list(dict.fromkeys(runs))


def _close(run: list[str], runs: list[str], author_key: str) -> None:
    while run and run[-1].lower() in names.PARTICLES:
        run.pop()
    if not run:
        return
    key = names.name_key(" ".join(run))
    if author_key and author_key in key:
        for piece in key.replace(author_key, "\n").split("\n"):
            if piece.strip():
                runs.append(piece.strip())
        return
    runs.append(key)


@dataclass
class Dictionary:
    """Spellings of the resolved persons: full forms, and the bare surnames that may stand alone."""

    full: dict[str, str] = field(default_factory=dict)  # identity key of a spelling → person
    bare: dict[str, str] = field(default_factory=dict)  # bare surname key → person
    titles: frozenset[str] = frozenset()  # one-word titles that may stand before a surname

    def matches(self, runs: list[str]):
        """Yield ``(person, how)`` for every spelling found in ``runs``, longest first.

        ``how`` is ``full``, ``bare`` (a surname alone, or after a title: « Colonel Goïta »), or
        ``other`` for a surname after an unknown first name (« Mohamed Goïta » is someone else).
        """
        for run in runs:
            tokens = run.split(" ")
            i = 0
            while i < len(tokens):
                n = 1
                for size in range(min(MAX_WORDS, len(tokens) - i), 0, -1):
                    key = " ".join(tokens[i:i + size])
                    if size > 1 and key in self.full:
                        yield self.full[key], "full"
                        n = size
                        break
                    if key in self.bare:
                        before = tokens[i - 1] if i else ""
                        alone = not before or before in self.titles or before in names.PARTICLES
                        yield self.bare[key], "bare" if alone else "other"
                        n = size
                        break
                i += n


def build(persons: dict[str, dict[str, int]], by_article: dict[str, list[str]],
          runs: dict[str, list[str]], rules: names.NameRules | None = None) -> Dictionary:
    """Return the dictionary of ``persons`` (display → variants), trusting only supported surnames."""
    rules = rules or names.load_rules()
    owners: dict[str, set[str]] = defaultdict(set)
    for person, variants in persons.items():
        surnames = set(names.surname_keys(person))
        for spelling in (person, *variants):
            # a spelling without the surname ("Abdoul Aziz" for "Abdoul Aziz Moussa") is first
            # names only: many people share it
            if not names.is_short(spelling) and surnames & set(names.surname_keys(spelling)):
                owners[names.name_key(spelling)].add(person)
    by_key: dict[str, list[str]] = defaultdict(list)  # identity key → persons (one, after resolution)
    for person in persons:
        by_key[names.name_key(person)].append(person)
    for alias_key, canonical in rules.aliases.items():
        if len(alias_key.split(" ")) > 1:
            owners[alias_key].update(by_key.get(names.name_key(canonical), ()))
    # a person's own name is theirs even when a longer name absorbed it as a variant somewhere
    full = {k: next(iter(v)) for k, v in owners.items() if len(v) == 1}
    full.update({key: people[-1] for key, people in by_key.items()})
    titles = frozenset(t[0] for t in rules.titles if len(t) == 1)
    bare = _supported_surnames(persons, by_article, runs, full, titles)
    for alias_key, canonical in rules.aliases.items():  # the alias file vouches for its surnames
        target = by_key.get(names.name_key(canonical), [])
        if len(alias_key.split(" ")) == 1 and len(target) == 1:
            bare.setdefault(alias_key, target[0])
    return Dictionary(full=full, bare=bare, titles=titles)


def _surname_candidates(persons: dict[str, dict[str, int]]) -> dict[str, str]:
    """Return the bare surnames used alone for exactly one person of the corpus."""
    claims: dict[str, set[str]] = defaultdict(set)
    for person in persons:
        for key in names.surname_keys(person):
            claims[key].add(person)
    used_alone: dict[str, str] = {}
    for person, variants in persons.items():
        for spelling in (person, *variants):
            key = names.name_key(spelling)
            if names.is_short(spelling) and len(claims.get(key, ())) == 1 and len(key) >= MIN_SURNAME_CHARS:
                used_alone[key] = person
    return used_alone


def _supported_surnames(persons, by_article, runs, full, titles: frozenset[str]) -> dict[str, str]:
    """Keep the bare surnames where, standing alone, the NER found their person often enough."""
    candidates = _surname_candidates(persons)
    probe = Dictionary(full=full, bare=candidates, titles=titles)
    seen: Counter = Counter()
    found: Counter = Counter()
    for aid, article_runs in runs.items():
        tagged = set(by_article.get(aid) or ())
        bare = {p for p, how in probe.matches(article_runs) if how == "bare"}
        for person in bare:
            seen[person] += 1
            found[person] += person in tagged
    keep = {}
    for key, person in candidates.items():
        if found[person] >= MIN_SURNAME_ARTICLES and found[person] >= MIN_SURNAME_SUPPORT * seen[person]:
            keep[key] = person
    return keep


def tag(dictionary: Dictionary, by_article: dict[str, list[str]], runs: dict[str, list[str]]
        ) -> dict[str, list[str]]:
    """Return the persons the dictionary adds to each article (those the NER had not found).

    A bare surname is not used in an article that names another person of that surname in full
    (« Keïta » beside « Mohamed Keita » is Mohamed Keita).
    """
    surnames: dict[str, frozenset[str]] = {}

    def surnames_of(person: str) -> frozenset[str]:
        if person not in surnames:
            surnames[person] = frozenset(names.surname_keys(person))
        return surnames[person]

    added: dict[str, list[str]] = {}
    for aid, article_runs in runs.items():
        have = list(by_article.get(aid) or ())
        found = list(dictionary.matches(article_runs))
        if not found:
            continue
        named = set(have) | {p for p, how in found if how == "full"}
        others = {p for p, how in found if how == "other"}
        new = []
        for person, how in found:
            if how == "other" or person in have or person in new:
                continue
            if how == "bare" and (person in others
                                  or any(surnames_of(person) & surnames_of(o) for o in named if o != person)):
                continue
            new.append(person)
        if new:
            added[aid] = new
    return added
