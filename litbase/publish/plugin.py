"""litbase's Datasette plugin: every hook in one place; the work is in views, pages, feed,
coverage_page and renderers.

Registered through the one ``datasette`` entry point in pyproject.toml.
"""

from __future__ import annotations

import re
from importlib import resources

from datasette import hookimpl
from datasette.utils import tilde_decode
from jinja2 import BaseLoader, ChoiceLoader, TemplateNotFound

from litbase.publish import coverage_page, facets, feed, renderers, report_page, screening_page, search_page, views
from litbase.publish.facets import CountedFacet
from litbase.publish.page_cache import cached_database_pages_app
from litbase.publish.table_columns import default_columns_app
from litbase.publish import pages as helpers
from litbase.publish.article_page import article_page, page_rows
from litbase.publish.auth import SCREEN_ACTION, is_reviewer
from litbase.publish.marks import marks_for
from litbase.publish.views import article_url
from litbase.store import search, site_counts

# Datasette looks for row-<database>-<table>.html before row.html; every
# database's articles table gets the article page, whatever the file is called.
ARTICLE_ROW_TEMPLATE = re.compile(r"row-.+-articles\.html")
# The same for the search canned query's page: query-<database>-search.html.
SEARCH_QUERY_TEMPLATE = re.compile(r"query-.+-search\.html")


class PackageTemplates(BaseLoader):
    """litbase/templates, plus the article page under Datasette's per-table row names.

    Added after Datasette's own loaders, so a --template-dir still overrides it.
    (The explicit loader also serves the article page under Datasette's
    per-table row template names, which a plain templates/ folder cannot.)
    """

    def get_source(self, environment, template):
        if ARTICLE_ROW_TEMPLATE.fullmatch(template):
            template = "litbase_article_row.html"
        if SEARCH_QUERY_TEMPLATE.fullmatch(template):
            template = "litbase_search.html"
        if not template.startswith("litbase_"):
            raise TemplateNotFound(template)
        path = resources.files("litbase.publish").joinpath("templates", template)
        if not path.is_file():
            raise TemplateNotFound(template)
        return path.read_text(encoding="utf-8"), None, lambda: True

    def list_templates(self):
        # Datasette lists every template at startup (to find pages/*.html).
        folder = resources.files("litbase.publish").joinpath("templates")
        return sorted(p.name for p in folder.iterdir() if p.name.startswith("litbase_"))


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.loader = ChoiceLoader([env.loader, PackageTemplates()])
    env.filters["pubmed_search"] = search_page.pubmed_search


@hookimpl
def prepare_connection(conn, database, datasette):
    search.register_functions(conn)  # pubmed_fts(), for the search canned query
    site_counts.tune_reader(conn)
    db = datasette.databases.get(database)
    if db is not None and db.path:  # litbase_facet_has(), for array facet selections
        facets.register_functions(conn, db.path)


@hookimpl
def startup(datasette):
    # A table page's count of array facet selections is read from the facet index.
    for db in datasette.databases.values():
        facets.count_from_index(db)


@hookimpl
def filters_from_request(request, database, table, datasette):
    return facets.selection_filters(request, database, table, datasette)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column not in helpers.PMID_COLUMNS:  # no article link to make
        return helpers.render_cell_html(column, value, None)
    url = article_url(datasette, database)
    if not isinstance(value, (int, dict)):
        return helpers.render_cell_html(column, value, url)

    async def marked():
        # The database's retracted and unknown PMIDs, read once per change of its file.
        return helpers.render_cell_html(column, value, url, await marks_for(datasette, database))

    return marked


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
        rows = await page_rows(datasette, datasette.get_database(database), pmid)
        if rows is None:
            return {}
        page = article_page(rows)
        return {"litbase_article": page, "litbase_article_url": article_url(datasette, database)}

    return article_vars


@hookimpl
def register_routes():
    return (views.ROUTES + feed.ROUTES + coverage_page.ROUTES + report_page.ROUTES
            + screening_page.ROUTES)


@hookimpl
def register_output_renderer(datasette):
    return renderers.output_renderers()


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    # Only a reviewer listed in the file given to `litbase serve --reviewers` may
    # screen; nothing else (not Datasette's root) grants it.
    if action == SCREEN_ACTION:
        return is_reviewer(screening_page.reviewers_file(datasette), actor)
    return None


@hookimpl
def forbidden(datasette, request, message):
    if request.path.startswith(("/-/screen/", datasette.urls.path("/-/screen/"))):
        return screening_page.forbidden_page(datasette, request, message)
    return None


@hookimpl
def menu_links(datasette, actor, request):
    if not screening_page.reviewers_file(datasette):
        return None
    if not is_reviewer(screening_page.reviewers_file(datasette), actor):
        return [{"href": datasette.urls.path("/-/litbase-login"), "label": "Sign in to screen"}]
    return [{"href": datasette.urls.path(f"/-/screen/{name}"), "label": f"Screen {name}"}
            for name in datasette.databases if name != "_internal"]


@hookimpl
def register_facet_classes():
    return [CountedFacet]


@hookimpl
def asgi_wrapper(datasette):
    # Outermost first: an unreadable search is refused before the articles table's default columns apply.
    return lambda app: search_page.reject_unreadable_searches(default_columns_app(
        renderers.lean_table_exports_app(cached_database_pages_app(
            facets.array_selection_app(app, datasette), datasette), datasette), datasette))
