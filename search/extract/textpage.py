"""The page-extraction core: the visible text of one scraped page → an article dict.

A page is read as lines. The title is found first (crawler prefix, a page title repeated as
the headline, or a lead paragraph to derive it from); the article text runs from the title
(or from a publication dateline just under it) to the first comment block or footer marker.
Metadata lines met on the way (datelines, ``Par X``, ``Source : X``, agency signatures) are
recorded as signals and kept out of the body, and so is every boilerplate line of the outlet
table. Outlet, author and date are then chosen from the signals by priority.
"""

from __future__ import annotations

import datetime
import itertools
import re

from search.extract import bylines
from search.extract import comments as cmts
from search.extract import dates
from search.extract.html import meta as htmlmeta
from search.extract import outlets
from search.extract.outlets import line_key
from search.extract.records import (clean_body, content_hash, derive_title, host_of, normalize_comments,
                                    plausible_count, slug_tokens, url_date)
from search.extract.decode import clean_line, clean_text

# " date 2023-08 Title - host.tld": the line some crawlers put first.
_PREFIX = re.compile(r"^date\s+(\d{4}-\d{2}(?:-\d{2})?)\s+(.+?)(?:\s+[-–|]\s+((?:[\w-]+\.)+[a-z]{2,}))?$", re.I)
_PUBLISHED = re.compile(r"(?:^|(?<=[\s,|–—(-]))(publi[ée]e?|mis en ligne|post[ée]e?|posted|paru|date de publication"
                        r"|publication)\s*(?:le|on|:)?\s*:?\s*", re.IGNORECASE)
_UPDATED = re.compile(r"(?:^|(?<=[\s,|–—(-]))(mis à jour|mis a jour|modifi[ée]e?|actualis[ée]e?|updated|mise à jour"
                      r"|mise a jour|derni[èe]re mise à jour)\s*(?:le|on|:)?\s*:?\s*", re.IGNORECASE)
_PIPE_OUTLET = re.compile(r"\|\s*([^|]{2,60}?)\s*$")
#: A place dateline opening the first paragraph: "Bamako, le 3 mars 2024 - …", "GAO, 12/05/2023 :".
_PLACE_DATELINE = re.compile(
    r"^\s*([A-ZÀ-Ý][\w'’.-]*(?:[ -][A-Za-zÀ-ÿ][\w'’.-]*){0,3}),\s+((?:le\s+)?[^\n]{6,40}?\d{2,4})\s*[-–—:]\s"
)
_OUTLET_PREFIX = re.compile(r"^([\w.'’ -]{2,30}?)\s*[-–—:]\s*(?=\S)")
_READ_ALSO = re.compile(r"^(a |a )?(lire|voir) (aussi|egalement|plus)\s*:?$|^a lire aussi\s*:?$")
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*[-–]?\s*)?([^\d|–—,]{2,60}?)\s*(?:\d{4})?\s*(?:[-–|.,].*)?$",
                        re.IGNORECASE)
_CORRESPONDENT = re.compile(r"^(?:avec|de|par) (?:notre|nos|son|sa) (?:correspondante?s?|envoy[ée]e?s? sp[ée]ciale?s?)"
                            r"(?:\s+(?:à|a|au|aux|en|dans)\s+[^,]{2,40})?\s*,\s*(.{4,50})$", re.IGNORECASE)
#: Breadcrumbs and pagination: "Accueil Blog Page 1255", "Home > Politique".
_BREADCRUMB = re.compile(r"^(accueil|home)\b|\bpage \d+$")
_BULLETS = tuple("•·▪►*")
#: A line led by a date: "Tuesday 16 December, 2025", "dimanche, 01 août 2021 …".
_DATE_LED = re.compile(r"^(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday"
                       r"|friday|saturday|sunday),?\s+)?\d{1,2}(?:er)?\s+[a-z]{3,9}\.?,?\s+\d{4}\b")
#: A site's name followed by its slogan: "LeFaso.net, l'actualité …", "leral.net | S'informer …".
_NAMED_LEAD = re.compile(r"^([\w.’' -]{2,40}?)\s*[,|:–—-]\s*(.+)$")
_HOST_LIKE = re.compile(r"(?:[\w-]+\.)+[a-z]{2,}", re.IGNORECASE)
#: "Alwihda Info | Par Dominique Dideo - 4 Décembre 2025": a credit, a byline and a date on one line.
_CREDIT_BYLINE = re.compile(r"^([^|]{2,40}?)\s+\|\s+((?:par|by)\s.{3,90})$", re.IGNORECASE)
#: "… suite de l'article sur Jeune Afrique", "Lire la suite sur RFI": the text goes on at the original publisher.
_READ_MORE = re.compile(r"\s*(?:\.{3}|…)?\s*(?:la )?(?:suite de l['’]article|lire la suite) sur\s+(.{2,40})$",
                        re.IGNORECASE)
_ELLIPSIS_TAIL = re.compile(r"\s*\[(?:\.{3}|…)\]\s*$")
#: An embedded tweet: its picture link or its "— Name (@handle) May 27, 2022" signature.
_EMBED = re.compile(r"pic\.twitter\.com/\w+|—\s*[^—()]{1,60}\(@\w+\)\s+\w+ \d{1,2}, \d{4}")
_INITIALS = re.compile(r"^(?:[A-Z]\.\s?){2,5}$")
_TERMINAL_RE = re.compile(r"[.!?…»\"”:;)]$")
#: Reporting phrases naming the newsroom that gathered the story.
_MENTION = re.compile(r"\b(?:(?:a|ont) (?:d[ée]clar[ée]|indiqu[ée]|dit|confi[ée]|affirm[ée]|expliqu[ée]"
                      r"|pr[ée]cis[ée]|rapport[ée]|annonc[ée]) [àa] |journalistes? de |a appris |ont appris )(?:l['’])?"
                      r"((?:[A-Z][\w.-]+)(?: [A-Z][\w.-]+){0,2})")
