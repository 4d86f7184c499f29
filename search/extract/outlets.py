"""The outlet table (``search/outlets.toml``): names, hosts, fingerprints and boilerplate lines.

Patterns are matched one line at a time against the accent-folded, lower-cased line, so the
data file can be written with or without accents. A user file named by ``PRESSE_OUTLETS_FILE``
is merged after the shipped one (its outlets are added, or replace those of the same name).
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from search.text import fold, fold_key

DEFAULT_FILE = Path(__file__).with_name("outlets.toml")
ENV_FILE = "PRESSE_OUTLETS_FILE"


def line_key(line: str) -> str:
    """Return the form of a line that patterns are matched against (folded, lower case)."""
    return fold(line).lower().strip()


class _Rules:
    """A set of line patterns matched as two alternations: anchored ones and the rest.

    One alternation is much faster than trying each pattern in turn, and anchored patterns are
    tried at the start of the line only instead of at every position.
    """

    def __init__(self, patterns: list[str]):
        anchored = [p[1:] for p in patterns if p.startswith("^")]
        floating = [p for p in patterns if not p.startswith("^")]
        self.anchored = re.compile("|".join(f"(?:{p})" for p in anchored), re.IGNORECASE) if anchored else None
        self.floating = re.compile("|".join(f"(?:{p})" for p in floating), re.IGNORECASE) if floating else None

    def search(self, key: str) -> bool:
        return bool((self.anchored and self.anchored.match(key)) or (self.floating and self.floating.search(key)))


def _valid(patterns, where: str) -> list[str]:
    valid = []
    for pat in patterns or ():
        if not isinstance(pat, str):
            continue
        try:
            # Fold accents only: lower-casing a pattern would turn \S into \s.
            re.compile(fold(pat))
            valid.append(fold(pat))
        except re.error as exc:
            # A typo in a user's pattern must not stop extraction: report and skip it.
            print(f"presse: ignoring bad pattern in {where}: {pat!r} ({exc})", file=sys.stderr)
    return valid


def _compile(patterns, where: str) -> list[_Rules]:
    valid = _valid(patterns, where)
    return [_Rules(valid)] if valid else []


def _count(patterns, where: str) -> list[re.Pattern]:
    """Compile patterns one by one, multi-line (fingerprints are counted over a whole page)."""
    # "^x" becomes "\nx" over a page joined with a leading newline: same meaning, but the
    # regex engine can then skip ahead to candidate positions instead of trying each one.
    return [re.compile("\n" + p[1:] if p.startswith("^") else p, re.IGNORECASE | re.MULTILINE)
            for p in _valid(patterns, where)]


#: Lines longer than this are article text, never boilerplate or markers: not worth matching.
MAX_MARKER_LINE = 2000
#: Longest line on which an unanchored fingerprint (a host name) is looked for.
MAX_FLOATING_FINGERPRINT_LINE = 80


def _any(patterns: list, key: str) -> bool:
    if len(key) > MAX_MARKER_LINE:
        return False
    return any(p.search(key) for p in patterns)


@dataclass
class Outlet:
    """One publisher or site of the outlet table."""

    name: str
    kind: str = "paper"
    hosts: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    fingerprints: list[re.Pattern] = field(default_factory=list)
    min_fingerprints: int = 1
    boilerplate: list[_Rules] = field(default_factory=list)
    title_suffixes: list[str] = field(default_factory=list)
    credits: list[_Rules] = field(default_factory=list)

    @property
    def site(self) -> str | None:
        """The host reported as ``site`` when a page is recognised as this outlet's."""
        return self.hosts[0] if self.hosts else None


