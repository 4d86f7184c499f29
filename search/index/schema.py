"""The Whoosh schema: which article fields are searched, stored, and kept as facet columns.

The schema is pickled into every index, together with the analyzers from ``search.index.analysis``;
renaming a field or an analysis class is a schema change that needs ``presse reindex --full``.
"""

from __future__ import annotations

from whoosh import columns
from whoosh.fields import BOOLEAN, COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from search.index import analysis

#: Bumped whenever the schema or the analysis changes in a way that needs a full reindex.
SCHEMA_VERSION = 7  # 7: `body_lead` (the lead's words, weighted by how early they come); 6: stored `persons_dictionary` (the persons the dictionary pass found); 5: stored `credit` (agency credits kept out of `author`); 4: analyzers in search.index.analysis

#: Separator inside multi-valued column values (persons); never occurs in a name.
MULTI_SEP = "\x1f"

#: Facet fields, each read from a column of the same name (``persons`` from ``persons_col``).
FACET_COLUMNS = {
    "outlet": "outlet",
    "year": "year",
    "month": "month",
    "author": "author",
    "person": "persons_col",
}


def build_schema(frequent_words=None) -> Schema:
    """Return the schema used by every index (word pairs limited to ``frequent_words`` if given)."""
    french = analysis.french_analyzer()
    exact = analysis.exact_analyzer()
    pairs = analysis.pair_analyzer(frequent_words)
    folded_keyword = analysis.keyword_analyzer()
    return Schema(
        # identity and provenance
        id=ID(stored=True, unique=True, sortable=True),
        path=ID(stored=True),
        url=ID(stored=True),
        site=ID(stored=True, sortable=True),
        content_hash=ID(stored=True),
        # searchable text: stemmed (recall) and exact (phrases, suggestions) copies
        title=TEXT(analyzer=french, stored=True, phrase=True, field_boost=3.0),
        title_derived=BOOLEAN(stored=True),  # title made from the lead's first sentence
        title_exact=TEXT(analyzer=exact, phrase=True, field_boost=3.0),
        # word pairs of the exact text: a two-word phrase is one term, longer ones a phrase of pairs
        title_pairs=TEXT(analyzer=pairs, phrase=True, field_boost=3.0),
        body=TEXT(analyzer=french, stored=True, phrase=True),
        body_exact=TEXT(analyzer=exact, phrase=True),
        body_pairs=TEXT(analyzer=pairs, phrase=True),
        # never searched: each stemmed word of the lead once, its weight how early it first comes
        body_lead=TEXT(analyzer=analysis.lead_analyzer(), phrase=False),
        comments=TEXT(analyzer=french, phrase=True),
        comments_exact=TEXT(analyzer=exact, phrase=True),
        comments_pairs=TEXT(analyzer=pairs, phrase=True),
        comments_data=STORED(),  # list of comment dicts as extracted
        comments_count=NUMERIC(stored=True, sortable=True),
        # facets and filters (exact values, columns for counting without loading documents)
        outlet=ID(stored=True, sortable=True),
        author=ID(stored=True, sortable=True),
        credit=STORED(),  # agency or outlet credited in the byline ("AFP", "Orange avec AFP"); not a facet
        year=ID(stored=True, sortable=True),  # "2023" or "" when unknown
        month=ID(stored=True, sortable=True),  # "2023-08" or ""
        date=ID(stored=True, sortable=True),  # "2023-08-02", "2023-08", "2023" or ""
        date_sort=NUMERIC(bits=32, sortable=True, default=0),  # 20230802, 20230800, 0 if none
        date_precision=STORED(),
        date_estimated=BOOLEAN(stored=True),
        date_estimated_col=COLUMN(columns.VarBytesColumn()),  # b"1" when estimated
        persons=KEYWORD(stored=True, commas=True, lowercase=False),  # exact display names, comma-joined
        persons_col=COLUMN(columns.VarBytesColumn()),  # names joined by MULTI_SEP, UTF-8
        persons_text=TEXT(analyzer=folded_keyword),  # `personne:goita` matches "Assimi Goïta"
        persons_dictionary=STORED(),  # those of `persons` found by the dictionary pass, not the NER
        outlet_text=TEXT(analyzer=folded_keyword),  # `media:essor` matches "L'Essor"
        author_text=TEXT(analyzer=folded_keyword),
    )
