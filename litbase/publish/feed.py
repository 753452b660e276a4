"""Datasette plugin: an Atom feed of new citing articles.

The feed, /-/changes/DB.atom (``?collection=NAME`` for one collection), lists
the ``new_citing`` rows ``litbase refresh`` wrote, newest first. The feed
itself is built by ``atom_feed``, a pure function; the hooks only fetch rows
(``litbase.store.site.new_citing``).
Registered through the ``datasette`` entry point in pyproject.toml.
"""

from __future__ import annotations

from datasette.utils.asgi import Response
from lxml import etree

from litbase.publish.views import read, requested_database
from litbase.store import site
from litbase.store.articles import utc_now

ATOM = "http://www.w3.org/2005/Atom"
FEED_LIMIT = 200


def pubmed_url(pmid) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/"


def atom_feed(rows: list[dict], *, feed_url: str, title: str, updated: str) -> bytes:
    """An Atom 1.0 document with one entry per new citing article."""
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
        entry = add(feed, "entry")
        citing = row["citing_title"] or f"PMID {row['citing']}"
        cited = row["cited_title"] or f"PMID {row['cited']}"
        add(entry, "title", f"{citing} cites {cited}")
        # One entry per (citing, cited) pair: stable across feed readers' polls.
        add(entry, "id", f"{pubmed_url(row['citing'])}#cites-{row['cited']}")
        add(entry, "link", rel="alternate", href=pubmed_url(row["citing"]))
        add(entry, "updated", row["detected_at"])
        where = ", ".join(str(p) for p in (row["citing_authors"], row["citing_journal"],
                                           row["citing_year"]) if p)
        add(entry, "summary", f"New citing article of PMID {row['cited']}"
            + (f" ({where})" if where else "")
            + (f" in collection {row['collection']}" if row["collection"] else ""))
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8")


async def new_citing_feed(datasette, request):
    name, db = await requested_database(
        datasette, request, table="changes",
        missing="{name} has no changes table: run litbase refresh first")
    collection = request.args.get("collection") or ""
    rows = await read(datasette, db, site.new_citing, collection, FEED_LIMIT)
    title = f"New citing articles in {name}" + (f", collection {collection}" if collection else "")
    body = atom_feed(rows, feed_url=datasette.absolute_url(request, request.full_path),
                     title=title, updated=utc_now())
    return Response(body.decode("utf-8"), content_type="application/atom+xml; charset=utf-8")


ROUTES = [(r"^/-/changes/(?P<database>[^/]+)\.atom$", new_citing_feed)]
