"""HTML pages: ``parse`` (detection, charset, element tree, visible text), ``page`` (the article
region and its signals for ``search.extract.textpage``) and ``meta`` (head tags, JSON-LD,
microdata, ``<time>``, comment threads)."""
