"""litbase's Datasette plugin: hooks only; the work is in publish_helpers, charts and network_svg.

Registered through the ``datasette`` entry point in pyproject.toml.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import BadRequest, NotFound, Response
from jinja2 import BaseLoader, ChoiceLoader, TemplateNotFound
from markupsafe import Markup

from . import publish_helpers as helpers
from .charts import year_chart_svg
from .network_svg import network_svg
from .network_view import network_data

# Datasette looks for row-<database>-<table>.html before row.html; every
# database's articles table gets the article page, whatever the file is called.
ARTICLE_ROW_TEMPLATE = re.compile(r"row-.+-articles\.html")


class PackageTemplates(BaseLoader):
    """litbase/templates, plus the article page under Datasette's per-table row names.

    Added after Datasette's own loaders, so a --template-dir still overrides it.
    (Datasette 0.65 finds a plugin's templates/ only when the plugin is a
    package; this plugin is a module of the litbase package.)
    """

    def get_source(self, environment, template):
        if ARTICLE_ROW_TEMPLATE.fullmatch(template):
            template = "litbase_article_row.html"
        if not template.startswith("litbase_"):
            raise TemplateNotFound(template)
        path = resources.files("litbase").joinpath("templates", template)
        if not path.is_file():
            raise TemplateNotFound(template)
        return path.read_text(encoding="utf-8"), None, lambda: True

    def list_templates(self):
        # Datasette lists every template at startup (to find pages/*.html).
        folder = resources.files("litbase").joinpath("templates")
        return sorted(p.name for p in folder.iterdir() if p.name.startswith("litbase_"))


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.loader = ChoiceLoader([env.loader, PackageTemplates()])


def _article_url(datasette, database):
    return lambda pmid: datasette.urls.row(database, "articles", str(pmid))


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    return helpers.render_cell_html(column, value, _article_url(datasette, database))


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/litbase/static/litbase.css")]


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name != "row" or table != "articles" or request is None:
        return {}

    async def article_vars():
        try:
            pmid = int(tilde_decode(request.url_vars["pks"]))
        except (KeyError, ValueError):
            return {}
        db = datasette.get_database(database)
        params = {"pmid": pmid}
        article = (await db.execute(helpers.ARTICLE_SQL, params)).first()
        if article is None:
            return {}
        provenance = None
        if await db.table_exists("article_provenance"):
            provenance = (await db.execute(helpers.PROVENANCE_SQL, params)).first()
        page = helpers.article_page(
            dict(article),
            [dict(r) for r in await db.execute(helpers.REFERENCES_SQL, params)],
            [dict(r) for r in await db.execute(helpers.CITED_BY_SQL, params)],
            [dict(r) for r in await db.execute(helpers.CITING_WORKS_SQL, params)],
            dict(provenance) if provenance else None,
        )
        return {"litbase_article": page, "litbase_article_url": _article_url(datasette, database)}

    return article_vars


@hookimpl
def register_routes():
    return [
        (r"^/-/litbase/static/(?P<name>[a-z0-9_-]+\.(css|js))$", static_file),
        (r"^/-/litbase/(?P<database>[^/]+)/years\.svg$", years_svg),
        (r"^/-/litbase/(?P<database>[^/]+)/network\.svg$", network_view),
        (r"^/-/litbase/(?P<database>[^/]+)/network\.json$", network_json),
        (r"^/-/litbase/(?P<database>[^/]+)/network$", network_page),
        (r"^/-/litbase/(?P<database>[^/]+)$", overview),
    ]


async def static_file(request):
    name = request.url_vars["name"]
    path = resources.files("litbase").joinpath("static", name)
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


async def _year_chart(datasette, name, db) -> str:
    counts = {row["year"]: row["n"] for row in await db.execute(helpers.YEARS_SQL)}
    return year_chart_svg(counts, link=lambda year: datasette.urls.table(name, "articles") + f"?year={year}")


async def _network(datasette, name, db) -> str:
    nodes = [dict(r) for r in await db.execute(helpers.NODES_SQL)]
    edges = [(r["citing"], r["cited"]) for r in await db.execute(helpers.EDGES_SQL)]
    config = datasette.plugin_config("litbase") or {}
    return network_svg(nodes, edges, link=_article_url(datasette, name),
                       max_nodes=int(config.get("max_network_nodes", 300)))


async def years_svg(datasette, request):
    name, db = await requested_database(datasette, request)
    return Response(await _year_chart(datasette, name, db), content_type="image/svg+xml; charset=utf-8")


async def network_view(datasette, request):
    name, db = await requested_database(datasette, request)
    return Response(await _network(datasette, name, db), content_type="image/svg+xml; charset=utf-8")


async def _interactive_network(datasette, request):
    """The network around ?pmid=, of ?collection=, or of the whole database."""
    name, db = await requested_database(datasette, request)
    pmid = request.args.get("pmid")
    if pmid is not None and not pmid.isdigit():
        raise BadRequest(f"pmid must be a PMID, not {pmid!r}")
    pmid = int(pmid) if pmid else None
    collection = request.args.get("collection")
    config = datasette.plugin_config("litbase") or {}
    data = await db.execute_fn(lambda conn: network_data(
        conn, pmid=pmid, collection=collection, max_nodes=int(config.get("max_network_nodes", 300))))
    article_url = _article_url(datasette, name)
    for node in data["nodes"]:
        node["url"] = article_url(node["id"])
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
            "articles_count": (await db.execute("select count(*) from articles")).single_value(),
            "collections": [r[0] for r in await db.execute("select name from collections order by name")],
            "citations_count": (await db.execute(
                "select count(*) from (select distinct citing, cited from citations)")).single_value(),
        },
        request=request,
    )
    return Response.html(html)