#: "Rédigé par X le DATE": a credit (outlet or person) and the publication date.
_WRITTEN_BY = re.compile(r"^(?:r[ée]dig[ée]e?|[ée]crit(?:e)?|post[ée]e?)\s+par\s+(.{2,60}?)\s+le\s+", re.IGNORECASE)
#: "Agence Ecofin) - …": the end of an agency dateline at the start of a paragraph.
_AGENCY_CLOSE = re.compile(r"^([\w .'’-]{2,30})\)\s*[-–—:]\s*")
_FOR_OUTLET = re.compile(r"^([^,]{4,40}),\s+pour\s+(.{2,40}?)\.?$")
#: "ce lundi 24 janvier 2022", "hier mardi 3 mars 2024": a deictic weekday date in the lead.
_LEAD_DATE = re.compile(r"\b(ce|hier|avant-hier|aujourd['’]hui)\s*,?\s+"
                        r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+(\d{1,2}(?:er)?\s+[a-zéû]+\s+\d{4})\b", re.IGNORECASE)
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_DATED_HEADLINE = re.compile(r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}(?:\s+\d{1,2}[:h]\d{2})?)\s+[-–|]\s+(.{10,})$")
_ENVOY = re.compile(r"^(?:[Dd]e|[Pp]ar)\s+(?:l['’]\s*|notre\s+)?(?:envoy[ée]e?\s+sp[ée]ciale?|correspondante?)"
                    r"(?:\s+(?:de\s+l['’]\s*|du\s+|de\s+)([\w.-]{2,20}))?\s*:\s*"
                    r"([A-ZÀ-Ý][\w’'-]+(?:\s+[A-ZÀ-Ý][\w’'-]+){1,3})")
_WORDS = re.compile(r"\W+")
_AGENCY_SLUG = re.compile(r"^[A-Z]+(?:-[A-Z]+){2,}\s*/\s")
_TERMINAL = tuple(".!?…»\"”:;)")
_HEADER_SCAN = 80  # lines after the title searched for a publication dateline
_ESTIMATE_SCAN = 20000  # characters of the body searched for dates to estimate from
_HEADLINE_SCAN = 600  # lines searched for the page title repeated as the headline

# Signal priorities: the lowest number names the outlet.
P_EXPLICIT, P_SIGNED, P_DATELINE, P_PREFIX, P_SITE, P_MENTION = 1, 2, 3, 4, 5, 6


def _norm(text: str) -> str:
    return " ".join(line_key(text).replace('"', " ").replace("«", " ").replace("»", " ").split())


class _Signals:
    """Metadata found on the page, with where and how reliably it was stated."""

    def __init__(self):
        self.outlets: list[tuple[int, int, str]] = []  # (priority, line, name)
        self.authors: list[tuple[int, int, str]] = []
        self.dates: list[tuple[int, int, str, str]] = []  # (rank, line, iso, precision)
        self.day_months: list[tuple[int, int, int]] = []  # (line, day, month) without a year
        self.credit_site: str | None = None

    def outlet(self, priority: int, line: int, name: str | None) -> None:
        if name:
            self.outlets.append((priority, line, name))

    def author(self, rank: int, line: int, name: str | None) -> None:
        if name:
            self.authors.append((rank, line, bylines.title_case(name.strip(" ,.;:"))))


