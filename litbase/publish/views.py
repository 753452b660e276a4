"""The pages litbase adds to Datasette: overview, year chart, network (SVG, JSON, page), static files.

Each page checks the same permissions as the database's own page
(``requested_database``). The SQL lives in ``litbase.store.site``, run in
Datasette's read thread by ``read`` (why functions and not SQL strings: see
that module); the HTML in ``pages``, ``charts``, ``network_svg`` and
``network_data``.
"""

from __future__ import annotations

import json
import sqlite3
from importlib import resources

from datasette.database import QueryInterrupted
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import BadRequest, NotFound, Response
from markupsafe import Markup

from litbase.publish import facets
from litbase.publish.charts import year_chart_svg
from litbase.publish.network_data import network_data
from litbase.publish.network_svg import network_svg
from litbase.store import site, site_counts


def article_url(datasette, database):
    """pmid -> the article page's path in this database."""
    # The table's path once, not datasette.urls.row per cell (a sixth of a 1,000-row query page).
    table = datasette.urls.table(database, "articles")
    return lambda pmid: f"{table}/{pmid}"


async def static_file(request):
    name = request.url_vars["name"]
    path = resources.files("litbase.publish").joinpath("static", name)
    if not path.is_file():
        raise NotFound(name)
    content_type = "text/css" if name.endswith(".css") else "text/javascript"
    return Response(path.read_text(encoding="utf-8"), content_type=f"{content_type}; charset=utf-8")


async def requested_database(datasette, request, table: str = "articles",
                             missing: str = "{name} is not a litbase database"):
    """The database named in the URL, after the same permission checks as its own page.

    Used by every litbase page; ``missing`` is the 404 message when ``table`` is absent.
    """
    name = request.url_vars["database"]
    try:
        db = datasette.get_database(name)
    except KeyError:
        raise NotFound(f"Database not found: {name}")
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    if not await db.table_exists(table):
        raise NotFound(missing.format(name=name))
    return name, db


async def read(datasette, db, fn, *args):
    """``fn(conn, *args)`` in Datasette's read thread, under its SQL time limit.

    The limit is the one ``db.execute`` applies (``sql_time_limit_ms``, here
    for the function's statements together), so a litbase page is bounded as
    Datasette's own pages are; an interrupted read raises ``QueryInterrupted``
    as ``db.execute`` does.
    """
    limit = datasette.sql_time_limit_ms

    def in_thread(conn):
        with sqlite_timelimit(conn, limit):
            try:
                return fn(conn, *args)
            except sqlite3.OperationalError as error:
                if error.args == ("interrupted",):
                    raise QueryInterrupted(error, fn.__name__, args)
                raise

    return await db.execute_fn(in_thread)


def year_counts(conn, path: str) -> dict:
    """Articles per year: from the stored facet index when current, else counted now."""
    index = facets.current_index(conn, path)
    if index is not None and "year" in index.facets:
        return dict(index.counts("year"))
    return site.year_counts(conn)


def network_rows(conn, max_nodes: int) -> tuple[list[dict], list[tuple[int, int]], int | None]:
    """Nodes, links and the number of articles of the overview drawing: ranked ahead when current."""
    if facets.valid_inputs(conn) is not None:
        ranked = site_counts.overview_network(conn, max_nodes)
        if ranked is not None:
            return (*ranked, site_counts.site_facts(conn)["articles_count"])
    return (*site.citation_network(conn), None)


def overview_counts(conn) -> dict:
    """Articles, distinct links and collections: stored counts when current."""
    if facets.valid_inputs(conn) is not None:
        stored = site_counts.site_facts(conn)
        return {"articles_count": stored["articles_count"], "citations_count": stored["citations_count"],
                "collections": site.collection_names(conn)}
    return site.overview_counts(conn)


async def _year_chart(datasette, name, db) -> str:
    counts = await read(datasette, db, year_counts, db.path)
    return year_chart_svg(counts, link=lambda year: datasette.urls.table(name, "articles") + f"?year={year}")


async def _network(datasette, name, db) -> str:
    config = datasette.plugin_config("litbase") or {}
    max_nodes = int(config.get("max_network_nodes", 300))
    nodes, edges, total = await read(datasette, db, network_rows, max_nodes)
    return network_svg(nodes, edges, link=article_url(datasette, name), max_nodes=max_nodes, total=total)


async def years_svg(datasette, request):
    name, db = await requested_database(datasette, request)
    return Response(await _year_chart(datasette, name, db), content_type="image/svg+xml; charset=utf-8")


async def network_view(datasette, request):
    name, db = await requested_database(datasette, request)
    return Response(await _network(datasette, name, db), content_type="image/svg+xml; charset=utf-8")


async def _interactive_network(datasette, request):
    """The network around ?pmid=, of ?collection=, or of the whole database, capped at max_network_nodes."""
    name, db = await requested_database(datasette, request)
    pmid = request.args.get("pmid")
    if pmid is not None and not pmid.isdigit():
        raise BadRequest(f"pmid must be a PMID, not {pmid!r}")
    pmid = int(pmid) if pmid else None
    collection = request.args.get("collection")
    config = datasette.plugin_config("litbase") or {}
    # Every read is capped in SQL (ORDER BY ... LIMIT max_nodes) and the layout
    # is refined for the drawn articles only, so the cost follows the cap, not the base.
    data = await db.execute_fn(lambda conn: network_data(
        conn, pmid=pmid, collection=collection, max_nodes=int(config.get("max_network_nodes", 300))))
    if pmid is not None and not any(n["id"] == pmid for n in data["nodes"]):
        raise NotFound(f"PMID {pmid} is not in {name}")
    url_of = article_url(datasette, name)
    for node in data["nodes"]:
        node["url"] = url_of(node["id"])
    return name, data


async def network_json(datasette, request):
    _, data = await _interactive_network(datasette, request)
    return Response.json(data)


async def network_page(datasette, request):
    name, data = await _interactive_network(datasette, request)
    if data["focus"] is not None:
        heading = f"Citation network of PMID {data['focus']}"
    elif data["collection"] is not None:
        heading = f"Citation network of the collection {data['collection']}"
    else:
        heading = f"Citation network of {name}"
    # "</" cannot end the <script> block the data sits in.
    data_json = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    html = await datasette.render_template(
        "litbase_network.html",
        {"database": name, "heading": heading, "data": data, "data_json": Markup(data_json),
         "json_url": request.path + ".json" + (f"?{request.query_string}" if request.query_string else "")},
        request=request,
    )
    return Response.html(html)


async def overview(datasette, request):
    name, db = await requested_database(datasette, request)
    html = await datasette.render_template(
        "litbase_overview.html",
        {
            "database": name,
            "year_chart": Markup(await _year_chart(datasette, name, db)),
            "network": Markup(await _network(datasette, name, db)),
            **await read(datasette, db, overview_counts),
        },
        request=request,
    )
    return Response.html(html)


ROUTES = [
        (r"^/-/litbase/static/(?P<name>[a-z0-9_-]+\.(css|js))$", static_file),
        (r"^/-/litbase/(?P<database>[^/]+)/years\.svg$", years_svg),
        (r"^/-/litbase/(?P<database>[^/]+)/network\.svg$", network_view),
        (r"^/-/litbase/(?P<database>[^/]+)/network\.json$", network_json),
        (r"^/-/litbase/(?P<database>[^/]+)/network$", network_page),
        (r"^/-/litbase/(?P<database>[^/]+)$", overview),
    ]
