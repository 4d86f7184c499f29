"""Reader-comment blocks of scraped pages: where they start, and their comments with threads.

Two layouts are read. Numbered lists (Maliweb's Facebook block: ``1. text`` for a comment,
an indented ``• text`` or a deeper indented paragraph for a reply) and plain blocks
(WordPress, wpDiscuz, SPIP: ``Name dit :`` / date / text / ``Répondre``). Widget lines
(``Notify of``, ``Oldest``, ``Reply``...) come from the outlet table and are dropped.
"""

from __future__ import annotations

import re

from search.extract.dates import find_dates
from search.extract.outlets import OutletTable, line_key
from search.extract.records import plausible_count

#: A stated comment count (« 3 commentaires », « 12 Réactions », « 0 Comments »), group 1 the
#: number; the one pattern for counts in text, HTML metadata and the NER text. Accents and case
#: are optional so that it reads raw text as well as folded line keys.
COMMENT_COUNT = re.compile(
    r"(?<!\d)(\d+)\s*(?:commentaires?|comments?|r[ée]actions?|r[ée]ponses?|responses?|replies|avis)\b",
    re.IGNORECASE)
# The count after the word, in parentheses (« Commentaires (3) »).
_COUNT_PAREN = re.compile(r"^(?:commentaires?|comments?|r[ée]actions?)\s*\((\d+)\)", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\s*)(\d{1,4})[.)]\s+(\S.*)$")
_BULLET = re.compile(r"^(\s*)[•·◦▪‣*–-]\s+(\S.*)$")
_AUTHOR_SAYS = re.compile(r"^(.{2,60}?)\s+(?:dit|a dit|says|said|a ecrit|wrote|ecrit)\s*:?\s*$", re.IGNORECASE)
_AUTHOR_PREFIX = re.compile(r"^(?:poste|posté|publié|publie|ecrit|écrit|par|by|posted)\s+(?:par|by)?\s*(.{2,60}?)"
                            r"(?:,?\s+(?:le|on)\s+.*)?$", re.IGNORECASE)
_RELATIVE_DATE = re.compile(r"^(il y a|\d+\s+(seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago)\b", re.I)
_SEPARATORS = re.compile(r"^(repondre|reply|signaler|report)$")


def find_block(lines: list[str], keys: list[str], start: int, end: int, table: OutletTable) -> int | None:
    """Return the index of the first comment-block header in ``lines[start:end]``, else None."""
    for i in range(start, end):
        if keys[i] and table.is_comment_header(keys[i]):
            # "Notify of" is preceded by wpDiscuz's "Subscribe": the block starts there.
            if keys[i] == "notify of" and i > start and keys[i - 1] == "subscribe":
                return i - 1
            return i
    return None


def stated_count(keys: list[str]) -> int:
    """Return the largest plausible comment count a block header states ("3 COMMENTAIRES", "0 Comments")."""
    best = 0
    for key in keys[:12]:
        m = COMMENT_COUNT.match(key) or _COUNT_PAREN.match(key)
        if m:
            # "3000000000 COMMENTAIRES" is a broken widget, not a count: the comments read stand
            best = max(best, plausible_count(m.group(1)) or 0)
    return best


def _is_date_line(line: str) -> bool:
    stripped = line.strip()
    if _RELATIVE_DATE.match(stripped):
        return True
    dates = find_dates(stripped)
    return bool(dates) and len(stripped) <= 60


class _Thread:
    """Comments being built, with the indentation that opened each (for reply detection)."""

    def __init__(self):
        self.items: list[dict] = []
        self.indents: list[int] = []

    def open(self, indent: int, text: str, *, reply_to_current: bool = False, author: str | None = None,
             date: str | None = None) -> None:
        reply_to = None
        if reply_to_current and self.items:
            reply_to = self.items[-1]["id"]
        else:
            for item, item_indent in zip(reversed(self.items), reversed(self.indents)):
                if item_indent < indent:
                    reply_to = item["id"]
                    break
        self.items.append({"text": text, "author": author, "reply_to": reply_to, "id": f"c{len(self.items) + 1}",
                           "date": date})
        self.indents.append(indent)

    def extend(self, text: str, paragraph: bool) -> None:
        sep = "\n\n" if paragraph else "\n"
        self.items[-1]["text"] = (self.items[-1]["text"] + sep + text).strip()


def _numbered(lines: list[str]) -> list[dict]:
    thread = _Thread()
    gap = False
    for raw in lines:
        if not raw.strip():
            gap = True
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        m = _NUMBERED.match(raw)
        b = _BULLET.match(raw)
        if m:
            thread.open(len(m.group(1)), m.group(3).strip())
        elif b:
            thread.open(len(b.group(1)), b.group(2).strip())
        elif not thread.items:
            thread.open(indent, raw.strip())
        elif gap and indent > thread.indents[-1]:
            # A paragraph set deeper than the comment above it, after a blank line: a nested reply.
            thread.open(indent, raw.strip(), reply_to_current=True)
        else:
            thread.extend(raw.strip(), paragraph=gap)
        gap = False
    return thread.items


def _plain(lines: list[str]) -> list[dict]:
    """Read WordPress-like blocks: an author line, an optional date line, then the text."""
    thread = _Thread()
    author = date = None
    fresh = True  # the next text line opens a new comment
    gap = False
    for raw in lines:
        line = raw.strip()
        if not line:
            gap = True
            continue
        key = line_key(line)
        indent = len(raw) - len(raw.lstrip(" "))
        if _SEPARATORS.match(key):
            fresh, author, gap = True, None, False
            continue
        says = _AUTHOR_SAYS.match(line) or (_AUTHOR_PREFIX.match(line) if len(line) < 90 else None)
        if says and not line.endswith((".", "!", "?")):
            author, fresh, gap = says.group(1).strip(" ,:"), True, False
            continue
        if _is_date_line(line):
            date = find_dates(line)[0][1]  # the comment's own date, shown with it
            fresh = True
            gap = False
            continue
        if fresh or not thread.items or (gap and author is None):
            thread.open(indent, line, author=author, date=date)
            author, date, fresh = None, None, False
        else:
            thread.extend(line, paragraph=gap)
        gap = False
    return thread.items


def parse_block(lines: list[str], table: OutletTable, outlets=()) -> tuple[list[dict], int, int]:
    """Return ``(comments, stated_count, consumed)`` for the lines of a comment block.

    ``consumed`` is how many lines belong to the block: it stops at the page footer.
    """
    keys = [line_key(line) for line in lines]
    stated = stated_count(keys)
    kept: list[str] = []
    consumed = len(lines)
    for i, (raw, key) in enumerate(zip(lines, keys)):
        if i > 0 and key and table.is_end_marker(key):
            consumed = i
            break
        if not key:
            kept.append("")
            continue
        if _SEPARATORS.match(key):
            kept.append(key)  # "Reply" separates WordPress comments: keep it for the reader
            continue
        if table.is_comment_header(key) or table.is_comment_chrome(key) or table.is_boilerplate(key, outlets):
            continue
        kept.append(raw.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    if any(_NUMBERED.match(line) for line in kept):
        comments = _numbered(kept)
    else:
        comments = _plain(kept)
    comments = [c for c in comments if c["text"].strip()]
    return comments, stated, consumed
