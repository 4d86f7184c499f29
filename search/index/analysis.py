"""French analysis for Whoosh: elision, accent folding, stop words, protected stemming.

One fused tokenizer class does the whole chain (tokenise, elide, stop, lowercase, fold,
restore accents, stem) with a per-process term cache: a Whoosh filter chain runs the same
steps token by token through five generators and is about twice as slow (see
``bench/bench_reindex.py --analysis``).  The class is module-level because the schema,
analyzers included, is pickled into every index.

Rules, applied identically at index and query time:

* ``l' d' j' m' n' s' t' c' qu' jusqu' lorsqu' puisqu' quoiqu' presqu'`` are stripped before
  both ``'`` and ``’``; other apostrophes are dropped inside the word (``aujourd'hui`` →
  ``aujourdhui``).
* ``N'Diaye`` is a name, not an elision: when the letter after ``N'`` is a capital (or the joined
  form is a protected word) the token is ``ndiaye``; at index time the elided part (``diaye``)
  is added at the same position, so a lower-case query ``n'diaye`` still matches.
* Stop words are an explicit French list (no English words: ``us``, ``as``, ``or`` are kept);
  a word typed without accents matches the accented stop word (``meme`` is ``même``), but an
  accented word is a stop only if listed, so the conjunction ``mais`` is dropped while the
  cereal ``maïs`` is kept (and found as ``mais``).
* Accents are folded **before** stemming, so ``securite`` and ``sécurité`` give one stem; the
  accent of ``-ée``, ``-ité``, ``-ière`` is restored first because Snowball needs it to keep
  word families together (``renforcée``/``renforcé``).
* Words of ``search/index/data/protected_words.txt`` (places, organisations, names of the region)
  are never stemmed, whatever their case, on both sides: ``Mali`` and ``mali`` give ``mali``
  while the word ``mal`` gives ``mal``.
* Hyphenated words are split (``Mali-Russie`` → ``mali``, ``russie``); numbers keep their
  decimal separators (``3,5``); dates are tokens of digits (``2023-08-02`` → ``2023 08 02``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Token, Tokenizer
from whoosh.lang import stemmer_for_language

from search.text import APOSTROPHES as _APOSTROPHES
from search.text import fold

__all__ = [
    "FrenchTokenizer", "french_analyzer", "exact_analyzer", "keyword_analyzer",
    "analyze_terms", "is_protected", "protected_words",
    "ELISIONS", "STOP_WORDS", "analysis_fingerprint", "PairTokenizer", "pair_analyzer",
    "pair_terms", "PAIR_SEP", "frequent_words", "LeadTokenizer", "lead_analyzer", "lead_weight",
    "LEAD_FULL", "LEAD_END",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
PROTECTED_FILE = DATA_DIR / "protected_words.txt"

#: Elided articles and pronouns stripped before an apostrophe.
ELISIONS = frozenset(
    "l d j m n s t c qu jusqu lorsqu puisqu quoiqu presqu".split()
)

#: French stop words, accented, lower case.  Deliberately absent: ``été`` (summer), ``as``
#: (ace), ``us`` (customs), ``or`` (gold), ``sommes`` (sums), ``fut``/``fût``, ``son``'s
#: homographs are kept as stops only where the possessive dominates.
STOP_WORDS = frozenset("""
a à ai aie aient aies ait au aux avaient avais avait avec avez aviez avions avons ayant
c ce ceci cela celà ces cet cette ceux chaque comme d dans de des du elle elles en es est et
étaient étais était étant êtes étiez étions eu eue eues eûmes eurent eus eut eux il ils j je
l la le les leur leurs lui m ma mais me même mêmes mes moi mon n ne ni nos notre nous on ont
ou où par pas pour qu que quel quelle quelles quels qui s sa sans se sera serai seraient
serais serait seras serez seriez serions serons seront ses si soi soient sois soit sont
sur t ta te tes toi ton tu un une vos votre vous y
""".split())

_FOLDED_STOPS = frozenset(fold(w) for w in STOP_WORDS)

_APOS_RE = re.compile(f"[{_APOSTROPHES}]")
# A number with decimal or thousands separators ("3,5", "1.000"), else a run of letters and
# digits possibly joined by apostrophes ("l'avenir", "aujourd'hui").  Hyphens, dots between
# letters ("grève.Des") and underscores split words.
_TOKEN_RE = re.compile(rf"\d+(?:[.,]\d+)+|[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
#: The same rule in Java's syntax, for OpenSearch's pattern tokenizer (Python's ``\d`` is Unicode's
#: decimal digits, ``[^\W_]`` its letters and numbers).
TOKEN_PATTERN_JAVA = rf"\p{{Nd}}+(?:[.,]\p{{Nd}}+)+|[\p{{L}}\p{{N}}]+(?:[{_APOSTROPHES}][\p{{L}}\p{{N}}]+)*"
MAX_TOKEN = 60  # longer runs are URLs, hashes or base64, not words
_CACHE_LIMIT = 400_000

# accent-restoration: folded suffix → accented suffix Snowball expects
_RESTORE = (
    ("ieres", "ières"), ("iere", "ière"),
    ("ites", "ités"), ("ite", "ité"),
    ("ees", "ées"), ("ee", "ée"),
)

_stemmer = stemmer_for_language("fr")


@lru_cache(maxsize=1)
def protected_words() -> frozenset[str]:
    """Return the folded lower-case words that are never stemmed."""
    words = set()
    try:
        lines = PROTECTED_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            for word in _TOKEN_RE.findall(line):
                words.add(_APOS_RE.sub("", fold(word).lower()))
    return frozenset(words)


def analysis_fingerprint() -> str:
    """Return a short hash of everything that changes the terms (bump → full reindex)."""
    h = hashlib.sha256()
    h.update(" ".join(sorted(protected_words())).encode())
    h.update(" ".join(sorted(STOP_WORDS)).encode())
    h.update(" ".join(sorted(ELISIONS)).encode())
    return h.hexdigest()[:16]


def is_protected(word: str) -> bool:
    """Return True when ``word`` (any case, accents optional) is protected from stemming."""
    return _APOS_RE.sub("", fold(word).lower()) in protected_words()


def _restore_accent(folded: str) -> str:
    for plain, accented in _RESTORE:
        if folded.endswith(plain) and len(folded) > len(plain) + 1:
            return folded[: -len(plain)] + accented
    return folded


def _split_elisions(lower: str) -> str:
    """Strip leading elided words ("qu'aujourd'hui" → "aujourd'hui")."""
    while True:
        m = _APOS_RE.search(lower)
        if not m or lower[: m.start()] not in ELISIONS or m.end() >= len(lower):
            return lower
        lower = lower[m.end():]


def _terms(raw: str, stem: bool, stops: bool, removestops: bool, index_mode: bool) -> tuple:
    """Return ``(terms, stopped)`` for one raw token; ``terms`` share one position."""
    lower = raw.lower()
    # N'Diaye, M'Bodj: a capital after the apostrophe marks a name, not an elision
    if len(raw) > 2 and lower[0] in "nm" and raw[1] in _APOSTROPHES:
        rest = raw[2:]
        joined = _APOS_RE.sub("", fold(lower[0] + rest.lower()))
        if rest[:1].isupper() or joined in protected_words():
            if index_mode:
                elided = _APOS_RE.sub("", fold(rest.lower()))
                return ((joined, elided) if elided != joined else (joined,)), False
            return (joined,), False
    word = _split_elisions(lower) if _APOS_RE.search(lower) else lower
    folded = _APOS_RE.sub("", fold(word))
    # an unaccented "meme" is the stop word "même"; an accented "maïs" is not the stop "mais"
    stopped = stops and (word in STOP_WORDS or (word.isascii() and folded in _FOLDED_STOPS))
    if stopped and removestops:
        return (), True
    if not folded:
        return (), True
    if stem and not stopped and folded.isalpha() and folded not in protected_words():
        folded = fold(_stemmer(_restore_accent(folded)))
    return (folded,), stopped


# One cache per (stem, stops, removestops, index_mode) combination; module-level so that it is
# never pickled with the schema.
_CACHES: dict[tuple, dict[str, tuple]] = {}


class FrenchTokenizer(Tokenizer):
    """The fused French analyzer: stemmed for searchable fields, unstemmed for exact copies and names.

    ``stops=False`` keeps stop words (exact copies, so that a phrase matches word for word).
    """

    def __init__(self, stem: bool = True, stops: bool = True):
        self.stem = stem
        self.stops = stops
        self.is_morph = stem

    def __eq__(self, other):
        return other is not None and type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self):
        return hash((type(self).__name__, self.stem, self.stops))

    def index_positions(self, value, memo=None) -> dict[str, list[int]]:
        """Return ``term → positions`` of ``value`` as indexed (the unstopped tokens in index mode)."""
        out: dict[str, list[int]] = {}
        for pos, terms in enumerate(_groups(value, self.stem, getattr(self, "stops", True), memo)):
            for text in terms:
                found = out.get(text)
                if found is None:
                    out[text] = [pos]
                else:
                    found.append(pos)
        return out

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        if not isinstance(value, str):
            value = "" if value is None else str(value)
        stem = self.stem and not kwargs.get("no_morph", False)
        index_mode = mode != "query"
        stops = getattr(self, "stops", True)
        key = (stem, stops, removestops, index_mode)
        cache = _CACHES.get(key)
        if cache is None:
            cache = _CACHES[key] = {}
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not value.isascii() and not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        pos = start_pos
        tokens = _TOKEN_RE.finditer(value) if tokenize else [re.match(r"(?s).*", value)]
        for m in tokens:
            raw = m.group()
            if len(raw) > MAX_TOKEN:
                continue
            entry = cache.get(raw)
            if entry is None:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                entry = cache[raw] = _terms(raw, stem, stops, removestops, index_mode)
            terms, stopped = entry
            if not terms:
                continue
            for text in terms:
                t.text = text
                t.stopped = stopped
                t.boost = 1.0
                if keeporiginal:
                    t.original = raw
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + m.start()
                    t.endchar = start_char + m.end()
                yield t
            pos += 1


def _groups(value, stem: bool, stops: bool, memo=None) -> list[tuple[str, ...]]:
    """Return the terms of each indexed position of ``value`` (index mode, stop words removed).

    The same as the tokenizer's stream, without a Token per word: the writer analyses one text
    for its stemmed, exact and pair fields, so ``memo`` (one dict per document) keeps the raw
    tokens and each analysis of a text for the next field.
    """
    if not isinstance(value, str):
        value = "" if value is None else str(value)
    key = (id(value), stem, stops)
    if memo is not None:
        hit = memo.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        raw_hit = memo.get(id(value))
        raws = raw_hit[1] if raw_hit is not None and raw_hit[0] is value else None
    else:
        raws = None
    if raws is None:
        text = value
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        raws = [r for r in (m.group() for m in _TOKEN_RE.finditer(text)) if len(r) <= MAX_TOKEN]
        if memo is not None:
            memo[id(value)] = (value, raws)
    ckey = (stem, stops, True, True)
    cache = _CACHES.get(ckey)
    if cache is None:
        cache = _CACHES[ckey] = {}
    groups = []
    for raw in raws:
        entry = cache.get(raw)
        if entry is None:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            entry = cache[raw] = _terms(raw, stem, stops, True, True)
        if entry[0]:  # a stopped token still takes its position (never, with stop words removed)
            groups.append(() if entry[1] else entry[0])
    if memo is not None:
        memo[key] = (value, groups)
    return groups


#: Joins the two words of a pair term ("forces armees"); never inside a token.
PAIR_SEP = " "


class PairTokenizer(Tokenizer):
    """Word pairs of the exact analysis ("forces armees") at the first word's position.

    A two-word phrase becomes one term lookup, and a longer phrase is a chain of pairs whose
    posting lists are far shorter than the words' (Lucene calls these shingles). With
    ``frequent`` (a set of exact terms), only pairs of two frequent words are kept: a phrase
    with a rarer word is cheap to check by positions anyway, and pairs of rare words would
    multiply the index's terms. The set is pickled with the schema, so the query side knows
    which pairs exist.
    """

    def __init__(self, frequent=None):
        self.words = FrenchTokenizer(stem=False, stops=False)
        self.frequent = frozenset(frequent) if frequent is not None else None

    def __eq__(self, other):
        return other is not None and type(other) is type(self) and \
            getattr(other, "frequent", None) == getattr(self, "frequent", None)

    def __hash__(self):
        return hash(type(self).__name__)

    def has_pair(self, first: str, second: str) -> bool:
        """Whether the pair of these two exact terms is indexed."""
        frequent = getattr(self, "frequent", None)
        return frequent is None or (first in frequent and second in frequent)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        frequent = getattr(self, "frequent", None)
        prev: list[tuple[str, int]] = []  # (term, start char) at the previous position
        cur: list[tuple[str, int]] = []
        cur_pos = None
        for w in self.words(value, positions=True, chars=True, mode=mode, start_char=start_char,
                            tokenize=tokenize):
            if w.pos != cur_pos:
                # N'Guessan gives two terms at one position: every combination is a pair
                prev = cur if cur_pos is not None and w.pos == cur_pos + 1 else []
                cur, cur_pos = [], w.pos
            cur.append((w.text, w.startchar))
            for text, startchar in prev:
                if frequent is not None and (text not in frequent or w.text not in frequent):
                    continue
                yield self._emit(t, text + PAIR_SEP + w.text, positions, chars, start_pos + w.pos - 1,
                                 startchar, w.endchar)

    def index_positions(self, value, memo=None) -> dict[str, list[int]]:
        """Return ``pair → positions`` of ``value`` as indexed (what ``__call__`` yields in index mode)."""
        frequent = getattr(self, "frequent", None)
        out: dict[str, list[int]] = {}
        prev: tuple = ()
        for pos, cur in enumerate(_groups(value, False, False, memo)):
            for a in prev:
                if frequent is not None and a not in frequent:
                    continue
                for b in cur:
                    if frequent is not None and b not in frequent:
                        continue
                    text = a + PAIR_SEP + b
                    found = out.get(text)
                    if found is None:
                        out[text] = [pos - 1]
                    else:
                        found.append(pos - 1)
            prev = cur
        return out

    @staticmethod
    def _emit(t, text, positions, chars, pos, startchar, endchar):
        t.text = text
        t.stopped = False
        t.boost = 1.0
        if positions:
            t.pos = pos
        if chars:
            t.startchar = startchar
            t.endchar = endchar
        return t


#: A word is in an article's lead, fully, within its first LEAD_FULL indexed words of the body,
#: fading to nothing at LEAD_END (positions of the stemmed body: stop words take none).
LEAD_FULL = 30
LEAD_END = 120


def lead_weight(pos: int, full: int = LEAD_FULL, end: int = LEAD_END) -> float:
    """Return how much a word first found at body position ``pos`` belongs to the lead (1 → 0)."""
    return min(1.0, max(0.0, (end - pos) / (end - full)))


class LeadTokenizer(Tokenizer):
    """The stemmed words of a body's lead, each once, weighted by how early it first comes.

    Ranking favours articles that name a typed word early (``search.query.relevance``); reading
    each candidate's positions in the body costs most of a search at a few hundred thousand
    articles, while the weight of this field's posting is the answer, read with the posting.
    The weight is ``lead_weight`` of the word's first position in the stemmed body.
    """

    def __init__(self, full: int = LEAD_FULL, end: int = LEAD_END):
        self.words = FrenchTokenizer(stem=True)
        self.full, self.end = full, end

    def __eq__(self, other):
        return other is not None and type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self):
        return hash((type(self).__name__, self.full, self.end))

    def index_weights(self, value, memo=None) -> dict[str, float]:
        """Return ``term → lead weight`` of the terms of ``value``'s first ``end`` positions (each above 0)."""
        out: dict[str, float] = {}
        for pos, terms in enumerate(_groups(value, True, True, memo)):
            if pos >= self.end:
                break
            for text in terms:
                if text not in out:
                    out[text] = lead_weight(pos, self.full, self.end)
        return out

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        if mode == "query":  # never searched; a query gets the stemmed words
            yield from self.words(value, positions=positions, chars=chars, mode=mode, tokenize=tokenize)
            return
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, weight) in enumerate(self.index_weights(value).items()):
            t.text, t.boost, t.stopped = text, weight, False
            if positions:
                t.pos = start_pos + pos
            yield t


