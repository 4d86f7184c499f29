"""Persons: article dicts → the persons each article mentions, resolved across the corpus.

Enters: article dicts from extraction (title and clean body). Leaves: raw NER mentions per
article (cached by content hash in ``persons-cache.sqlite``) and a ``Resolution`` mapping each
article id to canonical display names, with the spellings merged into each name.
Modules: ``ner`` (spaCy NER, the mention cache, the worker pool: ``raw_mentions``), ``resolve``
(corpus-wide identity: ``resolve``, ``annotate``, ``list_persons``), ``nertext`` (the text the
NER reads), ``names`` (cleaning a mention into a name: titles, shape rules, stoplist, aliases),
``context`` (judging a span by the text around it: places, acronyms, titles) and the user-editable ``data/`` files. Only the indexer imports this
package: the web app never loads spaCy.
"""