class _Page:
    def __init__(self, text: str, table: outlets.OutletTable):
        self.table = table
        self.raw = text.split("\n")
        self.lines = [clean_line(line) for line in self.raw]
        self.keys = [line_key(line) for line in self.lines]
        self.n = len(self.lines)
        self.sig = _Signals()
        self.used: set[int] = set()  # lines consumed as metadata
        self.site: str | None = None
        self.page_outlets: list[outlets.Outlet] = []
        self._boiler: list[bool | None] = [None] * self.n
        self.url_date: tuple[str, str] | None = None  # (iso, precision) stated by the page's URL
        self.slug: list[str] = []  # the words of the URL's headline slug

    # ------------------------------------------------------------------ helpers
    def boiler(self, i: int) -> bool:
        cached = self._boiler[i]
        if cached is None:
            cached = self._boiler[i] = bool(self.keys[i]) and self.table.is_boilerplate(self.keys[i], self.page_outlets)
        return cached

    def content(self, start: int = 0, end: int | None = None):
        for i in range(start, self.n if end is None else end):
            if self.lines[i] and not self.boiler(i):
                yield i

    # ------------------------------------------------------------------ site
    def find_site(self) -> None:
        nonempty = [k for k in self.keys if k]
        if len(nonempty) > 2000:
            # Menus, banners and footers sit at both ends of a page; a huge middle is text.
            nonempty = nonempty[:500] + nonempty[-1500:]
        found = self.table.fingerprint(nonempty)
        self.page_outlets = [o for _, o in found]
        if found:
            best = found[0][1]
            self.site = best.site
            self.sig.outlet(P_SITE, self.n, best.name)
            return
        for i in range(self.n - 1, -1, -1):
            # "© Journal du Mali 2024 - Tous droits réservés": a site's footer names its owner.
            m = _COPYRIGHT.match(self.lines[i]) if len(self.lines[i]) < 200 else None
            owner = self.table.lookup(m.group(1)) if m else None
            if owner is not None and owner.kind != "agency":
                self.page_outlets = [owner]
                self.site = owner.site
                self.sig.outlet(P_SITE, self.n, owner.name)
                return

    # ------------------------------------------------------------------ markup metadata
    def use_hints(self, hints: dict) -> None:
        """Record the metadata an HTML page states in its markup; it ranks above what the text suggests."""
        table, sig = self.table, self.sig
        host = hints.get("host")
        if host:
            self.site = host
            outlet = table.by_host(host)
            if outlet is not None:
                sig.outlet(P_SITE, -2, outlet.name)
                self.page_outlets = [outlet, *(o for o in self.page_outlets if o is not outlet)]
            else:
                # An unknown host still names its publication; a fingerprint or a copyright owner outranks it.
                sig.outlet(P_SITE, self.n + 1, outlets.name_from_host(host))
        self.url_date = url_date(hints.get("url"))
        self.slug = slug_tokens(hints.get("url"))
        for name in hints.get("site_names") or ():
            outlet = table.lookup(name)
            if outlet is not None:
                sig.outlet(P_SITE, -1, outlet.name)
                if outlet not in self.page_outlets:
                    self.page_outlets.append(outlet)
                self.site = self.site or outlet.site
                break
            if htmlmeta.site_name_is_publication(name, host, hints.get("publisher")):
                sig.outlet(P_SITE, -1, name)
                break
        if not self.page_outlets:
            for line in hints.get("copyright") or ():
                m = _COPYRIGHT.match(clean_line(line)) if len(line) < 200 else None
                owner = self.table.lookup(m.group(1)) if m else None
                if owner is not None and owner.kind != "agency":
                    self.page_outlets = [owner]
                    self.site = self.site or owner.site
                    sig.outlet(P_SITE, self.n, owner.name)
                    break
        if hints.get("date"):
            sig.dates.append((0, -1, hints["date"], hints.get("date_precision") or dates.precision_of(hints["date"])))
        for value in hints.get("authors") or ():
            names = []
            for part in re.split(r"\s*(?:,|;|&|\bet\b|\band\b)\s*", bylines.byline_of(value) or value):
                part = part.strip(" .")
                outlet = table.lookup(part)
                if outlet is not None and outlet.kind == "agency":
                    sig.outlet(P_SIGNED, -1, outlet.name)
                elif outlet is None and bylines.looks_like_person(part, table):
                    names.append(bylines.title_case(part))
            if names:
                sig.author(0, -1, ", ".join(dict.fromkeys(names)))
                break

    def hinted_title(self, hints: dict) -> str | None:
        """Return the page's stated title (og:title, <title>...) without its site suffix."""
        names = [n for n in hints.get("site_names") or () if n]
        titles = list(hints.get("titles") or ())
        if not hints.get("headline") and hints.get("page_title"):
            titles.append(hints["page_title"])  # <title> carries site decoration: only without a visible <h1>
        for title in titles:
            for name in names:
                for sep in (" - ", " | ", " – ", " — ", " :: ", " : ", " » "):
                    if title.endswith(sep + name) and len(title) > len(sep + name) + 5:
                        title = title[: -len(sep + name)]
                    elif title.startswith(name + sep) and len(title) > len(name + sep) + 12:
                        title = title[len(name + sep):]
            title = self.strip_suffix(title.strip())
            if len(title) >= 3 and not any(line_key(title) == line_key(n) for n in names) \
                    and self.table.lookup(title) is None:
                return title
        return None

    # ------------------------------------------------------------------ title
    def strip_suffix(self, title: str, line: int | None = None) -> str:
        """Return ``title`` without the site decoration a page title carries (`` - RFI``, `` | maliweb.net``).

        When ``line`` is given, that line is the page's <title>, and the outlet its suffix names is recorded.
        """
        for outlet in self.table.outlets:
            for suffix in outlet.title_suffixes:
                if title.lower().endswith(suffix.lower()) and len(title) > len(suffix) + 5:
                    if line is not None:
                        self.title_outlet(outlet)
                    return title[: -len(suffix)].rstrip(" -–|:")
        m = re.match(r"^(.{12,}?)\s+[-–|—]\s+([\w.’' -]{2,40})$", title)
        if m and (self.table.lookup(m.group(2)) or re.fullmatch(r"(?:[\w-]+\.)+[a-z]{2,}", m.group(2).strip())):
            outlet = self.table.lookup(m.group(2))
            if line is not None and outlet is not None:
                self.title_outlet(outlet)
            return m.group(1)
        return title

    def title_outlet(self, outlet: outlets.Outlet) -> None:
        """Record the outlet a page title's suffix names: the site's own decoration, ranked with fingerprints."""
        # After a fingerprint (line n) but before a name derived from an unknown host (line n + 1).
        self.sig.outlet(P_SITE, self.n + 0.5, outlet.name)
        if outlet not in self.page_outlets:
            self.page_outlets.append(outlet)
        if outlet.kind != "agency":
            self.site = self.site or outlet.site

    def title_chrome(self, i: int) -> bool:
        """Return True when line ``i`` is site chrome that only looks like a headline (menu, date, logo line)."""
        line, key = self.lines[i], self.keys[i]
        raw = self.raw[i]
        if len(re.findall(r"\S {2,}(?=\S)", raw.strip())) >= 3 or line.count(" | ") >= 3:
            return True  # a menu run flattened on one line
        if _BREADCRUMB.search(key) or line[:1] in _BULLETS:
            return True
        if any(c.isdigit() for c in line) and (_DATE_LED.match(key) or self.date_only(i)):
            return True
        m = _NAMED_LEAD.match(line)
        if m and (self.table.lookup(m.group(1)) or _HOST_LIKE.fullmatch(m.group(1).strip())) \
                and len(m.group(2).split()) <= 8:
            return True  # "LeFaso.net, l'actualité…", "leral.net | S'informer en temps réel": a logo line
        return self.table.lookup(line.strip(" .|-–")) is not None

    def prefix_is_chrome(self, text: str) -> bool:
        """Return True when a crawler prefix's text is a site label (a menu word, the outlet's name), not a title."""
        words = text.split()
        return len(words) <= 1 or self.table.lookup(text.strip(" .|-–")) is not None \
            or line_key(text) in ("publicite", "advertisement")

    def slug_score(self, line: str) -> float:
        """Return the share of the URL slug's words that line ``line`` contains (0 without a slug)."""
        if not self.slug:
            return 0.0
        words = set(re.findall(r"\w+", line_key(line)))
        return sum(1 for w in self.slug if w in words) / len(self.slug)

    def find_title(self) -> tuple[str, int, bool]:
        """Return ``(title, line of the headline, derived)``; the body starts after that line."""
        first = next(iter(self.content()), None)
        if first is None:
            return "", -1, False
        m = _PREFIX.match(self.lines[first])
        if m:
            iso, precision = dates.normalize_date(m.group(1))
            if iso:
                self.sig.dates.append((4, first, iso, precision))
            if m.group(3):
                self.site = m.group(3).lower().removeprefix("www.")
            self.used.add(first)
            if not self.prefix_is_chrome(m.group(2).strip()):
                title = self.strip_suffix(m.group(2).strip())
                head = first
                want = _norm(title)
                for i in list(self.content(first + 1))[:4]:
                    if _norm(self.lines[i]).startswith(want[: max(12, len(want) - 5)]):
                        head = i  # the headline repeated on the next line, maybe with its dateline
                        self.scan_dateline(i)
                        break
                return title, head, False
            # A section label or the site's name stands where the crawler expected the title: look below it.
        # The title is the first line of a few words; short menu items and site chrome above it are skipped.
        for i in [i for i in itertools.islice(self.content(), 5) if i not in self.used]:
            pour = _FOR_OUTLET.match(self.lines[i])
            if pour and self.table.lookup(pour.group(2)) and bylines.looks_like_person(pour.group(1), self.table):
                # "Awa Diallo, pour BBC Afrique" above the text: a byline, not a headline
                self.sig.author(1, i, pour.group(1))
                self.sig.outlet(P_EXPLICIT, i, self.table.lookup(pour.group(2)).name)
                self.used.add(i)
        lines = [i for i in itertools.islice(self.content(), 40) if i not in self.used]
        if not lines:
            return "", first, False
        for i in lines[:3]:
            logo = _NAMED_LEAD.match(self.lines[i])
            outlet = self.table.lookup((logo.group(1) if logo else self.lines[i]).strip(" .|-–"))
            if outlet is not None and outlet.kind != "agency" and self.title_chrome(i):
                # The site's name (and slogan) printed above everything else is its logo.
                self.sig.outlet(P_SITE, i, outlet.name)
                self.site = self.site or outlet.site
                break
        pick = next((i for i in lines[:15] if len(self.lines[i].split()) >= 3 and not self.title_chrome(i)), None)
        candidates = [] if pick is None else [pick]
        if self.slug:
            # The URL's slug names the headline: the header line that carries most of its words wins.
            scored = [(self.slug_score(self.lines[i]), i) for i in lines
                      if 3 <= len(self.lines[i].split()) <= 35 and len(self.lines[i]) <= 300
                      and not _sentence_like(self.lines[i])]
            best = max(scored, key=lambda si: (si[0], -si[1]), default=(0.0, -1))
            if best[0] >= 0.5:
                candidates = [best[1]]
        if not candidates:
            return self.strip_suffix(self.lines[lines[0]]), lines[0], False
        top, first = lines[0], candidates[0]
        line = self.lines[first]
        if len(line) > 250 or (line.endswith(".") and not line.endswith("..") and len(line.split()) >= 12):
            return derive_title(line), first - 1, True
        title, head = self.strip_suffix(line, first if first == top else None), first
        for i in lines:
            if i >= first:
                break
            m = _DATED_HEADLINE.match(self.lines[i])
            stated = dates.find_dates(m.group(1)) if m else []
            if stated and _squash(m.group(2)) == _squash(line):
                # "22-09-2020 10:04 - Le titre" above "Le titre": the listing's date of this very article
                self.sig.dates.append((3, i, stated[0][1], stated[0][2]))
        full, short = _norm(line), _norm(title)
        later = list(itertools.islice(self.content(first + 1), _HEADLINE_SCAN))
        whole = _WORDS.sub("", self.keys[first])
        exact_at = [j for j in later if len(self.keys[j]) >= len(whole) and _WORDS.sub("", self.keys[j]) == whole]
        if exact_at:
            later = exact_at  # the headline repeated whole: a shorter variant elsewhere is a teaser or a caption
        for j in later:
            cand = _norm(self.lines[j])
            if len(cand) < 12:
                continue
            exact = cand in (full, short)
            if exact or (len(cand) >= 0.4 * len(full) and (full.endswith(cand) or full.startswith(cand))):
                if exact:
                    title = line if cand == full else title  # a headline that repeats exactly is kept whole
                else:
                    title = self.lines[j]  # the page's headline, repeated without breadcrumb or suffix
                # Lines between a headline and its repetition are its header: "Publié le…", "PARTAGER".
                for k in self.content(first + 1, j):
                    self.scan_dateline(k)
                if not any(len(self.lines[k]) >= 200 and _sentence_like(self.lines[k])
                           for k in self.content(first + 1, j)):
                    head = j  # else the text already started: the repetition is a share block inside it
                break
        return title, head, False

    # ------------------------------------------------------------------ datelines
    def scan_dateline(self, i: int) -> bool:
        """Record a ``[Credit,] publié le DATE [| Outlet]`` line; return True when it is one."""
        line = self.lines[i]
        if len(line) > 250:
            return False
        written = _WRITTEN_BY.match(line)
        if written:
            found = dates.find_dates(line[written.end():][:60])
            if found and found[0][0] <= 12:
                # "Rédigé par leral.net le Jeudi 19 Juillet 2012 à 17:09": the credit and the publication date
                self.credit(i, written.group(1))
                self.sig.dates.append((1, i, found[0][1], found[0][2]))
                self.used.add(i)
                return True
        m = _PUBLISHED.search(line)
        rank = 1
        if not m:
            m = _UPDATED.search(line)
            rank = 2
        if not m:
            return False
        after = line[m.end():]
        found = dates.find_dates(after[:60])
        if found and found[0][0] <= 3:
            self.sig.dates.append((rank, i, found[0][1], found[0][2]))
        else:
            dm = dates.parse_day_month(after[:30])
            if not dm or dates.find_dates(after):
                return False
            self.sig.day_months.append((i, dm[0], dm[1]))
        before = line[: m.start()].strip()
        if before.endswith(",") or before.endswith("-") or before.endswith("|"):
            self.credit(i, before.strip(" ,-–|"))
        elif before and bylines.byline_of(before.strip(" |-–")):
            self.credit(i, before.strip(" |-–"))
        pipe = _PIPE_OUTLET.search(after)
        if pipe:
            value = pipe.group(1).strip()
            name = bylines.byline_of(value)
            if name and bylines.looks_like_person(name, self.table):
                self.sig.author(1, i, name)
            elif not dates.find_dates(value):
                self.sig.outlet(P_EXPLICIT, i, value)
        self.used.add(i)
        return True

    def credit(self, i: int, credit: str) -> None:
        """Interpret the credit in front of a dateline: an outlet, a person, or "Par X"."""
        if not credit or len(credit) > 80:
            return
        byline = bylines.byline_of(credit)
        if byline:
            credit = byline
        outlet = self.table.credit(credit)
        if outlet is not None:
            self.sig.outlet(P_EXPLICIT, i, outlet.name)
        elif bylines.looks_like_person(credit, self.table):
            self.sig.author(1, i, credit)
        elif not self.table.is_not_person(line_key(credit)) or line_key(credit).startswith("source"):
            name = re.sub(r"^(source|sources)\s*:?\s*", "", credit, flags=re.I).strip()
            if name and len(name) <= 40:
                self.sig.outlet(P_EXPLICIT, i, name)

    def date_only(self, i: int) -> tuple[str, str] | None:
        line = self.lines[i]
        if len(line) > 70:
            return None
        found = dates.find_dates(line)
        if not found:
            return None
        rest = re.sub(r"\d", "", line)
        return (found[0][1], found[0][2]) if len(rest) <= 45 else None

    # ------------------------------------------------------------------ body zone
    def body_start(self, head: int) -> int:
        """Return where the article text starts: after the headline, or after its dateline."""
        start = head + 1
        for j in self.content(start, min(self.n, start + _HEADER_SCAN)):
            if self.scan_dateline(j):
                end = self.body_end(j + 1)
                between = sum(len(self.lines[k]) for k in self.content(start, j))
                after = sum(len(self.lines[k]) for k in self.content(j + 1, end))
                # Captions and "read also" boxes sit between headline and dateline; an article
                # whose dateline is printed at its end has its text there instead, and a lead
                # printed above the dateline is text too.
                lead = any(len(self.lines[k]) >= 200 and _sentence_like(self.lines[k]) for k in self.content(start, j))
                return j + 1 if after >= between and not lead else start
        return start

    def body_end(self, start: int) -> int:
        """Return the index of the first comment block or footer marker after some text."""
        seen_text = False
        for i in range(start, self.n):
            key = self.keys[i]
            if not key:
                continue
            if seen_text and (self.table.is_comment_header(key) or self.table.is_end_marker(key)):
                if key == "notify of" and i > 0 and self.keys[i - 1] == "subscribe":
                    return i - 1
                before = max((k for k in range(start, i) if self.keys[k]), default=None)
                if before is not None and self.table.is_end_marker(key) and len(self.lines[before]) <= 60 \
                        and not _TERMINAL_RE.search(self.lines[before]) and len(self.lines[before].split()) >= 2:
                    return before  # a slogan above a paywall prompt belongs to the prompt
                return i
            if len(key) >= 30 and not self.boiler(i):
                seen_text = True
        return self.n

    # ------------------------------------------------------------------ body lines
    def signal_line(self, i: int, near_start: bool) -> bool:
        """Record metadata carried by line ``i``; return True when the line is metadata only."""
        line, key, table = self.lines[i], self.keys[i], self.table
        if i in self.used:
            return True
        if len(line) <= 120:
            source = bylines.source_of(line)
            if source and (":" in line[:12] or table.lookup(source)):
                self.sig.outlet(P_EXPLICIT, i, source)
                return True
            if self.credit_byline(i):
                return True
            pour = _FOR_OUTLET.match(line)
            if pour and table.lookup(pour.group(2)) and bylines.looks_like_person(pour.group(1), table):
                # "Awa Diallo, pour BBC Afrique": the journalist and the outlet she writes for
                self.sig.author(1, i, pour.group(1))
                self.sig.outlet(P_EXPLICIT, i, table.lookup(pour.group(2)).name)
                return True
            byline = bylines.byline_of(line)
            if byline:
                if table.lookup(byline):
                    self.sig.outlet(P_SIGNED, i, byline)
                    return True
                if bylines.looks_like_person(byline, table):
                    self.sig.author(1, i, byline)
                    return True
                if table.is_not_person(line_key(byline)):
                    return True
            agency = bylines.agency_signature(line, table)
            if agency:
                self.sig.outlet(P_SIGNED, i, agency)
                return True
        m = _CORRESPONDENT.match(line)
        if m and bylines.looks_like_person(m.group(1), table):
            self.sig.author(1, i, m.group(1))
            return True
        if self.scan_dateline(i):
            return True
        only = self.date_only(i)
        if only:
            if near_start:
                self.sig.dates.append((3, i, only[0], only[1]))
            return True
        return False

    def credit_byline(self, i: int) -> bool:
        """Record a ``OUTLET | Par NAME - DATE`` line (outlet, author and date in one); return True when it is one."""
        m = _CREDIT_BYLINE.match(self.lines[i])
        outlet = self.table.lookup(m.group(1)) if m else None
        if outlet is None:
            return False
        name = bylines.byline_of(m.group(2))
        if not name or not bylines.looks_like_person(name, self.table):
            return False
        self.sig.outlet(P_EXPLICIT, i, outlet.name)
        self.sig.author(1, i, name)
        found = dates.find_dates(m.group(2))
        if found:
            self.sig.dates.append((1, i, found[0][1], found[0][2]))
        self.used.add(i)
        return True

    def body(self, start: int, end: int, title: str) -> list[str]:
        paras: list[str] = []
        teasers = 0
        title_key, title_letters = _norm(title), _squash(title)
        last_para, agency_credit = -1, None
        seen: set[str] = set()
        text_chars = 0
        for i in range(start, end):
            line, key = self.lines[i], self.keys[i]
            if not line:
                continue
            if self.boiler(i):
                if _READ_ALSO.match(key):
                    teasers = 6
                agency = bylines.agency_signature(line, self.table) if len(line) < 40 else None
                if agency:
                    agency_credit = (i, agency)
                continue
            if teasers and len(line) < 160 and not line.endswith((".", "!", "?", "»")):
                teasers -= 1  # a headline listed under a "read also" box
                continue
            teasers = 0
            if self.signal_line(i, near_start=len(paras) < 2):
                continue
            if _norm(line) == title_key or _WORDS.sub("", key) == title_letters:
                continue
            line = self.read_more(i, line)
            if not line or _EMBED.search(line):
                continue  # an embedded post is the social network's text, not the article's
            if text_chars >= 300 and len(line) <= 60 and self.table.lookup(line.strip(" .")) is not None \
                    and not _TERMINAL_RE.search(line):
                # The outlet's name alone under the text signs the article: what follows is the page's.
                self.sig.outlet(P_SIGNED, i, line.strip(" ."))
                break
            if line in seen:
                continue  # the same paragraph printed twice (a scraped duplicate block)
            seen.add(line)
            text_chars += len(line)
            paras.append(line)
            last_para = i
        self.trailing_teasers(paras)
        _drop_truncated(paras)
        self.author_box(paras, start)
        self.mentions(paras, start)
        self.lead_date(paras[:2], start)
        if agency_credit and agency_credit[0] > last_para:
            # "© AFP" closing the article signs it; the same credit under a photo does not.
            self.sig.outlet(P_SIGNED, agency_credit[0], agency_credit[1])
        self.trailing_signatures(paras, end)
        self.outlet_prefixes(paras, start)
        return _merge_wrapped(paras)

    def author_box(self, paras: list[str], start: int) -> None:
        """Read a ``• NAME`` author box near the top of the text; its one-line bio goes with it."""
        for n, para in enumerate(paras[:4]):
            name = para[1:].strip() if para[:1] in "•▪" else None
            if name and len(name) <= 60 and bylines.looks_like_person(name, self.table):
                self.sig.author(1, start + n, name)
                bio = n + 1 < len(paras) and len(paras[n + 1]) <= 250 and n + 2 < len(paras)
                del paras[n: n + 2 if bio else n + 1]
                return

    def lead_date(self, paras: list[str], start: int) -> None:
        """Record a lead's "ce lundi 24 janvier 2022" when the weekday agrees with the calendar (rank 5)."""
        for n, para in enumerate(paras):
            m = _LEAD_DATE.search(para)
            if not m:
                continue
            iso, precision = dates.parse_date(m.group(3))
            if not iso or precision != "day":
                continue
            day = datetime.date.fromisoformat(iso)
            if _WEEKDAYS[day.weekday()] != m.group(2).lower():
                continue
            if m.group(1).lower() == "hier":
                day += datetime.timedelta(days=1)  # written the day after
            elif m.group(1).lower() == "avant-hier":
                day += datetime.timedelta(days=2)
            self.sig.dates.append((5, start + n, day.isoformat(), "day"))
            return

    def mentions(self, paras: list[str], start: int) -> None:
        """Record outlets the text reports from ("a déclaré à l'AFP", "a appris Guineenews"), ranked lowest."""
        for n, para in enumerate(paras):
            for m in _MENTION.finditer(para):
                name = m.group(1).strip(" .,")
                outlet = self.table.lookup(name) or self.table.lookup(name.split()[0].strip(" .,"))
                if outlet is not None:
                    self.sig.outlet(P_MENTION, start + n, outlet.name)
                    return

    def read_more(self, i: int, line: str) -> str:
        """Return ``line`` without a trailing ``[...]`` or ``... suite de l'article sur X`` (X credited)."""
        m = _READ_MORE.search(line)
        if m:
            outlet = self.table.lookup(m.group(1).strip(" ."))
            self.sig.outlet(P_EXPLICIT, i, outlet.name if outlet else m.group(1).strip(" ."))
            line = line[: m.start()].rstrip()
        return _ELLIPSIS_TAIL.sub("", line).rstrip()

    def trailing_teasers(self, paras: list[str]) -> None:
        """Drop the list of related headlines that follows the last sentence of the article."""
        n, teasers = len(paras), []
        while n > 0:
            para = paras[n - 1]
            if bylines.looks_like_person(para, self.table) or self.table.lookup(para.strip(" .")) is not None \
                    or _INITIALS.match(para):
                n -= 1  # a signature stays for trailing_signatures
                continue
            if not _teaser_shaped(para):
                break
            teasers.append(n - 1)
            n -= 1
        if len(teasers) >= 2 and n > 0:
            for k in teasers:  # indexes in decreasing order
                del paras[k]

    def trailing_signatures(self, paras: list[str], end: int) -> None:
        """Pop the signature lines that close the article: a name, a role, an outlet name."""
        for _ in range(4):
            if not paras:
                return
            last = paras[-1]
            key = line_key(last)
            if bylines.looks_like_person(last, self.table):
                self.sig.author(2, end, last)
            elif self.table.lookup(last.strip(" .")) is not None:
                self.sig.outlet(P_SIGNED, end, last.strip(" ."))
            elif _INITIALS.match(last):
                pass  # "B.K.I.": the author's initials, not a name to report
            elif not (len(last) <= 60 and self.table.is_not_person(key) and not last.endswith((".", "!", "?"))):
                return
            paras.pop()

    def outlet_prefixes(self, paras: list[str], start: int) -> None:
        """Strip an outlet's dateline glued to a paragraph ("Bamada.net-Prenant la parole...")."""
        for n, para in enumerate(paras[:6]):
            envoy = _ENVOY.match(para) if n < 2 else None
            if envoy:
                # "De l'envoyé spécial de l'APS : Awa Ba" opening the text, maybe glued to the dateline that follows
                name, rest = envoy.group(2), para[envoy.end():]
                glued = re.search(r"(?<=[a-zà-ÿ]{3})(?=[A-ZÀ-Ý][a-zà-ÿ])", name)
                if glued:
                    name, rest = name[: glued.start()], name[glued.start():] + rest
                agency = self.table.lookup(envoy.group(1)) if envoy.group(1) else None
                if bylines.looks_like_person(name, self.table):
                    self.sig.author(1, start + n, name)
                    if agency is not None:
                        self.sig.outlet(P_DATELINE, start + n, agency.name)
                    para = paras[n] = rest.lstrip(" ,.-–—:")
            agency = bylines.agency_dateline(para, self.table)
            if agency:
                self.sig.outlet(P_DATELINE, start + n, agency)
                stated = dates.find_dates(para[: para.find(")") + 1])
                if stated and n < 2:
                    # "Dakar, 12 mars 2024 (APA) –": the agency's own dateline is the publication date.
                    self.sig.dates.append((3, start + n, stated[0][1], stated[0][2]))
                continue
            place = _PLACE_DATELINE.match(para) if n == 0 else None
            if place:
                stated = [d for d in dates.find_dates(place.group(2)) if d[2] == "day"]
                if stated:
                    # "Bamako, 3 mars 2024 – Le gouvernement…": the story's own dateline.
                    self.sig.dates.append((4, start + n, stated[0][1], stated[0][2]))
            glued = _AGENCY_CLOSE.match(para) if n < 2 else None
            agency = self.table.lookup(glued.group(1)) if glued else None
            if agency is not None and agency.kind == "agency":
                # "Agence Ecofin) - La centrale…": an agency dateline whose opening part was cut off.
                self.sig.outlet(P_DATELINE, start + n, agency.name)
                paras[n] = para[glued.end():]
                continue
            m = _OUTLET_PREFIX.match(para)
            if m and ("." in m.group(1) or m.group(1).isupper() or (n == 0 and m.group(1)[:1].isupper()
                                                                     and len(m.group(1).split()) >= 2)):
                outlet = self.table.lookup(m.group(1).strip())
                if outlet is not None:
                    self.sig.outlet(P_PREFIX, start + n, outlet.name)
                    paras[n] = para[m.end():]


