"""The index: article dicts → an index folder of Whoosh generations.

Enters: a source folder (walked, extracted and resolved for persons by ``reindex``). Leaves: the
index folder (``CURRENT`` pointer, ``gen-*`` Whoosh indexes with ``sources.json``,
``persons.json`` and ``vocabulary.bin``), the contract read by ``search.query``.
Modules: ``reindex`` (incremental and full runs step by step, the summary) and its steps
``sources``, ``extraction``, ``state``, ``personstep`` and ``writer``, ``analysis``
(the French analyzers, pickled into the schema), ``schema``, ``documents`` (article dict ↔ Whoosh
document), ``folder`` (generations, writer lock, ``IndexHandle``), ``progress`` and ``faults``
(named fault-injection checkpoints). Callers use ``reindex.reindex`` and ``folder.IndexHandle``.
"""
