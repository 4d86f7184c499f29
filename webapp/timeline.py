"""The timeline histogram as SVG geometry computed in Python (bars per year, or per month in one year).

Geometry is in percent of the drawing, not in a stretched ``viewBox``, so that the counts above the
bars and the axis labels are real text at their real size whatever the screen's width. Every bar
with articles is a link (it filters the search, with or without JavaScript); ``static/js/timeline.js``
adds the range selection (a drag, or two clicks in « choisir une période ») on top.
"""

from __future__ import annotations

import calendar
import math

from webapp.dates import MONTHS_SHORT, month_label
from webapp.params import SearchState

TOP = 22.0  # room above the tallest bar for its count
BASE = 78.0  # the axis line; the labels sit below it
PLOT_H = BASE - TOP
MAX_BARS = 80
GAP = 0.2  # fraction of a slot left empty between bars
MIN_BAR_H = 2.0  # a bar for one article among hundreds must still be visible
MAX_BAR_W = 9.5  # a few years should still read as a histogram, not as blocks
#: Widths (px) the drawing has on a phone and on a desktop, to decide what text fits.
NARROW_PX, WIDE_PX = 300, 760
DIGIT_PX = 6.5  # one digit of a count label at its font size
#: Most axis labels shown on a phone and on a desktop.
NARROW_LABELS, WIDE_LABELS = 6, 14


def _plural(n: int) -> str:
    return f"{n} article{'s' if n != 1 else ''}"


def _bins(rows: list[dict]) -> tuple[list[dict], str]:
    """Return contiguous bins (gaps filled with zeros) and their kind: ``year`` or ``month``."""
    by_value = {}
    for row in rows:
        value = str(row.get("value", ""))
        if value:
            by_value[value] = row
    if not by_value:
        return [], "year"
    kind = "month" if all(len(v) == 7 and v[4] == "-" for v in by_value) else "year"
    if kind == "year":
        try:
            years = sorted(int(v) for v in by_value)
        except ValueError:
            return [by_value[v] for v in sorted(by_value)], kind
        span = range(max(years[0], years[-1] - MAX_BARS + 1), years[-1] + 1)
        return [by_value.get(str(y), {"value": str(y), "count": 0}) for y in span], kind
    year = sorted(by_value)[0][:4]
    if all(v[:4] == year for v in by_value):
        values = [f"{year}-{m:02d}" for m in range(1, 13)]
        return [by_value.get(v, {"value": v, "count": 0}) for v in values], kind
    return [by_value[v] for v in sorted(by_value)][-MAX_BARS:], kind


def _period(kind: str, value: str) -> tuple[str, str]:
    """Return the first and last days (ISO) of a bar's year or month, or ("", "") when not a date."""
    try:
        year = int(value[:4])
        if kind == "year":
            return f"{year:04d}-01-01", f"{year:04d}-12-31"
        month = int(value[5:7])
        return f"{value[:7]}-01", f"{value[:7]}-{calendar.monthrange(year, month)[1]:02d}"
    except (ValueError, IndexError, calendar.IllegalMonthError):
        return "", ""


def _axis(kind: str, bins: list[dict], one_year: bool) -> list[tuple[str, str]]:
    """Return each bin's axis label and where it shows: ``all`` (phones too), ``wide`` or nowhere."""
    n = len(bins)
    narrow, wide = math.ceil(n / NARROW_LABELS), math.ceil(n / WIDE_LABELS)
    out = []
    for i, b in enumerate(bins):
        value = str(b["value"])
        if kind == "month" and value[5:7].isdigit() and 1 <= int(value[5:7]) <= 12:
            month = int(value[5:7])
            text = MONTHS_SHORT[month - 1] if one_year or month != 1 else f"{MONTHS_SHORT[0]} {value[:4]}"
        else:
            text = value
        # round years (2000, 2005…) read better than every fifth bar from wherever the span starts
        pos = int(value) if kind == "year" and value.isdigit() else i
        where = "all" if pos % narrow == 0 else "wide" if pos % wide == 0 else ""
        out.append((text if where else "", where))
    return out


def _counts_fit(bins: list[dict], peak: int) -> str:
    """Return where the counts fit above the bars: ``all``, ``wide`` (desktop only) or ``focus``."""
    need = DIGIT_PX * len(str(peak)) + 4
    if NARROW_PX / len(bins) >= need:
        return "all"
    return "wide" if WIDE_PX / len(bins) >= need else "focus"


def build_timeline(rows: list[dict] | None, state: SearchState | None, link=None,
                   undated: int = 0) -> dict | None:
    """Return the histogram (bars with geometry, titles and filter URLs), or None with nothing to draw.

    ``link(kind, value)`` gives a bar's URL; by default the bar filters the current search, and the
    timeline offers a range selection (``range``) that fills the page's « du … au » fields.
    ``undated`` articles cannot be drawn; the summary says how many there are.
    """
    bins, kind = _bins(list(rows or []))
    if not bins or not any(int(b.get("count") or 0) for b in bins):
        return None
    ranged = link is None and state is not None
    if ranged:
        def link(kind, value):
            return state.only_url(kind, value)
    peak = max(int(b.get("count") or 0) for b in bins)
    slot = 100 / len(bins)
    bar_w = max(min(slot * (1 - GAP), MAX_BAR_W), 0.2)
    one_year = len({str(b["value"])[:4] for b in bins}) == 1
    selected = set(state.selected.get(kind, [])) if state is not None else set()
    bars = []
    for i, (b, (label, label_where)) in enumerate(zip(bins, _axis(kind, bins, one_year))):
        value = str(b["value"])
        count = int(b.get("count") or 0)
        estimated = min(int(b.get("estimated") or 0), count)
        h = max(PLOT_H * count / peak, MIN_BAR_H) if count else 0
        h_est = PLOT_H * estimated / peak if peak else 0
        name = month_label(value) if kind == "month" else value
        title = f"{name} : {_plural(count)}"
        if estimated:
            title += f" (dont {estimated} à date estimée)"
        first, last = _period(kind, value)
        bars.append({
            "value": value, "name": name, "count": count, "title": title,
            "slot_x": round(i * slot, 3), "slot_w": round(slot, 3), "cx": round((i + 0.5) * slot, 3),
            "x": round(i * slot + (slot - bar_w) / 2, 3), "w": round(bar_w, 3),
            "y": round(BASE - h, 3), "h": round(h, 3),
            "est_y": round(BASE - h_est, 3), "est_h": round(h_est, 3),
            "label": label, "label_where": label_where,
            "url": link(kind, value) if (link and count) else None,
            "selected": value in selected,
            "from": first, "to": last,
        })
    first, last = bins[0]["value"], bins[-1]["value"]
    if kind == "month":
        span = f"en {first[:4]}" if first[:4] == last[:4] else f"{month_label(first)} – {month_label(last)}"
    else:
        span = f"en {first}" if first == last else f"{first} – {last}"
    total = sum(b["count"] for b in bars)
    return {
        "kind": kind,
        "bars": bars,
        "top": TOP,
        "base": BASE,
        "plot_h": PLOT_H,
        "counts": _counts_fit(bins, peak),
        "range": ranged,
        "heading": "Articles par mois" if kind == "month" else "Articles par année",
        "summary": (f"{_plural(total)} {span}" if span.startswith("en ") else f"{_plural(total)}, {span}")
                   + (f" ; {_plural(undated)} sans date" if undated > 0 else ""),
    }
