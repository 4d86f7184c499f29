"""Reading source bytes: binary and size checks, encoding detection, and text hygiene.

Everything that turns the bytes of a scraped page into clean, NFC, LF-separated text lives
here, so that extraction and the JSONL loader see the same normalised text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

#: Largest page (.txt / .json / .html) read, in bytes; bigger files are skipped with a reason.
MAX_PAGE_BYTES = 20 * 1024 * 1024

# Magic numbers of formats that are certainly not a text page, for a readable skip reason.
_MAGIC = [
    (b"%PDF", "PDF document"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"PK\x03\x04", "ZIP archive (or Office document)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "executable"),
    (b"SQLite format 3", "SQLite database"),
    (b"\xd0\xcf\x11\xe0", "Office document"),
]

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

# Typical sequences left when UTF-8 bytes were decoded as cp1252/latin-1 by a scraper.
_MOJIBAKE = re.compile("Ã[\u00a0-\u00bf]|â€[\u0099\u009c\u009d\u2122\u201c\u201d\u0153\u02dc\u201a\u00a6]|Ã©|Ã¨|â€™")

# Spaces that should read as a plain space (NBSP, narrow NBSP, figure/thin spaces, ideographic).
_SPACES = re.compile("[\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u3000\t]")
# Invisible characters that only break words apart (zero-width, soft hyphen, BOM, bidi marks).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e]")
# Bytes that are not control characters (tab, LF, FF, CR count as text).
_NOT_CONTROL = bytes(range(32, 256)) + b"\t\n\x0c\r"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_MULTISPACE = re.compile(r" {2,}")
_SURROGATES = re.compile("[\ud800-\udfff]")


def sniff_binary(data: bytes) -> str | None:
    """Return why ``data`` looks like a binary file, or None when it may be text."""
    head = data[:8192]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"binary file ({what})"
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return None  # UTF-16/32 text carries NUL bytes legitimately
    if b"\x00" in head:
        return "binary file (NUL bytes)"
    controls = len(head.translate(None, _NOT_CONTROL))
    if head and controls / len(head) > 0.05:
        return "binary file (control bytes)"
    return None


def _fix_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 damage when the round trip clearly improves the text."""
    if not _MOJIBAKE.search(text):
        return text
    for enc in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if len(_MOJIBAKE.findall(fixed)) < len(_MOJIBAKE.findall(text)):
            return fixed
    # Mixed text: repair only the damaged words.
    def repair(match: re.Match) -> str:
        word = match.group(0)
        try:
            return word.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return word

    return re.sub(r"\S*(?:Ã|â€)\S*", repair, text)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode page bytes (BOM, UTF-8, the ``declared`` codec, else cp1252/latin-1) into clean NFC text.

    ``declared`` is the charset a page states (HTML ``<meta charset>``); bytes that are valid
    UTF-8 are read as UTF-8 whatever the declaration, since that is what they almost always are.
    """
    text = None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(enc, errors="replace")
            break
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            for enc in (declared, "cp1252", "latin-1"):
                if not enc or enc == "utf-8":
                    continue
                try:
                    text = data.decode(enc)
                    break
                except (UnicodeDecodeError, LookupError):
                    continue
            if text is None:
                text = data.decode("latin-1")
    return clean_text(_fix_mojibake(text))


def clean_text(text: str) -> str:
    """Normalise decoded text: NFC, LF line ends, plain spaces, no control or invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _SPACES.sub(" ", _INVISIBLE.sub("", text))
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    # Surrogates (from lone escapes in JSON) cannot be encoded later on: drop them.
    return _SURROGATES.sub("", text)


def clean_line(line: str) -> str:
    """Return a line with inner runs of spaces collapsed and its ends stripped."""
    return _MULTISPACE.sub(" ", line).strip()


def clean_value(value) -> str | None:
    """Return a metadata string cleaned to one line, or None when empty or not a string."""
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            return None
    value = clean_line(clean_text(value).replace("\n", " "))
    return value or None

