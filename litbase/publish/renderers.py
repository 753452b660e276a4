"""Datasette output renderers: .bib, .ris, .csljson and .nbib on every page with a pmid column.

A renderer is handed one page of rows, but a bibliography should hold the
whole result set. In Datasette 0.65 a table, facet or search page is
re-read through its own JSON API with ``_size=max``, following ``next``
until the end (what its CSV ``_stream=on`` does internally); a SQL or canned
query page is re-run with ``truncate=False``. Renderers cannot return a
streaming response in 0.65 (only a dict or a ``Response``), so the body is
joined from the writer's chunks.
"""

from __future__ import annotations

import types
import urllib.parse

from datasette.utils.asgi import Response

from litbase.formats.registry import FORMATS, export
from litbase.publish.views import read
from litbase.store import site
from litbase.store.load import load_articles

# Link label (the URL extension) -> litbase format.
RENDERERS = {"bib": "bibtex", "ris": "ris", "csljson": "csljson", "nbib": "medline"}
# Page arguments that would cut or reshape the re-read result set.
_DROPPED = {"_next", "_size", "_labels", "_shape", "_facet", "_facet_array", "_facet_date",
            "_col", "_nocol", "_extra", "_nofacet", "_nocount"}


def can_render(columns):
    return "pmid" in (columns or [])


def _cell(value):
    # Expanded foreign keys arrive as {"value": ..., "label": ...}.
    return value.get("value") if isinstance(value, dict) else value


def pmids_from_rows(columns, rows) -> list[int]:
    index = list(columns).index("pmid")
    values = (_cell(row[index] if not isinstance(row, dict) else row["pmid"]) for row in rows)
    return list(dict.fromkeys(int(v) for v in values if v not in (None, "")))


async def table_pmids(datasette, request, database: str, table: str) -> list[int]:
    """Every PMID of a table page's whole result set (filters, facets, search kept)."""
    args = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
            if k not in _DROPPED]
    args += [("_size", "max"), ("_shape", "objects"), ("_nofacet", "1"), ("_nocount", "1")]
    path = datasette.urls.table(database, table, format="json")
    headers = {"cookie": request.headers["cookie"]} if request.headers.get("cookie") else {}
    pmids, next_token = [], None
    while True:
        query = args + ([("_next", next_token)] if next_token else [])
        response = await datasette.client.get(path + "?" + urllib.parse.urlencode(query),
                                              headers=headers)
        data = response.json()
        if response.status_code != 200:
            raise ValueError(data.get("error") or f"HTTP {response.status_code} from {path}")
        pmids += [_cell(row.get("pmid")) for row in data["rows"]]
        next_token = data.get("next")
        if not next_token:
            return list(dict.fromkeys(int(p) for p in pmids if p not in (None, "")))


async def query_pmids(datasette, database: str, sql: str, params: dict) -> list[int]:
    """Every PMID a SQL (or canned) query returns, past Datasette's page limit."""
    columns, rows = await read(datasette, datasette.get_database(database), site.query_rows, sql, params or {})
    return pmids_from_rows(columns, rows)


def make_renderer(format_name: str):
    spec = FORMATS[format_name]

    async def render(datasette, request, database, table, sql, view_name, data, columns, rows):
        if view_name == "table" and table:
            pmids = await table_pmids(datasette, request, database, table)
        elif view_name == "database" and sql:
            pmids = await query_pmids(datasette, database, sql,
                                      (data.get("query") or {}).get("params"))
        else:
            pmids = pmids_from_rows(columns, rows)

        def write(conn):
            # load_articles only reads db.conn; wrapping Datasette's read-only
            # connection in sqlite_utils.Database would run PRAGMAs on it.
            db = types.SimpleNamespace(conn=conn)
            return "".join(export(load_articles(db, pmids), format_name))

        body = await datasette.get_database(database).execute_fn(write)
        filename = f"{table or database}.{spec.suffix}"
        return Response(body, content_type=f"{spec.media_type}; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{filename}"'})

    return render


def output_renderers() -> list[dict]:
    """Datasette output renderers: one per export format (``.bib``, ``.ris``, ...)."""
    return [{"extension": extension, "render": make_renderer(name), "can_render": can_render}
            for extension, name in RENDERERS.items()]
