"""A small hand-made index for precise query-layer tests (facets, sorting, pagination, XSS).

The documents are mapped by the indexer's own ``search.index.documents.to_document`` and written
with the project's schema, so the query layer is tested independently of extraction and persons.
"""

from __future__ import annotations

from pathlib import Path

from search.index import documents
from search.index import schema as sch
from search.index import folder as store


def article(id, title, body, outlet=None, date=None, persons=(), author=None, comments=(),
            estimated=False, url=None, site=None):
    """Return an article dict in the shape produced by extraction (see docs/ARCHITECTURE.md)."""
    comments = [
        c if isinstance(c, dict) else {"text": c, "author": None, "reply_to": None, "id": f"c{i}"}
        for i, c in enumerate(comments)
    ]
    precision = None if not date else {4: "year", 7: "month", 10: "day"}[len(date)]
    return {
        "id": id, "path": f"{id}.txt", "url": url, "title": title, "title_derived": False,
        "outlet": outlet, "site": site, "author": author, "date": date,
        "date_precision": precision, "date_estimated": estimated, "body": body,
        "comments": comments, "comments_count": len(comments), "persons": list(persons),
        "content_hash": f"hash-{id}",
    }


def to_doc(art: dict) -> dict:
    """Return the Whoosh document for an article dict, as the indexer maps it."""
    return documents.to_document(art)


def build_index(index_dir: Path, articles: list[dict], segments: int = 1, frequent=None) -> Path:
    """Write ``articles`` into a new published generation of ``index_dir`` (in ``segments`` commits).

    ``frequent``: the words whose pairs are indexed (None: every pair), as the indexer chooses them.
    """
    from whoosh import index as windex

    gen = store.new_generation(index_dir)
    ix = windex.create_in(str(gen), sch.build_schema(frequent))
    size = max(1, -(-len(articles) // segments))
    for start in range(0, max(len(articles), 1), size):
        writer = ix.writer()
        for art in articles[start : start + size]:
            writer.add_document(**to_doc(art))
        writer.commit(merge=False)
    store.publish(index_dir, gen)
    return Path(index_dir)


#: A corpus designed for facet, sort and highlight tests.
ARTICLES = [
    article("a1", "Coopération militaire entre le Mali et la Russie",
            "Le ministre de la Défense a signé un accord de coopération militaire à Moscou.\n\n"
            "La sécurité du Sahel est au cœur des discussions. Sergueï Lavrov a salué l'accord.",
            outlet="Maliweb", date="2023-08-02", persons=["Sadio Camara", "Sergueï Lavrov"],
            author="Mohamed Keita",
            comments=[{"text": "Bravo au ministre Camara", "author": "Lecteur", "reply_to": None, "id": "c1"},
                      {"text": "Je ne suis pas d'accord", "author": "Autre", "reply_to": "c1", "id": "c2"}]),
    article("a2", "La sécurité au Niger", "Les forces armées nigériennes renforcent la sécurité des frontières.",
            outlet="L'Essor", date="2023-05", persons=["Assimi Goïta"], author="Awa Traoré"),
    article("a3", "Sommet à Bamako", "Le président Assimi Goïta a reçu les délégations. Coopérations diverses.",
            outlet="Maliweb", date="2021", estimated=True, persons=["Assimi Goïta", "Sadio Camara"]),
    article("a4", "Économie malienne", "Le coton et l'or tirent la croissance du Mali.",
            outlet="Bamada.net", date="2022-01-15", persons=[]),
    article("a5", "Sans date", "Un article sans date sur la coopération culturelle.",
            outlet=None, date=None, persons=["Sergueï Lavrov"]),
    article("a6", "<script>alert('x')</script> Titre piégé",
            "Corps <b>gras</b> & <script>alert(1)</script> sécurité garantie.",
            outlet="<i>Evil</i>", date="2020-02-02", author="<b>Auteur</b>"),
    article("a7", "Le mal du siècle", "Un mal étrange frappe la région.", outlet="Maliweb", date="2023-08-20"),
    article("a8", "Commentaires seulement", "Un texte neutre.", outlet="L'Essor", date="2022-06-01",
            comments=["La transhumance est un sujet oublié."]),
    # identical texts (a republished story): equal scores, ordered by id
    article("d2", "Récolte de mil à Ségou", "La récolte de mil est abondante à Ségou cette année.",
            outlet="Malijet", date="2024-04-10"),
    article("d1", "Récolte de mil à Ségou", "La récolte de mil est abondante à Ségou cette année.",
            outlet="Malijet", date="2024-04-10"),
]


def verbatim_iter(path: Path):
    """Stand-in for ``extract.iter_file``: each JSONL record, or a page's first line and rest, is the article."""
    import json

    from search.extract import files as extract

    text = Path(path).read_text(encoding="utf-8")
    if not text.strip():
        raise extract.SkipFile("empty file")
    if Path(path).suffix == ".jsonl":
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)
    else:
        title, _, body = text.partition("\n")
        yield {"id": Path(path).stem, "title": title, "body": body.strip()}