def _squash(text: str) -> str:
    """Return the letters and digits of a line: copies of a headline differ by spaces and punctuation only."""
    return _WORDS.sub("", line_key(text))


def _drop_truncated(paras: list[str]) -> None:
    """Drop a paragraph cut with an ellipsis when the next one gives it whole (a standfirst teaser)."""
    for k in range(len(paras) - 2, -1, -1):
        para = paras[k]
        if para.endswith(("…", "...")):
            stem = para.rstrip(".…").rstrip()
            if len(stem) >= 40 and paras[k + 1].startswith(stem):
                del paras[k]


def _teaser_shaped(para: str) -> bool:
    """Return True for a related-headline line: short, cut with an ellipsis or without final punctuation."""
    if len(para) >= 200:
        return False
    if para.endswith(("…", "...")) or para[:1] in _BULLETS or re.match(r"^\d{1,2}:\d{2}\b", para):
        return True
    if _AGENCY_SLUG.match(para):
        return True  # "SENEGAL-SOCIETE-EDUCATION / Un titre – Par X (APS)": an agency's story list
    return not para.endswith(_TERMINAL) and len(para.split()) >= 4


def _sentence_like(line: str) -> bool:
    """Return True for a line shaped like a sentence of text rather than a headline."""
    return line.endswith(".") and not line.endswith("..") and len(line.split()) >= 12


