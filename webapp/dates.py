"""French date display, with estimated dates never shown as publication dates."""

from __future__ import annotations

# The one French month table (search.text is light: no index, no spaCy).
from search.text import MONTHS_FR as MONTHS, MONTHS_FR_SHORT as MONTHS_SHORT

ESTIMATED_TITLE = "Date estimée d’après le texte de l’article : le média ne l’a pas publiée."


def _month_index(value: str) -> int | None:
    try:
        month = int(value[5:7])
    except (ValueError, IndexError):
        return None
    return month - 1 if 1 <= month <= 12 else None


def month_label(value: str, short: bool = False) -> str:
    """Return « août 2023 » for ``2023-08`` (the value itself when it is not a month)."""
    idx = _month_index(value)
    if idx is None:
        return value
    return f"{(MONTHS_SHORT if short else MONTHS)[idx]} {value[:4]}"


def display_date(hit: dict) -> dict:
    """Return ``{"text", "estimated", "title", "iso"}`` for an article's date."""
    date = (hit.get("date") or "").strip()
    estimated = bool(hit.get("date_estimated"))
    if not date:
        return {"text": "date inconnue", "estimated": False, "title": "", "iso": ""}
    if estimated:
        # An estimate is only ever shown as its year, marked.
        return {"text": f"≈ {date[:4]}", "estimated": True, "title": ESTIMATED_TITLE, "iso": date[:4]}
    if len(date) >= 10:
        idx = _month_index(date)
        try:
            day = int(date[8:10])
        except ValueError:
            day = None
        if idx is not None and day:
            text = f"{'1er' if day == 1 else day} {MONTHS[idx]} {date[:4]}"
            return {"text": text, "estimated": False, "title": "", "iso": date[:10]}
    if len(date) >= 7:
        return {"text": month_label(date[:7]), "estimated": False, "title": "", "iso": date[:7]}
    return {"text": date, "estimated": False, "title": "", "iso": date}
