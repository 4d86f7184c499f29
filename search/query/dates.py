"""French dates typed by users, and how an article's (possibly partial) date compares with a range.

One reader for the query language's ``date:`` field and the page's « du … au » parameters
(``from``/``to``): ``2019``, ``2019-11``, ``2019-11-26``, ``26/11/2019``, ``26-11-2019``, ``11/2019``,
``novembre 2019``, ``nov. 2019``, ``1er novembre 2019``, and ranges ``A..B``.

Articles carry ``date_sort`` integers: ``20230802`` for a day, ``20230800`` for a month, ``20230000``
for a year, ``0`` when undated. **Rule**: an article is in a range when its whole period is — a
day inside it, a month or a year entirely inside it; so « du 01/11/2019 au 15/12/2019 » keeps an
article dated « novembre 2019 » but not one dated « décembre 2019 » (it may be from the 20th), nor
one dated only « 2019 ». Undated articles are never in a range. The same rule serves the numpy
filter of the page (:func:`in_range`) and the index ranges of ``date:`` (:func:`point_ranges`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.text import MONTH_NUMBERS, MONTHS_FR, fold, real_day

_ISO = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_FRENCH = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_FRENCH_MONTH = re.compile(r"(\d{1,2})[-/.](\d{4})")
_WORDS = re.compile(r"(?:(1er|\d{1,2})\s+)?([a-z]+)\.?\s+(\d{4})")
_YEARS = re.compile(r"(\d{4})\s*[-–]\s*(\d{4})")


class DateError(ValueError):
    """A date that cannot be read or does not exist; the message is French and safe to show."""


@dataclass(frozen=True)
class Period:
    """A day, month or year as its first and last days (YYYYMMDD integers) and its French label."""

    first: int
    last: int
    label: str


def _last_day(year: int, month: int) -> int:
    return next(d for d in (31, 30, 29, 28) if real_day(year, month, d))


def _period(year: int, month: int | None, day: int | None, raw: str) -> Period:
    # year 0 is no year (undated articles sort as 0), and 30 February no day
    if not year:
        raise DateError(f"date invalide ({raw} : l'année 0 n'existe pas)")
    if month is not None and not 1 <= month <= 12:
        raise DateError(f"date invalide ({raw} : mois {month})")
    if day is not None and not real_day(year, month, day):
        raise DateError(f"date invalide ({raw} : ce jour n'existe pas)")
    base = year * 10000
    if month is None:
        return Period(base + 101, base + 1231, str(year))
    if day is None:
        return Period(base + month * 100 + 1, base + month * 100 + _last_day(year, month),
                      f"{MONTHS_FR[month - 1]} {year}")
    return Period(base + month * 100 + day, base + month * 100 + day,
                  f"{'1er' if day == 1 else day} {MONTHS_FR[month - 1]} {year}")


def parse_period(raw: str) -> Period:
    """Read one day, month or year in any accepted spelling; raise DateError (French message)."""
    text = " ".join(fold(raw or "").lower().split())
    shown = " ".join((raw or "").split())[:40]
    if m := _ISO.fullmatch(text):
        return _period(int(m[1]), m[2] and int(m[2]), m[3] and int(m[3]), shown)
    if m := _FRENCH.fullmatch(text):
        return _period(int(m[3]), int(m[2]), int(m[1]), shown)
    if m := _FRENCH_MONTH.fullmatch(text):
        return _period(int(m[2]), int(m[1]), None, shown)
    if (m := _WORDS.fullmatch(text)) and m[2] in MONTH_NUMBERS:
        day = 1 if m[1] == "1er" else m[1] and int(m[1])
        return _period(int(m[3]), MONTH_NUMBERS[m[2]], day, shown)
    raise DateError(f"date invalide ({shown})")


def parse_range(raw: str) -> tuple[Period | None, Period | None]:
    """Read ``A``, ``A..B``, ``A..``, ``..B`` or ``2019-2021``; a reversed range is put in order."""
    text = (raw or "").strip()
    if m := _YEARS.fullmatch(text):
        left, right = m[1], m[2]
    elif ".." in text:
        left, _, right = text.partition("..")
    else:
        period = parse_period(text)
        return period, period
    lo = parse_period(left) if left.strip() else None
    hi = parse_period(right) if right.strip() else None
    if lo is None and hi is None:
        raise DateError(f"date invalide ({text[:40]})")
    if lo is not None and hi is not None and lo.first > hi.last:
        lo, hi = hi, lo
    return lo, hi


def range_label(lo: Period | None, hi: Period | None) -> str:
    """Return « 26 novembre 2019 », « du 1er novembre 2019 au 15 décembre 2019 », « à partir de 2020 »…"""
    if lo is not None and hi is not None:
        return lo.label if lo == hi else f"du {lo.label} au {hi.label}"
    # a day reads « à partir du 1er mars 2020 », a month or a year « à partir de mars 2020 »
    if lo is not None:
        return f"à partir {'du' if len(lo.label.split()) == 3 else 'de'} {lo.label}"
    return f"jusqu'{'au' if len(hi.label.split()) == 3 else 'en'} {hi.label}"


def day_int(iso: str) -> int:
    """Return 20191126 for ``2019-11-26``."""
    return int(iso[:4]) * 10000 + int(iso[5:7]) * 100 + int(iso[8:10])


def iso_day(day: int) -> str:
    """Return ``2019-11-26`` for 20191126."""
    return f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}"


def bounds(lo: int | None, hi: int | None) -> tuple[int | None, int | None]:
    """Return the range ``[lo, hi]`` of days as bounds on ``date_sort`` starts and ends (see the rule).

    A range from a first of month (or of January) also admits that month's (or year's) key, and a
    range to a last of month (or 31 December) also admits the end of that month (or year).
    """
    if lo is not None:
        lo = lo - lo % 10000 if lo % 10000 == 101 else lo - 1 if lo % 100 == 1 else lo
    if hi is not None:
        year, month, day = hi // 10000, hi // 100 % 100, hi % 100
        # extended only when the range starts early enough to hold that month or year at all
        if month == 12 and day == 31 and (lo is None or lo <= year * 10000):
            hi = year * 10000 + 1299
        elif day == _last_day(year, month) and (lo is None or lo <= hi - day):
            hi = hi - day + 99
    return lo, hi


def in_range(dates, lo: int | None, hi: int | None):
    """Return which ``date_sort`` keys (an int or a numpy array) lie wholly within bounds ``(lo, hi)``."""
    # the last day of a period, as compared: a month ends at ..99, a year at ..1299
    end = dates + (dates % 100 == 0) * 99 + (dates % 10000 == 0) * 1200
    keep = dates > 0
    if lo is not None:
        keep = keep & (dates >= lo)
    if hi is not None:
        keep = keep & (end <= hi)
    return keep


def point_ranges(lo: int | None, hi: int | None) -> list[tuple[int | None, int | None]]:
    """Return inclusive ranges of ``date_sort`` keys equal to :func:`in_range` over bounds ``(lo, hi)``.

    An index range compares keys, not periods: the keys of the month and year of a last day that
    ends neither are inside the range but their periods are not, so they are cut out.
    """
    if hi is None:
        return [(lo, None)]
    year_key, month_key = hi - hi % 10000, hi - hi % 100
    holes = [] if hi % 10000 == 1299 else [year_key] if hi % 100 == 99 else [year_key, month_key]
    parts, start = [], lo
    for hole in holes:
        if lo is not None and hole < lo:
            continue
        if start is None or start <= hole - 1:
            parts.append((start, hole - 1))
        start = hole + 1
    parts.append((start, hi))
    return parts
