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

from litbase.publish import coverage_page, feed, renderers, views
from litbase.publish.facets import CountedFacet
from litbase.publish.table_columns import default_columns_app
from litbase.publish import pages as helpers
from litbase.publish.views import article_url, read
from litbase.store import site

# Datasette looks for row-<database>-<table>.html before row.html; every
# database's articles table gets the article page, whatever the file is called.
ARTICLE_ROW_TEMPLATE = re.compile(r"row-.+-articles\.html")


class PackageTemplates(BaseLoader):
    """litbase/templates, plus the article page under Datasette's per-table row names.

    Added after Datasette's own loaders, so a --template-dir still overrides it.
    (The explicit loader also serves the article page under Datasette's
    per-table row template names, which a plain templates/ folder cannot.)
    """

    def get_source(self, environment, template):
        if ARTICLE_ROW_TEMPLATE.fullmatch(template):
            template = "litbase_article_row.html"
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


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    return helpers.render_cell_html(column, value, article_url(datasette, database))


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
        rows = await read(datasette, datasette.get_database(database), site.article_page_rows, pmid)
        if rows is None:
            return {}
        page = helpers.article_page(rows["article"], rows["references"], rows["cited_by"],
                                    rows["citing_works"], rows["provenance"])
        return {"litbase_article": page, "litbase_article_url": article_url(datasette, database)}

    return article_vars


@hookimpl
def register_routes():
    return views.ROUTES + feed.ROUTES + coverage_page.ROUTES


@hookimpl
def register_output_renderer(datasette):
    return renderers.output_renderers()


@hookimpl
def register_facet_classes():
    return [CountedFacet]


@hookimpl
def asgi_wrapper(datasette):
    return lambda app: default_columns_app(app, datasette)
