"""The page-extraction core: the visible text of one scraped page → an article dict.

A page is read as lines. The title is found first (crawler prefix, a page title repeated as
the headline, or a lead paragraph to derive it from); the article text runs from the title
(or from a publication dateline just under it) to the first comment block or footer marker.
Metadata lines met on the way (datelines, ``Par X``, ``Source : X``, agency signatures) are
recorded as signals and kept out of the body, and so is every boilerplate line of the outlet
table. Outlet, author and date are then chosen from the signals by priority.
"""

from __future__ import annotations

import itertools
import re

from search.extract import bylines
from search.extract import comments as cmts
from search.extract import dates
from search.extract.html import meta as htmlmeta
from search.extract import outlets
from search.extract.outlets import line_key
from search.extract.records import clean_body, content_hash, derive_title, normalize_comments, plausible_count
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
_TERMINAL = tuple(".!?…»\"”:;)")
_HEADER_SCAN = 80  # lines after the title searched for a publication dateline
_ESTIMATE_SCAN = 20000  # characters of the body searched for dates to estimate from
_HEADLINE_SCAN = 600  # lines searched for the page title repeated as the headline

# Signal priorities: the lowest number names the outlet.
P_EXPLICIT, P_SIGNED, P_DATELINE, P_PREFIX, P_SITE = 1, 2, 3, 4, 5


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
    def strip_suffix(self, title: str) -> str:
        for outlet in self.table.outlets:
            for suffix in outlet.title_suffixes:
                if title.lower().endswith(suffix.lower()) and len(title) > len(suffix) + 5:
                    return title[: -len(suffix)].rstrip(" -–|:")
        m = re.match(r"^(.{12,}?)\s+[-–|—]\s+([\w.’' -]{2,40})$", title)
        if m and (self.table.lookup(m.group(2)) or re.fullmatch(r"(?:[\w-]+\.)+[a-z]{2,}", m.group(2).strip())):
            return m.group(1)
        return title

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
            title = self.strip_suffix(m.group(2).strip())
            self.used.add(first)
            head = first
            want = _norm(title)
            for i in list(self.content(first + 1))[:4]:
                if _norm(self.lines[i]).startswith(want[: max(12, len(want) - 5)]):
                    head = i  # the headline repeated on the next line, maybe with its dateline
                    self.scan_dateline(i)
                    break
            return title, head, False
        # The title is the first line of a few words; short menu items above it are skipped.
        candidates = [i for i in itertools.islice(self.content(), 15) if len(self.lines[i].split()) >= 3]
        if not candidates:
            return self.strip_suffix(self.lines[first]), first, False
        first = candidates[0]
        line = self.lines[first]
        if len(line) > 250 or (line.endswith(".") and not line.endswith("..") and len(line.split()) >= 12):
            return derive_title(line), first - 1, True
        title, head = self.strip_suffix(line), first
        full, short = _norm(line), _norm(title)
        for j in itertools.islice(self.content(first + 1), _HEADLINE_SCAN):
            cand = _norm(self.lines[j])
            if len(cand) < 12:
                continue
            if cand in (full, short) or (len(cand) >= 0.4 * len(full) and (full.endswith(cand) or full.startswith(cand))):
                title, head = self.lines[j], j  # the page's headline, repeated without breadcrumb or suffix
                break
        return title, head, False

    # ------------------------------------------------------------------ datelines
    def scan_dateline(self, i: int) -> bool:
        """Record a ``[Credit,] publié le DATE [| Outlet]`` line; return True when it is one."""
        line = self.lines[i]
        if len(line) > 250:
            return False
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
                # whose dateline is printed at its end has its text there instead.
                return j + 1 if after >= between else start
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

    def body(self, start: int, end: int, title: str) -> list[str]:
        paras: list[str] = []
        teasers = 0
        title_key = _norm(title)
        last_para, agency_credit = -1, None
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
            if _norm(line) == title_key:
                continue
            paras.append(line)
            last_para = i
        if agency_credit and agency_credit[0] > last_para:
            # "© AFP" closing the article signs it; the same credit under a photo does not.
            self.sig.outlet(P_SIGNED, agency_credit[0], agency_credit[1])
        self.trailing_signatures(paras, end)
        self.outlet_prefixes(paras, start)
        return _merge_wrapped(paras)

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
            elif not (len(last) <= 60 and self.table.is_not_person(key) and not last.endswith((".", "!", "?"))):
                return
            paras.pop()

    def outlet_prefixes(self, paras: list[str], start: int) -> None:
        """Strip an outlet's dateline glued to a paragraph ("Bamada.net-Prenant la parole...")."""
        for n, para in enumerate(paras[:6]):
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
            m = _OUTLET_PREFIX.match(para)
            if m and ("." in m.group(1) or m.group(1).isupper()):
                outlet = self.table.lookup(m.group(1).strip())
                if outlet is not None:
                    self.sig.outlet(P_PREFIX, start + n, outlet.name)
                    paras[n] = para[m.end():]


def _merge_wrapped(paras: list[str]) -> list[str]:
    """Join lines that were hard-wrapped inside a sentence (no end punctuation, lower-case next)."""
    out: list[str] = []
    for para in paras:
        if out and not out[-1].endswith(_TERMINAL) and para[:1].islower():
            out[-1] = f"{out[-1]} {para}"
        else:
            out.append(para)
    return out


def _pick_outlet(sig: _Signals, table: outlets.OutletTable) -> str | None:
    if not sig.outlets:
        return None
    _priority, _line, name = min(sig.outlets, key=lambda s: (s[0], s[1]))
    name = name.strip(" .,;:-–\"'«»“”")
    return table.canonical(name) if name else None


def _pick_date(sig: _Signals, body: str) -> tuple[str | None, str | None, bool]:
    if sig.dates:
        best = min(sig.dates, key=lambda d: (d[0], d[1]))
        iso, precision = best[2], best[3]
        # A crawler's month is refined by a stated day of the same month.
        finer = [d for d in sig.dates if d[3] == "day" and d[2].startswith(iso)]
        if precision != "day" and finer:
            iso, precision = finer[0][2], "day"
        return iso, precision, False
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
    if author and table.lookup(author):
        author = None
    date, precision, estimated = _pick_date(sig, body)
    return {
        "id": id,
        "path": str(path),
        "url": hints.get("url"),
        "title": title,
        "title_derived": derived,
        "outlet": outlet,
        "site": page.site,
        "author": author,
        "date": date,
        "date_precision": precision,
        "date_estimated": estimated,
        "body": body,
        "comments": found_comments,
        "comments_count": max(len(found_comments), stated),
        "persons": [],
        "content_hash": content_hash(text),
    }