def _merge_wrapped(paras: list[str]) -> list[str]:
    """Join lines that were hard-wrapped inside a sentence (no end punctuation, lower-case next)."""
    out: list[str] = []
    for para in paras:
        if out and not out[-1].endswith(_TERMINAL) and para[:1].islower():
            out[-1] = f"{out[-1]} {para}"
        else:
            out.append(para)
    return out


def _outlet_name(name: str, table: outlets.OutletTable) -> str | None:
    """Return the display name of an outlet signal; None when the value is a date line or a bare link."""
    name = name.strip(" .,;:-–\"'«»“”")
    if not name:
        return None
    known = table.lookup(name)
    if known is not None:
        return known.name
    if "://" in name or name.lower().startswith("www."):
        # a link names its site: the host, through the table or as a readable name
        host = host_of(name if "://" in name else f"http://{name}")
        known = table.by_host(host) if host else None
        return known.name if known is not None else outlets.name_from_host(host)
    if dates.find_dates(name) or re.fullmatch(r"[\d\s/.:-]+", name):
        return None  # "12/03/2024 - 10:15" is when, not who
    return name


def _pick_outlet(sig: _Signals, table: outlets.OutletTable) -> str | None:
    for _priority, _line, value in sorted(sig.outlets, key=lambda s: (s[0], s[1])):
        name = _outlet_name(value, table)
        if name:
            return name
    return None