@dataclass
class OutletTable:
    """The compiled outlet table with its generic rules."""

    outlets: list[Outlet]
    boilerplate: list[_Rules]
    end_markers: list[_Rules]
    comment_headers: list[_Rules]
    comment_chrome: list[_Rules]
    not_persons: list[_Rules]
    # The [ner_text] section: lines the person NER must not read (see search/persons/nertext.py).
    ner_boilerplate: list[_Rules] = field(default_factory=list)
    ner_comment_starts: list[_Rules] = field(default_factory=list)
    _by_key: dict[str, Outlet] = field(default_factory=dict)

    def __post_init__(self):
        for outlet in self.outlets:
            for spelling in [outlet.name, *outlet.aliases, *outlet.hosts]:
                self._by_key.setdefault(_name_key(spelling), outlet)

    def lookup(self, name: str | None) -> Outlet | None:
        """Return the outlet a spelling refers to ("bamada.net", "L'Essor", "apa"), else None."""
        if not name:
            return None
        key = _name_key(name)
        found = self._by_key.get(key)
        if found is None and key.startswith("www."):
            found = self._by_key.get(key[4:])
        return found

    def canonical(self, name: str | None) -> str | None:
        """Return the table's display name for a spelling, or the spelling itself when unknown."""
        if not name:
            return None
        outlet = self.lookup(name)
        return outlet.name if outlet else name

    def by_host(self, host: str) -> Outlet | None:
        """Return the outlet whose host is ``host`` or a parent domain of it."""
        host = host.lower().strip(".")
        for outlet in self.outlets:
            for h in outlet.hosts:
                if host == h or host.endswith("." + h) or h.endswith("." + host):
                    return outlet
        return None

    def is_boilerplate(self, key: str, outlets=()) -> bool:
        """Return True when a line key is generic boilerplate or that of one of ``outlets``."""
        return _any(self.boilerplate, key) or any(_any(o.boilerplate, key) for o in outlets)

    def is_end_marker(self, key: str) -> bool:
        """Return True when a line key marks the end of the article text."""
        return _any(self.end_markers, key)

    def is_comment_header(self, key: str) -> bool:
        """Return True when a line key opens a reader-comment block."""
        return _any(self.comment_headers, key)

    def is_comment_chrome(self, key: str) -> bool:
        """Return True when a line key is a comment widget line (Reply, Notify of...)."""
        return _any(self.comment_chrome, key)

    def is_ner_boilerplate(self, key: str) -> bool:
        """Return True when a line key is a footer, credit, sharing or contact line kept from the NER."""
        return _any(self.ner_boilerplate, key)

    def is_ner_comment_start(self, key: str) -> bool:
        """Return True when a line key starts reader comments: nothing after it reaches the NER."""
        return _any(self.ner_comment_starts, key)

    def is_not_person(self, key: str) -> bool:
        """Return True when a byline key is a role or a newsroom rather than a person."""
        return _any(self.not_persons, key) or self.lookup(key) is not None

    def fingerprint(self, keys: list[str]) -> list[tuple[int, Outlet]]:
        """Return ``(score, outlet)`` of outlets whose fingerprints the page shows, best first."""
        # One multi-line search per pattern: ^ and $ still anchor at each line.
        text_key = "\n" + "\n".join(k for k in keys if len(k) <= MAX_MARKER_LINE)
        # A floating pattern (a host name) only counts on a short line: a logo, a footer, a "Source :" line;
        # inside a paragraph it is a citation of that site, not a sign of it.
        short_key = "\n" + "\n".join(k for k in keys if len(k) <= MAX_FLOATING_FINGERPRINT_LINE)
        found = []
        for outlet in self.outlets:
            if not outlet.fingerprints:
                continue
            score = sum(1 for p in outlet.fingerprints
                        if p.search(text_key if p.pattern.startswith("\n") else short_key))
            if score >= max(1, outlet.min_fingerprints):
                found.append((score, outlet))
        found.sort(key=lambda pair: -pair[0])
        return found

    def credit(self, text: str) -> Outlet | None:
        """Return the outlet a dateline credit names ("Orange avec AFP", "AFP", "Source BFMTV")."""
        key = line_key(text)
        for outlet in self.outlets:
            if _any(outlet.credits, key):
                return outlet
        key = re.sub(r"^(source|sources|avec|par)\s*:?\s*", "", key).strip(" .")
        return self.lookup(key)


def _name_key(name: str) -> str:
    key = fold_key(name).replace("’", "'")
    key = re.sub(r"^(https?://)?", "", key).rstrip("/")
    return key.strip(" .:-|")


