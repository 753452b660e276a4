"""Datasette page /-/coverage/DATABASE: the `litbase coverage` report, per source.

A hook over litbase.graph.coverage (the same SQL as the command line); registered
through its own ``datasette`` entry point in pyproject.toml. ``.json`` gives the
rows; ``?has=icite&lacks=pubmed`` lists the links one source lacks.
"""

from __future__ import annotations

from datasette.utils.asgi import NotFound, Response

from litbase.graph.coverage import COLUMNS, UnknownCollection, coverage, differences
from litbase.model.link_sources import SOURCES
from litbase.publish.views import read, requested_database
from litbase.store.site import collection_names

DIFFERENCE_COLUMNS = ("citing", "cited", "verdict", "reported_by")


async def coverage_page(datasette, request):
    # The same permission checks as the database's own page: a private database stays private.
    name, db = await requested_database(datasette, request)
    if not await db.table_exists("article_sources"):
        raise NotFound(f"{name} was made by an older litbase; any litbase command on it adds the coverage tables")
    collection = request.args.get("collection") or None
    has, lacks = request.args.get("has"), request.args.get("lacks")
    if (has or lacks) and not (has in SOURCES and lacks in SOURCES and has != lacks):
        return Response.json({"ok": False, "error": f"has and lacks must be two of {', '.join(SOURCES)}"},
                             status=400)

    def report(conn):
        rows = coverage(conn, collection)
        links = differences(conn, has, lacks, collection) if has else None
        return rows, links

    try:
        rows, links = await db.execute_fn(report)
    except UnknownCollection as error:
        raise NotFound(str(error))
    if request.url_vars.get("as_json"):
        return Response.json({"database": name, "collection": collection, "coverage": rows,
                              "has": has, "lacks": lacks, "links": links})
    collections = await read(datasette, db, collection_names)
    html = await datasette.render_template(
        "litbase_coverage.html",
        {"database": name, "collection": collection, "collections": collections, "rows": rows,
         "columns": COLUMNS, "has": has, "lacks": lacks, "links": links,
         "link_columns": DIFFERENCE_COLUMNS, "sources": SOURCES},
        request=request,
    )
    return Response.html(html)


ROUTES = [(r"^/-/coverage/(?P<database>[^/]+?)(?P<as_json>\.json)?$", coverage_page)]