def lead_analyzer() -> LeadTokenizer:
    """Return the analyzer of the lead field (first occurrences of stemmed words, weighted)."""
    return LeadTokenizer()


def pair_terms(words: list[str]) -> list[str]:
    """Return the pair terms of consecutive exact terms (["forces", "armees"] → ["forces armees"])."""
    return [a + PAIR_SEP + b for a, b in zip(words, words[1:])]


def french_analyzer() -> FrenchTokenizer:
    """Return the stemmed, accent-folded analyzer for titles, bodies and comments."""
    return FrenchTokenizer(stem=True)


def exact_analyzer() -> FrenchTokenizer:
    """Return the unstemmed, accent-folded analyzer for phrases and suggestions (stop words kept)."""
    return FrenchTokenizer(stem=False, stops=False)


def pair_analyzer(frequent=None) -> PairTokenizer:
    """Return the analyzer of the word-pair fields (exact words two by two; only frequent ones if given)."""
    return PairTokenizer(frequent)


#: A word is "frequent" for pairs when it is in at least this share of the sampled articles.
FREQUENT_SHARE = 0.01
#: Articles sampled (evenly spread) to find the frequent words.
FREQUENT_SAMPLE = 2000


def frequent_words(texts, share: float = FREQUENT_SHARE) -> frozenset[str]:
    """Return the exact terms found in at least ``share`` of ``texts`` (one text per article)."""
    analyzer = exact_analyzer()
    df: dict[str, int] = {}
    n = 0
    for text in texts:
        n += 1
        for term in {t.text for t in analyzer(text or "")}:
            df[term] = df.get(term, 0) + 1
    threshold = max(1, int(share * n + 0.999))
    return frozenset(t for t, c in df.items() if c >= threshold)


def keyword_analyzer() -> FrenchTokenizer:
    """Return the analyzer for names (persons, outlets, authors) searched word by word."""
    return FrenchTokenizer(stem=False)


_BY_NAME = {"french": french_analyzer, "stem": french_analyzer, "exact": exact_analyzer,
            "keyword": keyword_analyzer, "pairs": pair_analyzer}


def analyze_terms(text: str, analyzer_name: str = "french", mode: str = "query") -> list[str]:
    """Return the terms ``text`` gives in a field analysed by ``analyzer_name`` (french/exact/keyword)."""
    try:
        analyzer = _BY_NAME[analyzer_name]()
    except KeyError:
        raise ValueError(f"unknown analyzer {analyzer_name!r}") from None
    return [t.text for t in analyzer(text or "", mode=mode)]
