"""The text the person NER reads: title and body, without comments, bylines or boilerplate.

Extraction already gives a clean body; this is a second line of defence for sources that do
not (JSONL records, sites without fingerprints): a reader comment, a byline or a footer address
that reaches the NER becomes a false "person mentioned".

The text is bounded too (``MAX_CHARS``, ``MAX_RUN``) and spaCy reads it in chunks
(``ner_chunks``): spaCy's memory and time follow the tokens of what it reads at once.
"""

from __future__ import annotations

import re

from search.extract import outlets
from search.extract.comments import COMMENT_COUNT
from search.text import display_case, nfc

# A teaser for another article: "À lire aussi", "Lire aussi :", "Voir aussi", anywhere in a line.
# The marker's leading punctuation is bounded: an unbounded ``\W*`` rescans a long line of
# punctuation and spaces from every position (« & & & … »: minutes for 200,000 characters).
_TEASER = re.compile(r"(?:^|(?<=\s))\W{0,10}(?:[àa]\s+)?(?:lire|voir)\s+(?:aussi|[ée]galement)\b\s*:?\s*(.*)$", re.I)
# Where a teaser headline glued to the next paragraph ends ("... forces... » Au cours de").
_HEADLINE_END = re.compile(r"[.!?…»]\s+(?=[A-ZÀ-Ý«\"“])")
# A credit at the end of an article: "Propos recueillis par X", "Un reportage d'X".
_CREDIT = re.compile(
    r"(?:^|(?<=[.!?»…\"”]\s))\s*(?:propos\s+(?:re|ac)?cueillis|rassembl[ée]e?s?|r[ée]alis[ée]e?s?|r[ée]dig[ée]e?s?"
    r"|transcrits?|traduits?|(?:un|une)\s+(?:reportage|vid[ée]o|interview|entretien|article)|photos?|cr[ée]dits?)"
    r"\s+(?:par|de|d['’])\s*[^.!?\n]{0,80}[.]?\s*$",
    re.I,
)
#: Longest NER input, in characters: over three times the longest article of a 37,500-article
#: press corpus (30,357; 99.9 % are under 14,000).  Past it lies a mis-split dump, and the NER's
#: time grows with its length: up to 5 s per 100,000 characters of hostile text (measured).
MAX_CHARS = 100_000
#: Longest run without whitespace kept for the NER.  spaCy's tokenizer peels punctuation and emoji
#: off such a run one character at a time, in time quadratic in its length (measured: 20 µs a
#: character for runs of 100, 180 µs for runs of 1,000, 30 s for one run of 20,000).  No word is
#: that long: longer runs are cut to their start, which keeps a name glued to a link
#: ("Pham](/2025/11/04/grands-lacs-…", 13 articles of 37,500 in the corpus).
MAX_RUN = 100
#: Longest chunk spaCy reads at once, in characters and in estimated tokens (``estimate_tokens``).
#: Its memory grows faster than the tokens of one text (measured: 300,000 characters of the bug
#: report's page, a token every 1.25 characters, took 4.4 GB in one piece, 25 MB in chunks of
#: 2,500).  French prose makes a token every 5.5 characters, so it meets the character limit first.
CHUNK_CHARS = 10_000
CHUNK_TOKENS = 2_500
_WORD = re.compile(r"\S+")
_LONG_RUN = re.compile(rf"(?<!\S)\S{{{MAX_RUN + 1},}}")
# What spaCy makes a token of, near enough: a run of word characters, or one other character.
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Where a chunk may end, coarsest first: after line breaks, after a sentence, after a space.
_CUTS = (re.compile(r"\n+"), re.compile(r"(?<=[.!?…;:»])\s+"), re.compile(r"\s+"))
# ALL-CAPS words beside a capitalised word ("Madina SISSOKO"): title-cased for the NER, which
# misses names in capitals; acronyms standing alone ("le CNT", "(ASECNA)") are left alone.
_CAPS_WORD = re.compile(r"^[\"«(“]?([A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ’'-]+)[,.;:»”)]*$")
# A byline line: "Par Julie Peh", "Par: la rédaction", "By X".
_BYLINE = re.compile(r"^\s*(?:par|by|auteur|texte)\s*:?\s+\S.{0,60}$", re.I)
# A name-like signature: up to five capitalised words, optionally "/Outlet" ("Kandana/Malijet.com").
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-Þ][\w’'.-]*|[A-ZÀ-ÖØ-Þ]\.|de|du|ben|ould|ag)"
_SIGNATURE = re.compile(rf"^\s*(?:{_NAME_WORD}\s*){{1,5}}(?:/\s*\S+)?\s*[.,]?\s*$")
_TRAILING_SIGNATURE = re.compile(
    rf"(?<=[.!?»…\"”)])\s+((?:{_NAME_WORD}\s*){{1,5}}(?:/\s*\S+)?)(?:,\s*[\w’' -]{{1,40}})?\s*[.]?\s*$"
)
_SENTENCE_END = re.compile(r"[.!?»…\"”:;)]\s*$")
_WIDE_GAP = re.compile(r"[ \t\u00a0\u2007\u202f]{2,}")
# Two words glued by a lost space ("expliqueAdama Sangaré"): in a word that starts in lower case,
# a capital after four lower-case letters starts a name, so the NER sees the name alone.  Words
# starting with a capital are left alone: brands write "LinkedIn", "GlaxoSmithKline".
_GLUED = re.compile(r"(?<![\w’'-])([a-zß-öø-ÿ]{4,})(?=[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ])")


def _lines(text: str) -> list[str]:
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    # Some scrapers flatten paragraphs into runs of spaces (Malijet): treat them as line breaks
    # so that teasers and bylines can be recognised and entities do not run across them.
    text = _WIDE_GAP.sub("\n", text)
    return [line.strip() for line in text.split("\n")]


def clean_body(body: str, author: str | None = None) -> str:
    """Return ``body`` without comments, teasers, bylines, footers and a closing signature."""
    lines = _lines(body or "")
    # Comment starts and boilerplate lines are data: the [ner_text] section of the outlet table.
    table = outlets.table()
    out: list[str] = []
    skip_teasers = 0
    author_low = " ".join((author or "").split()).lower()
    for line in lines:
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        key = outlets.line_key(line)
        if table.is_ner_comment_start(key) or COMMENT_COUNT.fullmatch(key.rstrip(" :")):
            break
        if skip_teasers:
            skip_teasers -= 1
            if len(line) <= 250:
                continue
            end = _HEADLINE_END.search(line, 0, 300)
            if end:
                line = line[end.end():]
                key = outlets.line_key(line)
        teaser = _TEASER.search(line)
        if teaser:
            # A marker alone introduces a list of headlines on the next lines.
            skip_teasers = 0 if teaser.group(1).strip() else 3
            line = line[:teaser.start()].strip()
            if not line:
                continue
            key = outlets.line_key(line)
        # the key of the line as it now stands: cut teasers change what the boilerplate rules see
        if table.is_ner_boilerplate(key) or _BYLINE.match(line):
            continue
        if author_low and line.lower().strip(" .") in (author_low, "par " + author_low):
            continue
        out.append(line)
    # Closing signature: the last line alone ("Mohamed Keita"), or glued after the last sentence.
    while out and not out[-1]:
        out.pop()
    # A signature may be followed by a few non-sentence lines (site menus, a "Source" credit).
    tail = [i for i, line in enumerate(out) if line][-4:]
    for i in reversed(tail):
        if i > 0 and _SIGNATURE.match(out[i]):
            del out[i:]
            break
        if _SENTENCE_END.search(out[i]):
            break
    while out and not out[-1]:
        out.pop()
    if out:
        out[-1] = _TRAILING_SIGNATURE.sub("", _CREDIT.sub("", out[-1]))
    return "\n".join(out)


def _is_capitalised(word: str) -> bool:
    word = word.strip("\"«(“,.;:»”)")
    return len(word) > 1 and word[0].isupper() and any(c.islower() for c in word[1:])


def _title_case_caps(line: str) -> str:
    """Title-case ALL-CAPS words beside a capitalised word ("Madina SISSOKO" → "Madina Sissoko")."""
    words = list(_WORD.finditer(line))
    caps = [_CAPS_WORD.match(m.group(0)) for m in words]
    if not any(caps):
        return line
    # A run of capitals ("MAHAMAT ASSOUYOUTI Abakar") is a name when a capitalised word touches it.
    name_like = [False] * len(words)
    i = 0
    while i < len(words):
        if not caps[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(words) and caps[j + 1]:
            j += 1
        left = words[i - 1].group(0) if i > 0 else ""
        right = words[j + 1].group(0) if j + 1 < len(words) else ""
        # "le CNT Moussa Mara": an acronym after a determiner stays an acronym.
        after_lower = left[:1].islower()
        if j - i < 4 and (_is_capitalised(left) or (_is_capitalised(right) and not after_lower)):
            for k in range(i, j + 1):
                name_like[k] = True
        i = j + 1
    out, last = [], 0
    for m, cap, keep in zip(words, caps, name_like):
        if not keep:
            continue
        start, end = m.start() + cap.start(1), m.start() + cap.end(1)
        out.append(line[last:start])
        out.append(display_case(cap.group(1)))
        last = end
    out.append(line[last:])
    return "".join(out)


def ner_text(article: dict) -> str:
    """Return the text to run the person NER on: the title, a blank line, then the clean body."""
    title = " ".join(nfc(str(article.get("title") or "")).split())
    body = article.get("body") or ""
    if not isinstance(body, str):
        body = ""
    author = article.get("author") if isinstance(article.get("author"), str) else None
    cleaned = clean_body(body, author)
    text = f"{title}\n\n{cleaned}" if title else cleaned
    text = _LONG_RUN.sub(lambda m: m.group(0)[:MAX_RUN], text)
    text = text[:MAX_CHARS]  # a runaway "article" (a whole site dump) must not stall the NER
    return "\n".join(_title_case_caps(_GLUED.sub(r"\1 ", line)) for line in text.split("\n"))


def estimate_tokens(text: str) -> int:
    """Return about how many tokens spaCy makes of ``text``: its words and other characters."""
    return len(_TOKEN.findall(text))


def _pieces(text: str, max_chars: int, max_tokens: int, level: int = 0):
    """Yield ``(piece, tokens)`` covering ``text`` in order, cut at the coarsest boundary that fits."""
    tokens = estimate_tokens(text)
    if len(text) <= max_chars and tokens <= max_tokens:
        yield text, tokens
        return
    if level == len(_CUTS):  # no boundary left: a hard cut (a token is at least one character)
        step = max(1, min(max_chars, max_tokens))
        for start in range(0, len(text), step):
            yield text[start:start + step], estimate_tokens(text[start:start + step])
        return
    start = 0
    for m in _CUTS[level].finditer(text):
        if m.end() > start:
            yield from _pieces(text[start:m.end()], max_chars, max_tokens, level + 1)
            start = m.end()
    if start < len(text):
        yield from _pieces(text[start:], max_chars, max_tokens, level + 1)


def ner_chunks(text: str, max_chars: int = CHUNK_CHARS, max_tokens: int = CHUNK_TOKENS) -> list[str]:
    """Return ``text`` in consecutive chunks within both limits, cut at line, sentence or word ends."""
    chunks: list[str] = []
    parts: list[str] = []
    chars = tokens = 0
    for piece, n in _pieces(text, max_chars, max_tokens):
        if parts and (chars + len(piece) > max_chars or tokens + n > max_tokens):
            chunks.append("".join(parts))
            parts, chars, tokens = [], 0, 0
        parts.append(piece)
        chars += len(piece)
        tokens += n
    if parts:
        chunks.append("".join(parts))
    return [c for c in chunks if c.strip()]  # blank chunks hold no name