def _outlet_from(raw: dict, where: str) -> Outlet | None:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        return None

    def strings(key):
        value = raw.get(key) or []
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    try:
        min_fp = int(raw.get("min_fingerprints", 1))
    except (TypeError, ValueError):
        min_fp = 1
    return Outlet(
        name=name.strip(),
        kind=str(raw.get("kind", "paper")),
        hosts=[h.lower() for h in strings("hosts")],
        aliases=strings("aliases"),
        fingerprints=_count(strings("fingerprints"), f"{where} [{name}] fingerprints"),
        min_fingerprints=min_fp,
        boilerplate=_compile(strings("boilerplate"), f"{where} [{name}] boilerplate"),
        title_suffixes=strings("title_suffixes"),
        credits=_compile(strings("credits"), f"{where} [{name}] credits"),
    )


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"presse: ignoring outlet file {path}: {exc}", file=sys.stderr)
        return {}


def load_table(paths: list[Path]) -> OutletTable:
    """Build the outlet table from TOML files; later files add to and override earlier ones."""
    generic: dict[str, list[str]] = {}
    ner: dict[str, list[str]] = {}
    outlets: dict[str, Outlet] = {}
    for path in paths:
        data = _read(path)
        for section, rules in (("generic", generic), ("ner_text", ner)):
            gen = data.get(section) if isinstance(data.get(section), dict) else {}
            for key, values in gen.items():
                if isinstance(values, list):
                    rules.setdefault(key, []).extend(v for v in values if isinstance(v, str))
        for raw in data.get("outlet") or []:
            if isinstance(raw, dict):
                outlet = _outlet_from(raw, str(path))
                if outlet is not None:
                    outlets[fold_key(outlet.name)] = outlet
    return OutletTable(
        outlets=list(outlets.values()),
        boilerplate=_compile(generic.get("boilerplate"), "generic boilerplate"),
        end_markers=_compile(generic.get("end_markers"), "generic end_markers"),
        comment_headers=_compile(generic.get("comment_headers"), "generic comment_headers"),
        comment_chrome=_compile(generic.get("comment_chrome"), "generic comment_chrome"),
        not_persons=_compile(generic.get("not_persons"), "generic not_persons"),
        ner_boilerplate=_compile(ner.get("boilerplate"), "ner_text boilerplate"),
        ner_comment_starts=_compile(ner.get("comment_starts"), "ner_text comment_starts"),
    )


@lru_cache(maxsize=4)
def _cached(extra: str) -> OutletTable:
    paths = [DEFAULT_FILE]
    if extra:
        paths.append(Path(extra))
    return load_table(paths)


def table() -> OutletTable:
    """Return the outlet table (shipped file plus ``$PRESSE_OUTLETS_FILE``), loaded once."""
    return _cached(os.environ.get(ENV_FILE, ""))


#: Sub-domains that say nothing about the publication (``news.``, ``m.``, ``box2.``).
_GENERIC_SUBDOMAIN = re.compile(r"^(?:www\d*|news|fr|en|m|mobile|amp|archives?|information|actu|box\d+)$")
#: Second-level labels of two-level public suffixes (``co.uk``, ``gouv.sn``).
_SECOND_LEVEL = {"co", "com", "net", "org", "gouv", "gov", "edu", "ac", "info"}


def name_from_host(host: str | None) -> str | None:
    """Return a readable publication name for a host the table does not know (``mobile.beto.cd`` → ``Beto``)."""
    labels = [label for label in (host or "").lower().strip(".").split(".") if label]
    if len(labels) < 2:
        return None
    labels = labels[:-1]  # the top-level domain
    if len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    labels = [label for label in labels if not _GENERIC_SUBDOMAIN.match(label)]
    if not labels or not re.search(r"[a-z]", labels[-1]):
        return None
    name = labels[-1]
    # short names are acronyms (aps.sn → APS); longer ones read as a word
    return name.upper() if len(name) <= 3 else name[:1].upper() + name[1:]
