"""The query layer: URL or command-line parameters → one plain-data search result.

Enters: a parameter mapping (``SearchRequest.from_params``) and an index folder. Leaves:
``SearchResult.to_dict()``, the JSON served by ``/api/search`` and printed by ``presse search``,
plus articles, persons and similar articles for the web pages. Callers import ``service``
(``SearchService``, ``SearchRequest``, ``BadParameter``); inside are ``language`` (the query
language → syntax tree), ``build`` (tree → Whoosh query), ``match`` (numpy matching and BM25F),
``relevance``, ``facets``, ``snippets``, ``suggest`` (spelling), ``similar``, ``threads`` and
``timelimit``.
"""
