"""Raw scraped page or JSONL record → article dict.

PLACEHOLDER (the extraction issue replaces it): first line as title, rest as body.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from search.text import nfc


class SkipFile(Exception):
    """A source file that cannot be read; the message is the one-line reason."""


def _article(id_, path, title, body):
    return {
        "id": id_, "path": str(path), "url": None, "title": title, "title_derived": False,
        "outlet": None, "site": None, "author": None, "date": None, "date_precision": None,
        "date_estimated": False, "body": body, "comments": [], "comments_count": 0, "persons": [],
        "content_hash": hashlib.sha256((title + "\n" + body).encode()).hexdigest(),
    }


def load_file(path) -> list[dict]:
    """Return the articles of one source file (.txt page or .jsonl bulk file), or raise SkipFile."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror}") from None
    if not data.strip():
        raise SkipFile("empty file")
    text = nfc(data.decode("utf-8", errors="replace"))
    if path.suffix == ".jsonl":
        out = []
        for line in text.splitlines():
            if line.strip():
                rec = json.loads(line)
                out.append(_article(rec["id"], path, rec.get("title", ""), rec.get("body", "")))
        return out
    title, _, body = text.strip().partition("\n")
    return [_article(path.stem, path, title.strip(), body.strip())]
