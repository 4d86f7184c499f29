"""French analysis for Whoosh: elision, accent folding, stop words, protected stemming.

PLACEHOLDER: the analysis issue replaces these with the real French analyzers.
"""

from __future__ import annotations

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.support.charset import accent_map


def french_analyzer():
    """Return the stemmed, accent-folded analyzer for titles, bodies and comments."""
    return StemmingAnalyzer(lang="fr") | CharsetFilter(accent_map)


def exact_analyzer():
    """Return the unstemmed, accent-folded analyzer for phrases and suggestions."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def keyword_analyzer():
    """Return the analyzer for names (persons, outlets, authors) searched word by word."""
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
