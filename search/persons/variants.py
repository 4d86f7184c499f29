"""Spelling variants of one person merged across the corpus (transliterations, one-letter slips).

The press writes foreign and Sahelian names as it hears them: « Droukdal » and « Droukdel »,
« Prigojine » and « Prigozhine », « Sergueï Choïgou » and « Sergei Shoigu ».  After the corpus is
resolved, two persons become one when their names agree under a transliteration key (sh/ch,
zh/j, ou/u, y/i, doubled letters, a final e…) or their surnames differ by one letter, and the
corpus supports it: the same first name, or, for a surname used alone, persons mentioned with
both.  Two names often written side by side in one article are two people and stay apart.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from search.persons import names

#: Shortest transliteration key of a surname that may be merged ("Ba" and "Bah" are two families).
MIN_KEY = 4
#: Shortest surname merged on a one-letter difference.
MIN_EDIT = 6
#: Persons mentioned with both spellings needed to merge two surnames used alone.
MIN_SHARED_CONTEXT = 2

_RULES = [(re.compile(p), r) for p, r in (
    (r"sch|sh", "ch"), (r"zh|dj", "j"), (r"kh", "k"), (r"dh", "d"), (r"th", "t"), (r"ph", "f"),
    (r"ck|q", "k"), (r"gu(?=[ei])", "g"), (r"ou|w", "u"), (r"y", "i"), (r"(.)\1+", r"\1"),
    (r"(?<=.)[eh]$", ""),
)]


def translit_key(word: str) -> str:
    """Return a word's transliteration key: spellings of one sound in French and English agree."""
    key = names.name_key(word).replace(" ", "")
    for pattern, repl in _RULES:
        key = pattern.sub(repl, key)
    return key


def _parts(display: str) -> tuple[str, str]:
    """Return (first names key, surname key) of a display name; the first names are empty when alone."""
    tokens = names.name_key(display).split(" ")
    surname = names.surname_keys(display)[-1]
    first = tokens[:len(tokens) - len(surname.split(" "))]
    return " ".join(translit_key(t) for t in first), translit_key(surname)


def _deletions(key: str) -> set[str]:
    return {key} | {key[:i] + key[i + 1:] for i in range(len(key))}


class _Union:
    def __init__(self, counts: dict[str, int]):
        self.parent = {p: p for p in counts}
        self.counts = counts

    def find(self, p: str) -> str:
        while self.parent[p] != p:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        return p

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        # the most mentioned spelling names the person; an accented one wins a tie
        keep = max((ra, rb), key=lambda p: (self.counts[p], names.accent_score(p), p))
        self.parent[rb if keep == ra else ra] = keep


def _contexts(by_article: dict[str, list[str]]) -> dict[str, Counter]:
    """Return who is mentioned with each person."""
    context: dict[str, Counter] = defaultdict(Counter)
    for people in by_article.values():
        if len(people) > 60:  # a list of names (a government) says nothing about one person
            continue
        for p in people:
            context[p].update(q for q in people if q != p)
    return context


def _apart(a: str, b: str, by_person: dict[str, set[str]], counts: dict[str, int]) -> bool:
    """Return True when two spellings are often written side by side: two people, not one."""
    both = len(by_person[a] & by_person[b])
    return both >= max(2, min(counts[a], counts[b]) // 2)


def _candidates(persons: list[str]):
    """Yield pairs of persons whose names agree by transliteration or differ by one surname letter."""
    by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_deletion: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in persons:
        first, surname = _parts(p)
        if len(surname) < MIN_KEY:
            continue
        by_key[(first, surname)].append(p)
        if len(surname) >= MIN_EDIT:
            for d in _deletions(surname):
                by_deletion[(first, d)].add(p)
    for group in by_key.values():
        for other in group[1:]:
            yield group[0], other, "translit"
    seen = set()
    for group in by_deletion.values():
        if len(group) < 2:
            continue
        ordered = sorted(group)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if (a, b) not in seen:
                    seen.add((a, b))
                    yield a, b, "edit"


def merge_map(by_article: dict[str, list[str]], counts: dict[str, int]) -> dict[str, str]:
    """Return ``{spelling: person}`` for the persons that are variants of a more mentioned one."""
    persons = sorted(counts)
    by_person: dict[str, set[str]] = defaultdict(set)
    for aid, people in by_article.items():
        for p in people:
            by_person[p].add(aid)
    context = _contexts(by_article)
    union = _Union(counts)
    for a, b, _how in _candidates(persons):
        if _apart(a, b, by_person, counts):
            continue
        if not _parts(a)[0]:  # a surname alone: only the company it keeps tells
            shared = set(context[a]) & set(context[b])
            if len(shared) < MIN_SHARED_CONTEXT:
                continue
        union.join(a, b)
    return {p: union.find(p) for p in persons if union.find(p) != p}


def apply_merges(by_article: dict[str, list[str]], merges: dict[str, str]) -> dict[str, list[str]]:
    """Return each article's persons with merged spellings replaced, first mention order kept."""
    if not merges:
        return by_article
    return {aid: list(dict.fromkeys(merges.get(p, p) for p in people)) for aid, people in by_article.items()}
