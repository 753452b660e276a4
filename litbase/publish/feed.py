"""Datasette plugin: an Atom feed of new citing articles and of retractions, errata and concerns.

The feed, /-/changes/DB.atom (``?collection=NAME`` for one collection), lists
the ``new_citing``, ``retracted``, ``erratum`` and ``expression_of_concern``
rows ``litbase refresh`` wrote, newest first; a flag's entry says how many
articles stored here cite the flagged one, since they are who needs to know.
The feed itself is built by ``atom_feed``, a pure function; the hooks only
fetch rows (``litbase.store.changes.feed_changes``).
Registered through the ``datasette`` entry point in pyproject.toml.
"""

from __future__ import annotations

from datasette.utils.asgi import Response
from lxml import etree

from litbase.publish.views import read, requested_database
from litbase.store.changes import feed_changes
from litbase.store.articles import utc_now

ATOM = "http://www.w3.org/2005/Atom"
FEED_LIMIT = 200


def pubmed_url(pmid) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/"


FLAG_WORDS = {"retracted": "Retracted", "erratum": "Erratum", "expression_of_concern": "Expression of concern"}
ENTRY_ANCHORS = {"erratum": "erratum", "expression_of_concern": "expression-of-concern"}


def entry_of(row: dict) -> dict:
    """One change as an entry: title, id, link, summary."""
    pmid, related = row["pmid"], row["related_pmid"]
    if row["what"] == "new_citing":
        citing = row["related_title"] or f"PMID {related}"
        cited = row["title"] or f"PMID {pmid}"
        where = ", ".join(str(p) for p in (row["related_authors"], row["related_journal"],
                                           row["related_year"]) if p)
        return {
            "title": f"{citing} cites {cited}",
            # One entry per (citing, cited) pair: stable across feed readers' polls.
            "id": f"{pubmed_url(related)}#cites-{pmid}",
            "link": pubmed_url(related),
            "summary": f"New citing article of PMID {pmid}" + (f" ({where})" if where else ""),
        }
    title = row["title"] or f"PMID {pmid}"
    anchor = ENTRY_ANCHORS.get(row["what"])
    citers = row.get("cited_by_here") or 0
    return {
        "title": f"{FLAG_WORDS[row['what']]}: {title}",
        "id": f"{pubmed_url(pmid)}#{row['what']}" if anchor is None
        else f"{pubmed_url(pmid)}#{anchor}-{related or row['id']}",
        # The notice itself when PubMed names one, else the flagged record.
        "link": pubmed_url(related) if related else pubmed_url(pmid),
        "summary": f"PMID {pmid}: {row['detail']}"
        + (f" (notice PMID {related})" if related else "")
        + (f"; {citers} article{'s' if citers != 1 else ''} stored here cite{'s' if citers == 1 else ''} it"
           if citers else "; no article stored here cites it"),
    }


def atom_feed(rows: list[dict], *, feed_url: str, title: str, updated: str) -> bytes:
    """An Atom 1.0 document with one entry per new citing article, retraction, erratum or concern."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})

    def add(parent, tag, text=None, **attributes):
        element = etree.SubElement(parent, f"{{{ATOM}}}{tag}", **attributes)
        element.text = text
        return element

    add(feed, "title", title)
    add(feed, "id", feed_url)
    add(feed, "link", rel="self", href=feed_url)
    add(feed, "updated", rows[0]["detected_at"] if rows else updated)
    add(add(feed, "author"), "name", "litbase refresh")
    for row in rows:
        entry, text = add(feed, "entry"), entry_of(row)
        add(entry, "title", text["title"])
        add(entry, "id", text["id"])
        add(entry, "link", rel="alternate", href=text["link"])
        add(entry, "updated", row["detected_at"])
        if row["what"] != "new_citing":
            add(entry, "category", term=row["what"], label=FLAG_WORDS[row["what"]])
        add(entry, "summary", text["summary"]
            + (f" in collection {row['collection']}" if row["collection"] else ""))
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8")


async def new_citing_feed(datasette, request):
    name, db = await requested_database(
        datasette, request, table="changes",
        missing="{name} has no changes table: run litbase refresh first")
    collection = request.args.get("collection") or ""
    rows = await read(datasette, db, feed_changes, collection, FEED_LIMIT)
    title = f"New citing articles and retractions in {name}" + (f", collection {collection}" if collection else "")
    body = atom_feed(rows, feed_url=datasette.absolute_url(request, request.full_path),
                     title=title, updated=utc_now())
    return Response(body.decode("utf-8"), content_type="application/atom+xml; charset=utf-8")


ROUTES = [(r"^/-/changes/(?P<database>[^/]+)\.atom$", new_citing_feed)]
