"""The forgiving query language: raw text → syntax tree, and the tree described in French.

Grammar (operators are upper case so that French words such as « et », « ou » stay words)::

    query   := or_expr
    or_expr := and_expr (("OR" | "OU") and_expr)*
    and_expr:= near (("AND" | "ET")? near)*
    near    := unary (("PROCHE" | "NEAR") ["/" n] unary)*     (words or phrases at most n words apart)
    unary   := ("NOT" | "SAUF" | "-") unary | primary
    primary := "(" or_expr ")" | field ":" primary | "…" | « … » | “…” | word | word* | word~[n]

Nothing here ever raises to the caller: :func:`parse` returns a :class:`Parsed` whose tree is
either the strict reading or, when the syntax is malformed, the plain words of the query
(``fallback=True``) with a French warning saying why. Groups nest at most ``MAX_DEPTH`` deep and
a run of negations collapses to one or none, so every later walk over the tree (building,
matching, describing) stays far from Python's recursion limit.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import takewhile
from dataclasses import dataclass, field

from search.query import dates
from search.text import MONTHS_FR, fold, nfc  # noqa: F401 (MONTHS_FR: read by search.query.service)

#: Longest query read, in characters; the rest is dropped with a warning.
MAX_QUERY_CHARS = 500
#: Most search terms kept from one query (protects the engine from pasted pages).
MAX_TERMS = 32
#: Deepest nesting of parentheses read; deeper is malformed (plain words).
MAX_DEPTH = 32

#: Field names users may type (folded, lower case) → canonical field.
FIELD_ALIASES = {
    "titre": "title", "title": "title",
    "texte": "body", "text": "body", "body": "body", "corps": "body",
    "commentaires": "comments", "commentaire": "comments", "comments": "comments", "comment": "comments",
    "auteur": "author", "author": "author",
    "media": "outlet", "journal": "outlet", "outlet": "outlet", "source": "outlet",
    "personne": "person", "person": "person", "personnes": "person",
    "annee": "year", "year": "year", "an": "year",
    "date": "date",
}

#: French names of canonical fields, for the interpretation shown to users.
FIELD_LABELS = {
    "title": "titre", "body": "texte", "comments": "commentaires", "author": "auteur",
    "outlet": "média", "person": "personne", "year": "année", "date": "date",
}

OPERATORS = {"AND": "and", "ET": "and", "&&": "and", "OR": "or", "OU": "or", "||": "or",
             "NOT": "not", "SAUF": "not"}

#: ``barkhane PROCHE/10 macron``: at most this many words apart by default, and at most.
NEAR_DEFAULT = 10
NEAR_MAX = 100
_NEAR = re.compile(r"^(?:PROCHE|NEAR)(?:/(\d{1,4}))?$")

#: Opening quote → accepted closing quotes.
QUOTES = {'"': '"”“', "«": "»", "“": "”\"", "„": "“”\"", "‘‘": "’’"}

_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_WORDS = re.compile(r"\w+(?:['’]\w+)*", re.U)
_FIELD = re.compile(r"^([^\W\d_]+):(.*)$", re.U)
_FIELD_NAMES = re.compile(r"(?<!\w)([^\W\d_]+):", re.U)
_FUZZY = re.compile(r"^(.+?)~([0-9]?)$", re.S)
_YEAR_RANGE = re.compile(r"^(\d{4})?(?:\.\.|–|-)(\d{4})?$")


class ParseError(ValueError):
    """Raised inside the parser when the strict reading fails (never escapes :func:`parse`)."""


# ---------------------------------------------------------------- syntax tree


@dataclass
class Word:
    """A single word; ``mode`` is ``word``, ``prefix`` (coop*), ``fuzzy`` (Beloussof~) or ``url``."""

    text: str
    field: str | None = None
    mode: str = "word"
    dist: int = 0


@dataclass
class Phrase:
    """Words that must follow each other, matched unstemmed."""

    text: str
    field: str | None = None


@dataclass
class DateRange:
    """An inclusive range on ``date_sort`` (YYYYMMDD integers); None for an open end."""

    lo: int | None
    hi: int | None
    label: str

    def bounds(self) -> tuple[int, int | None] | None:
        """Return the range to match, or None when it holds no day (0 is undated: never in a range)."""
        lo = max(self.lo or 0, 1)
        return None if self.hi is not None and self.hi < lo else (lo, self.hi)


@dataclass
class YearIs:
    """``annee:2023`` or ``annee:2021..2023`` (inclusive years as strings)."""

    lo: str | None
    hi: str | None


@dataclass
class Near:
    """Words or phrases found at most ``distance`` words apart, in any order, in one field."""

    children: list
    distance: int = NEAR_DEFAULT


@dataclass
class Bool:
    """``and`` or ``or`` over children."""

    op: str
    children: list = field(default_factory=list)


@dataclass
class Not:
    """Documents not matching the child."""

    child: object


@dataclass
class Parsed:
    """The outcome of reading a query: tree (None = every article), and how it was read."""

    text: str
    tree: object | None
    fallback: bool = False
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None


# ---------------------------------------------------------------- cleaning and lexing


def clean_query(raw: str | None) -> tuple[str, list[str]]:
    """Return the query NFC-normalised, without control characters, capped, and warnings."""
    warnings: list[str] = []
    text = nfc(raw or "")
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn") or cat.startswith("Z"):
            out.append(" ")
        else:
            out.append(ch)
    text = " ".join("".join(out).split())
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS]
        if " " in cut[-40:]:
            cut = cut[: cut.rindex(" ")]
        elif text[MAX_QUERY_CHARS].isalnum() and (m := re.search(r"\w+$", cut)) and m.start():
            cut = cut[: m.start()]  # "…(titre:(tit": no half word searched
        text = cut
        warnings.append(f"Requête trop longue : seuls les {MAX_QUERY_CHARS} premiers caractères sont pris en compte.")
    return text, warnings


@dataclass
class _Tok:
    kind: str  # word, phrase, lparen, rparen, op, field, minus
    value: str = ""
    extra: str = ""


def _closing_quote(text: str, i: int) -> tuple[str, int] | None:
    for opener, closers in QUOTES.items():
        if text.startswith(opener, i):
            return closers, len(opener)
    return None


def lex(text: str) -> list[_Tok]:
    """Cut the cleaned query into tokens; raise ParseError on an unclosed quote."""
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        quote = _closing_quote(text, i)
        if quote is not None:
            closers, width = quote
            j = i + width
            while j < n and text[j] not in closers:
                j += 1
            if j >= n:
                raise ParseError("guillemet non fermé")
            toks.append(_Tok("phrase", text[i + width : j].strip()))
            i = j + 1
            continue
        if ch == "(":
            toks.append(_Tok("lparen"))
            i += 1
            continue
        if ch == ")":
            toks.append(_Tok("rparen"))
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in "()" and _closing_quote(text, j) is None:
            j += 1
        chunk = text[i:j]
        i = j
        if chunk in OPERATORS:
            toks.append(_Tok("op", OPERATORS[chunk]))
            continue
        if (near := _NEAR.match(chunk)) is not None:
            toks.append(_Tok("near", int(near.group(1) or NEAR_DEFAULT)))
            continue
        if chunk.strip("-") == "" and j < n and (text[j] == "(" or _closing_quote(text, j) is not None):
            toks.append(_Tok("minus"))  # -(niger OU sahel), -"forces armées": a dash alone stays a dash
            continue
        if chunk.startswith("-") and len(chunk) > 1 and not _URL.match(chunk):
            toks.append(_Tok("minus"))
            chunk = chunk.lstrip("-")
        elif chunk.startswith("+") and len(chunk) > 1:
            chunk = chunk.lstrip("+")
        fields = 0
        while not _URL.match(chunk) and (m := _FIELD.match(chunk)) and fold(m.group(1)).lower() in FIELD_ALIASES:
            # "titre:auteur:x" is two fields in a row (malformed), not a field and the word "auteur:x"
            toks.append(_Tok("field", FIELD_ALIASES[fold(m.group(1)).lower()]))
            chunk = m.group(2)
            fields += 1
        if chunk or not fields:
            toks.append(_Tok("word", chunk))
    return toks


# ---------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, toks: list[_Tok]):
        self.toks = toks
        self.i = 0
        self.warnings: list[str] = []
        self.terms = 0
        self.depth = 0  # parentheses open around the current token

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self):
        node = self.or_expr()
        if self.peek() is not None:
            raise ParseError("parenthèse fermante en trop" if self.peek().kind == "rparen" else "syntaxe inattendue")
        return node

    def or_expr(self):
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.value == "or":
            self.take()
            children.append(self.and_expr())
        return _simplify(Bool("or", children))

    def and_expr(self):
        children = [self.near()]
        while (tok := self.peek()) is not None and tok.kind != "rparen":
            if tok.kind == "op" and tok.value == "or":
                break
            if tok.kind == "op" and tok.value == "and":
                self.take()
            children.append(self.near())
        return _simplify(Bool("and", children))

    def near(self):
        node = self.unary()
        if (tok := self.peek()) is None or tok.kind != "near":
            return node
        children, distance = [node], NEAR_MAX
        while (tok := self.peek()) is not None and tok.kind == "near":
            self.take()
            if self.peek() is None:
                raise ParseError("PROCHE sans second terme")
            distance = min(distance, tok.value)
            children.append(self.unary())
        if not all(isinstance(c, (Word, Phrase)) and c.field not in ("person", "outlet", "author", "year", "date")
                   and (not isinstance(c, Word) or c.mode == "word") for c in children):
            raise ParseError("PROCHE relie des mots ou des expressions, sans groupe ni exclusion")
        if distance > NEAR_MAX:
            raise ParseError(f"PROCHE au plus /{NEAR_MAX}")
        return Near(children, max(1, distance))

    def unary(self):
        negations = 0
        # a loop, not recursion: "NOT NOT NOT … x" is one negation or none, however long the run
        while (tok := self.peek()) is not None and (tok.kind == "minus" or (tok.kind == "op" and tok.value == "not")):
            self.take()
            negations += 1
        if self.peek() is None:
            raise ParseError("opérateur sans terme")
        node = self.primary(None)
        return Not(node) if negations % 2 else node

    def primary(self, fieldname: str | None):
        tok = self.peek()
        if tok is None:
            raise ParseError("terme manquant")
        if tok.kind == "op":
            raise ParseError(f"opérateur mal placé ({tok.value.upper()})")
        if tok.kind == "near":
            raise ParseError("PROCHE mal placé")
        if tok.kind == "rparen":
            raise ParseError("parenthèse fermante en trop")
        self.take()
        if tok.kind == "lparen":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ParseError(f"plus de {MAX_DEPTH} parenthèses imbriquées")
            if fieldname is None:
                node = self.or_expr()
            else:
                node = self._field_group(fieldname)
            if (close := self.peek()) is None or close.kind != "rparen":
                raise ParseError("parenthèse non fermée")
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "field":
            nxt = self.peek()
            if fieldname is not None or (nxt is not None and nxt.kind == "field"):
                raise ParseError("deux champs de suite")
            if nxt is None or nxt.kind in ("rparen", "op", "minus"):
                raise ParseError(f"champ « {FIELD_LABELS[tok.value]}: » sans valeur")
            return self.primary(tok.value)
        if tok.kind == "phrase":
            self._count()
            if fieldname in ("year", "date"):
                return _date_value(fieldname, tok.value)
            if not _WORDS.search(tok.value):
                self.warnings.append("Expression vide entre guillemets ignorée.")
                return None
            return Phrase(tok.value, fieldname)
        if fieldname == "date":
            self._count()
            following = [t.value for t in takewhile(lambda t: t.kind == "word", self.toks[self.i : self.i + 4])]
            node, used = _date_phrase(tok.value, following)
            self.i += used
            return node
        return self._word(tok.value, fieldname)

    def _field_group(self, fieldname):
        # titre:(mali OU niger): the field distributes over every word of the group
        start = self.i
        node = self.or_expr()
        return _apply_field(node, fieldname, self.toks[start : self.i])

    def _count(self):
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise _TooMany()

    def _word(self, raw: str, fieldname: str | None):
        self._count()
        if fieldname in ("year", "date"):
            return _date_value(fieldname, raw)
        if _URL.match(raw):
            return Word(raw.rstrip(".,;"), fieldname, "url")
        m = _FUZZY.match(raw)
        if m and _WORDS.search(m.group(1)):
            return Word(m.group(1), fieldname, "fuzzy", int(m.group(2) or 0))
        if raw.endswith("*"):
            stem = raw.rstrip("*")
            if stem.startswith("*") or "*" in stem:
                self.warnings.append(f"Joker « * » au début ou au milieu d'un mot ignoré ({raw}).")
                stem = stem.replace("*", "")
            if not _WORDS.search(stem):
                self.warnings.append("« * » seul ne cherche rien : ignoré.")
                return None
            if len(fold(stem)) < 2:
                self.warnings.append(f"Préfixe trop court ({raw}) : cherché comme un mot entier.")
                return Word(stem, fieldname)
            return Word(stem, fieldname, "prefix")
        if "*" in raw:
            stripped = raw.replace("*", "")
            if _WORDS.search(stripped):
                self.warnings.append(f"Joker « * » au début ou au milieu d'un mot ignoré ({raw}).")
            raw = stripped
        if raw.endswith("~"):
            raise ParseError("« ~ » sans mot")
        if not _WORDS.search(raw):
            return None  # punctuation only: nothing to search
        return Word(raw, fieldname)


class _TooMany(Exception):
    pass


def _apply_field(node, fieldname, toks):
    if isinstance(node, (Word, Phrase)):
        node.field = node.field or fieldname
        return node
    if isinstance(node, Bool):
        node.children = [_apply_field(c, fieldname, toks) for c in node.children]
        return node
    if isinstance(node, Not):
        node.child = _apply_field(node.child, fieldname, toks)
        return node
    return node


def _simplify(node):
    if isinstance(node, Bool):
        kids = []
        for child in node.children:
            child = _simplify(child)
            if child is None:
                continue
            if isinstance(child, Bool) and child.op == node.op and not _one_date(child):
                kids.extend(child.children)
            else:
                kids.append(child)
        if not kids:
            return None
        if len(kids) == 1:
            return kids[0]
        node.children = kids
        return node
    if isinstance(node, Not):
        child = _simplify(node.child)
        if isinstance(child, Not):
            return child.child  # -(-(x)): x
        return Not(child) if child is not None else None
    return node


def _date_value(fieldname: str, raw: str):
    raw = raw.strip()
    if fieldname == "year":
        if re.fullmatch(r"\d{4}", raw) and raw != "0000":
            return YearIs(raw, raw)
        m = _YEAR_RANGE.match(raw)
        if m and (m.group(1) or m.group(2)) and "0000" not in (m.group(1), m.group(2)):
            lo, hi = m.group(1), m.group(2)
            if lo and hi and lo > hi:
                lo, hi = hi, lo
            return YearIs(lo, hi)
        raise ParseError(f"année invalide ({raw})")
    try:
        lo, hi = dates.parse_range(raw)
    except dates.DateError as exc:
        raise ParseError(str(exc)) from None
    label = dates.range_label(lo, hi)
    # normalised here into ranges of date_sort keys, the form search.query.build reads
    parts = [DateRange(a, b, label) for a, b in dates.point_ranges(*dates.bounds(lo and lo.first, hi and hi.last))]
    return parts[0] if len(parts) == 1 else Bool("or", parts)


def _date_phrase(value: str, following: list[str]) -> tuple[object, int]:
    """Return the date read from ``value`` and the most following words it needs (« novembre 2019 »)."""
    for n in range(min(len(following), 4), 0, -1):
        try:
            return _date_value("date", " ".join([value, *following[:n]])), n
        except ParseError:
            continue
    return _date_value("date", value), 0


def plain_words(text: str) -> list[str]:
    """Return the words of ``text`` with every operator and syntax character removed."""
    words = []
    for chunk in re.split(r"[\s()]+", text):
        if chunk in OPERATORS or _NEAR.match(chunk):
            continue
        # "titre:" is syntax, not a word to search, also inside a group: "(titre:(mali"
        chunk = _FIELD_NAMES.sub(lambda m: "" if fold(m.group(1)).lower() in FIELD_ALIASES else m.group(0), chunk)
        for m in _WORDS.finditer(chunk):
            words.append(m.group(0))
    return words[:MAX_TERMS]


def parse(raw: str | None) -> Parsed:
    """Read a user query; never raises. An empty tree (None) means every article."""
    text, warnings = clean_query(raw)
    if not text:
        return Parsed(text, None, False, warnings)
    try:
        parser = _Parser(lex(text))
        tree = _simplify(parser.parse())
        warnings += parser.warnings
        if tree is None:
            warnings.append("Aucun mot à chercher dans la requête : tous les articles sont affichés.")
            return Parsed(text, None, True, warnings, "aucun mot")
        return Parsed(text, tree, False, warnings)
    except ParseError as exc:
        reason = str(exc)
    except _TooMany:
        reason = None
        warnings.append(f"Trop de termes : seuls les {MAX_TERMS} premiers sont cherchés.")
    words = plain_words(text)
    tree = _simplify(Bool("and", [Word(w) for w in words]))
    if reason:
        warnings.append(f"Requête mal formée ({reason}) : lue comme une simple suite de mots.")
    if tree is None:
        warnings.append("Aucun mot à chercher dans la requête : tous les articles sont affichés.")
    return Parsed(text, tree, True, warnings, reason)


# ---------------------------------------------------------------- description


def describe(tree, notes: dict | None = None) -> str:
    """Describe a tree in French, e.g. ``titre:sécurité ET (mali OU niger) SAUF russie``."""
    if tree is None:
        return "tous les articles"
    return _describe(tree, notes or {}, top=True)


def _describe(node, notes, top=False) -> str:
    if isinstance(node, Word):
        prefix = f"{FIELD_LABELS[node.field]}:" if node.field else ""
        text = node.text
        if node.mode == "prefix":
            text += "*"
        elif node.mode == "fuzzy":
            text += "~" + (str(node.dist) if node.dist else "")
        extra = notes.get(id(node))
        return prefix + text + (f" ({extra})" if extra else "")
    if isinstance(node, Phrase):
        prefix = f"{FIELD_LABELS[node.field]}:" if node.field else ""
        extra = notes.get(id(node))
        return f"{prefix}« {node.text} »" + (f" ({extra})" if extra else "")
    if isinstance(node, DateRange):
        return f"date : {node.label}"
    if isinstance(node, YearIs):
        if node.lo == node.hi:
            return f"année : {node.lo}"
        return f"année : {node.lo or '…'} à {node.hi or '…'}"
    if isinstance(node, Near):
        return f" à {node.distance} mots au plus de ".join(_describe(c, notes) for c in node.children)
    if isinstance(node, Not):
        part = _describe(node.child, notes)
        return "SAUF " + (f"({part})" if isinstance(node.child, Bool) and not _one_date(node.child) else part)
    if _one_date(node):
        return f"date : {node.children[0].label}"  # one date range cut into index ranges
    if isinstance(node, Bool):
        joiner = " OU " if node.op == "or" else " ET "
        parts = []
        for child in node.children:
            part = _describe(child, notes)
            if isinstance(child, Bool) and not _one_date(child):
                part = f"({part})"
            parts.append(part)
        if node.op == "and":
            # "a ET SAUF b" reads badly: "a SAUF b"
            text = parts[0]
            for child, part in zip(node.children[1:], parts[1:]):
                text += (" " if isinstance(child, Not) else joiner) + part
            return text
        return joiner.join(parts)
    return str(node)


def _one_date(node) -> bool:
    """True for the ranges one ``date:`` value became (same label): described as one date."""
    return isinstance(node, Bool) and node.op == "or" and all(isinstance(c, DateRange) for c in node.children) \
        and len({c.label for c in node.children}) == 1


def translate_children(node: Bool, translate, negated: bool) -> tuple[list, list]:
    """Return a Bool's children translated by ``translate(child, negated)``: the positive ones and
    the negated ones (``Not`` children, translated with the negation flipped); None results dropped.

    Every engine's translator (Whoosh's builder, the OpenSearch query) walks a Bool this way.
    """
    pos, neg = [], []
    for child in node.children:
        if isinstance(child, Not):
            q = translate(child.child, not negated)
            if q is not None:
                neg.append(q)
        else:
            q = translate(child, negated)
            if q is not None:
                pos.append(q)
    return pos, neg


def iter_nodes(tree, negated: bool = False):
    """Yield ``(node, negated)`` for every leaf of the tree."""
    if tree is None:
        return
    if isinstance(tree, (Bool, Near)):
        for child in tree.children:
            yield from iter_nodes(child, negated)
    elif isinstance(tree, Not):
        yield from iter_nodes(tree.child, not negated)
    else:
        yield tree, negated