def _pick_date(sig: _Signals, body: str, from_url: tuple[str, str] | None = None
               ) -> tuple[str | None, str | None, bool]:
    if sig.dates:
        best = min(sig.dates, key=lambda d: (d[0], d[1]))
        iso, precision = best[2], best[3]
        # A crawler's month is refined by a stated day of the same month.
        finer = [d for d in sig.dates if d[3] == "day" and d[2].startswith(iso)]
        if precision != "day" and finer:
            iso, precision = finer[0][2], "day"
        elif precision != "day" and from_url and from_url[1] == "day" and from_url[0].startswith(iso):
            iso, precision = from_url  # the URL's day, corroborated by the coarser date the text states
        return iso, precision, False
    if from_url:
        # The URL alone is an estimate: it may be the day of a later edition or of the upload.
        return from_url[0], from_url[1], True
    stated = [d for d in dates.find_dates(body[:_ESTIMATE_SCAN]) if d[2] == "day"]
    if stated:
        # Dates inside the story only bound the publication: report the latest year, flagged.
        return max(d[1] for d in stated)[:4], "year", True
    return None, None, False


def extract_text(text: str, *, id: str, path: str = "", hints: dict | None = None) -> dict:
    """Extract an article dict from the decoded text of one scraped page.

    ``hints`` are the metadata an HTML page states in its markup (``search.extract.html.page``): title,
    url, host, site names, date, authors and comments; they outrank what the text suggests.
    """
    text = clean_text(text if isinstance(text, str) else "")
    hints = hints or {}
    table = outlets.table()
    page = _Page(text, table)
    page.find_site()
    page.use_hints(hints)
    title, head, derived = page.find_title()
    start = page.body_start(head) if head >= -1 else 0
    end = page.body_end(start)
    found_comments = normalize_comments(hints.get("comments"))
    stated = plausible_count(hints.get("comments_stated")) or 0
    if not found_comments:
        block = cmts.find_block(page.raw, page.keys, end, page.n, table)
        if block is not None:
            found_comments, text_stated, _ = cmts.parse_block(page.raw[block:], table, page.page_outlets)
            stated = max(stated, text_stated)
    paras = page.body(max(start, 0), end, title)
    body = clean_body("\n\n".join(paras))
    stated_title = page.hinted_title(hints)
    if stated_title:
        title, derived = stated_title, False
    if not title:
        title, derived = derive_title(body), True
    sig = page.sig
    author = min(sig.authors, key=lambda a: (a[0], a[1]))[2] if sig.authors else None
    outlet = _pick_outlet(sig, table)
    author, credit = bylines.split_credit(author, table)
    date, precision, estimated = _pick_date(sig, body, page.url_date)
    return {
        "id": id,
        "path": str(path),
        "url": hints.get("url"),
        "title": title,
        "title_derived": derived,
        "outlet": outlet,
        "site": page.site,
        "author": author,
        "credit": credit,
        "date": date,
        "date_precision": precision,
        "date_estimated": estimated,
        "body": body,
        "comments": found_comments,
        "comments_count": max(len(found_comments), stated),
        "persons": [],
        "content_hash": content_hash(text),
    }
