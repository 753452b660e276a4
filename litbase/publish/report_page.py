"""Datasette page /-/report/DATABASE?collection=NAME: the `litbase report` of a collection.

The same numbers as the command line (litbase.review.report, run in Datasette's
read thread), the PRISMA 2020 diagram inline, the methods paragraph and the
log. ``.json`` gives the report's JSON, ``.svg`` the diagram alone.
"""

from __future__ import annotations

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from litbase.model.screening import STAGES
from litbase.publish.views import read, requested_database
from litbase.review.methods import DIRECTION_PHRASES, STAGE_LABELS, methods_paragraph
from litbase.review.prisma_svg import prisma_svg
from litbase.review.report import UnknownCollection, build_report
from litbase.store.site import collection_names


async def report_page(datasette, request):
    # The same permission checks as the database's own page: a private database stays private.
    name, db = await requested_database(
        datasette, request, table="screening",
        missing="{name} was made by an older litbase; any litbase command on it adds the screening tables")
    collection = request.args.get("collection") or None
    adjudicator = request.args.get("adjudicator") or None
    fmt = request.url_vars.get("format")
    report = None
    if collection:
        try:
            # No time limit, as for the coverage and network pages: a large collection's report reads
            # every link among its members (50,000 members, 500,000 links: seconds, not milliseconds).
            report = await db.execute_fn(lambda conn: build_report(conn, collection, adjudicator))
        except UnknownCollection as error:
            raise NotFound(str(error))
    elif fmt:
        raise NotFound("name a collection: ?collection=NAME")
    if fmt == ".json":
        return Response.json(report)
    if fmt == ".svg":
        return Response(prisma_svg(report), content_type="image/svg+xml; charset=utf-8")
    collections = await read(datasette, db, collection_names)
    html = await datasette.render_template(
        "litbase_report.html",
        {"database": name, "collection": collection, "collections": collections, "report": report,
         "adjudicator": adjudicator, "stages": STAGES, "stage_labels": STAGE_LABELS,
         "direction_labels": DIRECTION_PHRASES,
         "diagram": Markup(prisma_svg(report)) if report else None,
         "methods": methods_paragraph(report) if report else None},
        request=request,
    )
    return Response.html(html)


ROUTES = [(r"^/-/report/(?P<database>[^/]+?)(?P<format>\.json|\.svg)?$", report_page)]
