"""French (and ISO/numeric) dates as printed by news sites → ISO strings with a precision.

``parse_date("lundi 15 juin 2020 à 16h40")`` → ``("2020-06-15", "day")``; month names with or
without accents, abbreviations (``janv.``, ``sept``), ``1er``, ``15/06/2020``, ``2020-06-15``,
``juin 2020`` (month precision) and English forms used by WordPress themes (``June 15, 2020``).
"""

from __future__ import annotations

import datetime as dt
import re

from search.text import MONTH_NUMBERS as MONTHS, fold, real_day

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday|lun|mar|mer|jeu|ven|sam|dim)\.?,?"

# All patterns run on accent-folded, lower-cased text, so "Août", "aout" and "AOÛT" are alike.
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?:{_WEEKDAY}\s+)?(\d{{1,2}})(?:er|e)?\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[t\s]\d{1,2}:\d{2}(?::\d{2})?\S*)?\b")
_ISO_MONTH = re.compile(r"(?<![\d/.-])(\d{4})-(\d{2})(?![\d/-])")
_NUMERIC = re.compile(r"(?<![\d/.])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.])")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{4}})\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:er|e)?\s+({_MONTH_RE})\b\.?(?!\s*\d)")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")

#: Plausible publication years for the press this tool indexes.
MIN_YEAR, MAX_YEAR = 1900, dt.date.today().year + 1

#: Longest metadata date value read; a longer one is not a date, and reading it would be slow.
MAX_DATE_CHARS = 200


def _valid(year: int, month: int = 1, day: int = 1) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR and real_day(year, month, day)


def _year4(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # 15/06/20: a two-digit year in a dateline means this century
        year += 2000
    return year


def find_dates(text: str) -> list[tuple[int, str, str]]:
    """Return ``(offset, iso, precision)`` for each full or month date in ``text``, in order."""
    low = fold(text).lower()
    found: dict[int, tuple[int, str, str]] = {}
    taken: list[tuple[int, int]] = []

    def add(match: re.Match, iso: str, precision: str) -> None:
        start, end = match.span()
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found[start] = (start, iso, precision)

    for m in _ISO.finditer(low):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid(y, mo, d):
            add(m, f"{y:04d}-{mo:02d}-{d:02d}", "day")
    for m in _DAY_MONTH_YEAR.finditer(low):
        d, mo, y = int(m.group(1)), MONTHS[m.group(2)], int(m.group(3))
        if _valid(y, mo, d):
            add(m, f"{y:04d}-{mo:02d}-{d:02d}", "day")
        else:
            taken.append(m.span())  # "32 mars 2020" is a typo, not the month of March
    for m in _MONTH_DAY_YEAR.finditer(low):
        mo, d, y = MONTHS[m.group(1)], int(m.group(2)), int(m.group(3))
        if _valid(y, mo, d):
            add(m, f"{y:04d}-{mo:02d}-{d:02d}", "day")
    for m in _NUMERIC.finditer(low):
        d, mo, y = int(m.group(1)), int(m.group(3)), _year4(m.group(4))
        if len(m.group(4)) == 2 and m.group(2) == ".":
            continue  # "1.5.20" is more often a version or a score than a date
        if _valid(y, mo, d):
            add(m, f"{y:04d}-{mo:02d}-{d:02d}", "day")
    for m in _MONTH_YEAR.finditer(low):
        mo, y = MONTHS[m.group(1)], int(m.group(2))
        if len(m.group(1)) >= 3 and _valid(y, mo):
            add(m, f"{y:04d}-{mo:02d}", "month")
    for m in _ISO_MONTH.finditer(low):
        y, mo = int(m.group(1)), int(m.group(2))
        if _valid(y, mo):
            add(m, f"{y:04d}-{mo:02d}", "month")
    return [found[k] for k in sorted(found)]


def parse_date(text: str) -> tuple[str, str] | tuple[None, None]:
    """Return ``(iso, precision)`` for the first date in ``text``, else ``(None, None)``."""
    dates = find_dates(text)
    if dates:
        return dates[0][1], dates[0][2]
    return None, None


def parse_day_month(text: str) -> tuple[int, int] | None:
    """Return ``(day, month)`` for a date printed without its year ("publié le 14 mai"), else None."""
    m = _DAY_MONTH.search(fold(text).lower())
    if not m:
        return None
    day, month = int(m.group(1)), MONTHS[m.group(2)]
    return (day, month) if 1 <= day <= 31 else None


def normalize_date(value) -> tuple[str | None, str | None]:
    """Return ``(iso, precision)`` for a metadata date value (ISO, datetime, French text, year)."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return (f"{value:04d}", "year") if _valid(value) else (None, None)
    if not isinstance(value, str):
        return None, None
    value = value.strip()
    if len(value) > MAX_DATE_CHARS:
        return None, None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
    if m:
        y = int(m.group(1))
        mo = int(m.group(2)) if m.group(2) else None
        d = int(m.group(3)) if m.group(3) else None
        if d is not None and _valid(y, mo, d):
            return f"{y:04d}-{mo:02d}-{d:02d}", "day"
        if mo is not None and d is None and _valid(y, mo):
            return f"{y:04d}-{mo:02d}", "month"
        if mo is None and _valid(y):
            return f"{y:04d}", "year"
        return None, None
    iso, precision = parse_date(value)
    if iso:
        return iso, precision
    m = _YEAR.fullmatch(value)
    if m and _valid(int(m.group(1))):
        return m.group(1), "year"
    return None, None


def precision_of(iso: str | None) -> str | None:
    """Return ``day``, ``month`` or ``year`` for an ISO date string of that shape, else None."""
    if not iso:
        return None
    return {10: "day", 7: "month", 4: "year"}.get(len(iso))
