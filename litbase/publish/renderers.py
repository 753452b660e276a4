"""Datasette output renderers: .bib, .ris, .csljson, .nbib and .txt on every page whose rows name articles.

``.txt`` is the formatted reference list, Vancouver unless ``_style=ama`` or
``_style=apa`` asks for another style (as ``litbase export --format text --style``).

A row names articles by a PMID column (``pmid``, ``related_pmid``, ``citing``,
``cited``..., a pair's ``a`` and ``b``), a list of PMIDs (``pmids``), or by being a collection (its
members are exported). A page whose rows name no stored article answers 404
with a sentence saying so, never an empty file.

A renderer is handed one page of rows, but a bibliography should hold the
whole result set, up to MAX_EXPORT articles (more is refused with a sentence
naming ``litbase export``, which has no bound). In Datasette 0.65 a table,
facet or search page is read with ``_size=max`` and only the columns that name
articles (``_col``), no facets or count: the export request's own page is asked
for that way (lean_table_exports_app), and when no page follows it its rows are
the whole result; otherwise it is re-read through its JSON API, following
``next`` until the end or the bound. A SQL or canned query
page's rows are the whole result when Datasette held them all; one it cut at
``max_returned_rows`` is re-run, reading at most one row past the bound.
Records are loaded in batches, and cite keys (the letters count namesakes on
an index) only for the formats that write them. Renderers cannot return a streaming response in 0.65 (only
a dict or a ``Response``), so the body is joined from the writer's chunks.
"""

from __future__ import annotations

import contextlib
import gc
import re
import sqlite3
import threading
import types
import urllib.parse

from datasette.utils import tilde_decode
from datasette.utils.asgi import BadRequest, NotFound, Response

from litbase.formats.registry import FORMATS, export
from litbase.formats.writers.text import STYLES
from litbase.publish.views import read
from litbase.store import site
from litbase.store.load import MeshNames, collection_pmids, load_articles

# Link label (the URL extension) -> litbase format.
RENDERERS = {"bib": "bibtex", "ris": "ris", "csljson": "csljson", "nbib": "medline", "txt": "text"}
# The formats that write a cite key (BibTeX's entry key, CSL-JSON's id); RIS and
# MEDLINE do not, and skip the per-year disambiguation it needs.
CITE_KEY_FORMATS = {"bibtex", "csljson"}
# The most articles one web export holds; `litbase export` writes any number.
MAX_EXPORT = 20_000


class TooManyToExport(ValueError):
    """The selection names more than MAX_EXPORT articles."""
# Page arguments that would cut or reshape the re-read result set.
_DROPPED = {"_next", "_size", "_labels", "_shape", "_facet", "_facet_array", "_facet_date",
            "_col", "_nocol", "_extra", "_nofacet", "_nocount", "_style"}


# Columns whose value names an article, in the order a row's articles are exported:
# ``changes`` names the article that changed and the new citing or similar one,
# ``citations`` the citing and the cited, ``top_authors`` lists its ``pmids``.
ARTICLE_COLUMNS = ("pmid", "related_pmid", "citing", "cited", "cited_pmid", "similar_pmid")
LIST_COLUMNS = ("pmids",)  # "990101,990102" (group_concat)
# Tables whose rows are collections: they export their members (with the records
# without a PMID imported into them).
COLLECTION_TABLES = {"collections": "name"}
# Tables of article pairs, whose columns are named a and b.
PAIR_TABLES = {"cocitations": ("a", "b"), "bibliographic_coupling": ("a", "b")}


def _article_columns(table=None) -> tuple:
    return ARTICLE_COLUMNS + PAIR_TABLES.get(table, ())


def can_render(columns, rows=None, table=None):
    """Offer the links when the page's rows name an article (a page of no such rows
    offers none: its export would be empty)."""
    columns = list(columns or [])
    if not (any(c in columns for c in _article_columns(table) + LIST_COLUMNS)
            or COLLECTION_TABLES.get(table) in columns):
        return False
    # Asked once per format on every page of rows: the first article named is enough.
    return rows is None or next(_named(columns, rows, table), None) is not None


def _cell(value):
    # Expanded foreign keys arrive as {"value": ..., "label": ...}.
    return value.get("value") if isinstance(value, dict) else value


def _whole(value) -> int | None:
    if type(value) is int:  # a PMID column's value, 1,000 rows a request
        return value if value > 0 else None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _named(columns, rows, table=None):
    """Each article or collection the rows name, in order, as many times as named."""
    columns = list(columns or [])
    collection_column = COLLECTION_TABLES.get(table)
    article_columns = _article_columns(table)
    for row in rows:
        values = row if isinstance(row, dict) else dict(zip(columns, row))
        # Only the columns the row has: an absent one is None, which names nothing,
        # and telling that through int() raising cost 7 ms of a 1,000-row export.
        for column in article_columns:
            value = values.get(column)
            if value is None:
                continue
            number = _whole(_cell(value))
            if number:
                yield number
        for column in LIST_COLUMNS:
            if values.get(column) is None:
                continue
            for part in str(_cell(values.get(column)) or "").split(","):
                if _whole(part):
                    yield _whole(part)
        if collection_column and _cell(values.get(collection_column)):
            yield ("collection", _cell(values[collection_column]))


def items_from_rows(columns, rows, table=None) -> list:
    """What a page's rows name, in order, each once: PMIDs (int) from every article column,
    and ("collection", name) for a row of a collection table."""
    return list(dict.fromkeys(_named(columns, rows, table)))


def pmids_from_rows(columns, rows) -> list[int]:
    return [item for item in items_from_rows(columns, rows) if isinstance(item, int)]


def _bounded(items: list, what: str) -> list:
    if len(items) > MAX_EXPORT:
        raise TooManyToExport(
            f"The rows of {what} name more than {MAX_EXPORT:,} articles, more than one export from the"
            f" site holds: narrow the selection (a facet, a search), or write them all with litbase export.")
    return items


def _naming_columns(table: str, columns) -> list:
    """The columns of this table that name articles or collections."""
    return [c for c in columns
            if c in _article_columns(table) + LIST_COLUMNS or c == COLLECTION_TABLES.get(table)]


def _whole_result_args(query_string: str, wanted: list, kept=()) -> list:
    """A table page's arguments re-read for its whole result set: filters, search and sort kept,
    only the ``wanted`` columns (the primary key always comes too), the largest page, no facets or count."""
    args = [(k, v) for k, v in urllib.parse.parse_qsl(query_string, keep_blank_values=True)
            if k not in _DROPPED or k in kept]
    return args + [("_col", column) for column in wanted] + [
        ("_size", "max"), ("_nofacet", "1"), ("_nocount", "1")]


def _page_is_whole_result(request, data, columns, wanted) -> bool:
    """Whether a table page already holds its whole result set: the largest page from the first
    row, with every column that names articles, and no page after it (lean_table_exports_app asks
    for such a page, so a selection of up to max_returned_rows rows is not read a second time)."""
    return (request.args.get("_size") == "max" and "_next" not in request.args
            and not (data or {}).get("next") and all(column in columns for column in wanted))


async def table_pmids(datasette, request, database: str, table: str) -> list:
    """What a table page's whole result set names (filters, facets, search kept), at most MAX_EXPORT + 1."""
    wanted = _naming_columns(table, await datasette.get_database(database).table_columns(table))
    args = _whole_result_args(request.query_string, wanted) + [("_shape", "objects")]
    path = datasette.urls.table(database, table, format="json")
    headers = {"cookie": request.headers["cookie"]} if request.headers.get("cookie") else {}
    items, next_token = {}, None
    while True:
        query = args + ([("_next", next_token)] if next_token else [])
        response = await datasette.client.get(path + "?" + urllib.parse.urlencode(query),
                                              headers=headers)
        data = response.json()
        if response.status_code != 200:
            raise ValueError(data.get("error") or f"HTTP {response.status_code} from {path}")
        items.update(dict.fromkeys(items_from_rows([], data["rows"], table)))
        next_token = data.get("next")
        if not next_token or len(items) > MAX_EXPORT:
            return list(items)


async def query_pmids(datasette, database: str, sql: str, params: dict) -> list:
    """Every article a SQL (or canned) query's rows name, past Datasette's page limit, at most MAX_EXPORT + 1."""
    columns, rows = await read(datasette, datasette.get_database(database), site.query_rows, sql,
                               params or {}, MAX_EXPORT + 1)
    return items_from_rows(columns, rows)


def make_renderer(format_name: str):
    spec = FORMATS[format_name]

    async def render(datasette, request, database, table, sql, view_name, data, columns, rows,
                     query_name=None):
        try:
            return await _render(datasette, request, database, table, sql, view_name, data, columns, rows,
                                 query_name)
        except TooManyToExport as error:
            raise BadRequest(str(error))

    async def _render(datasette, request, database, table, sql, view_name, data, columns, rows, query_name):
        options = {}
        if format_name == "text":
            options["style"] = request.args.get("_style") or "vancouver"
            if options["style"] not in STYLES:
                raise BadRequest(f"_style={options['style']} is not a reference style litbase writes;"
                                 f" choose one of {', '.join(STYLES)}.")
        if view_name == "table" and table:
            wanted = _naming_columns(table, await datasette.get_database(database).table_columns(table))
            if _page_is_whole_result(request, data, columns, wanted):
                items = items_from_rows(columns, rows, table)
            else:
                items = await table_pmids(datasette, request, database, table)
        elif sql and (data or {}).get("truncated") is False:
            # A SQL or canned query page (Datasette 0.65 calls a canned query's view "table",
            # with no table) whose rows Datasette held all of: they are the whole result.
            items = items_from_rows(columns, rows)
        elif sql:
            # Cut at max_returned_rows: run again for every row (a canned query's export
            # held only the page's rows before).
            items = await query_pmids(datasette, database, sql,
                                      (data.get("query") or {}).get("params"))
        else:
            items = items_from_rows(columns, rows, table)
        items = _bounded(items, table or query_name or database)

        def write(conn):
            # load_articles only reads db.conn; wrapping Datasette's read-only
            # connection in sqlite_utils.Database would run PRAGMAs on it.
            db = types.SimpleNamespace(conn=conn)
            chosen: list = []
            for item in items:
                chosen += collection_pmids(db, item[1]) if isinstance(item, tuple) else [item]
            chosen = _bounded(list(dict.fromkeys(chosen)), table or query_name or database)
            with cyclic_gc_paused():
                return load_and_write(db, chosen)

        def load_and_write(db, chosen):
            loaded = list(load_articles(db, chosen, cite_keys=format_name in CITE_KEY_FORMATS,
                                        mesh_names=mesh_names_of(db.conn)))
            # The records are freed as this returns, while the collector is still paused.
            return len(loaded), "".join(export(loaded, format_name, **options)) if loaded else ""

        count, body = await datasette.get_database(database).execute_fn(with_plain_rows(write))
        if not count:
            # An empty file would look like a successful export of nothing (the
            # query view would also turn a Response's 404 into its own 200).
            why = "name no stored article" if items else "name no article"
            raise NotFound(f"Nothing to export: the rows of {table or query_name or database}"
                           f" {why}, so there is no {format_name} file to offer.")
        filename = f"{table or database}.{spec.suffix}"
        return Response(body, content_type=f"{spec.media_type}; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{filename}"'})

    return render


_PAUSED = {"exports": 0, "was_enabled": True}
_PAUSE_LOCK = threading.Lock()


@contextlib.contextmanager
def cyclic_gc_paused():
    """Python's cycle collector paused while an export loads and writes its records.

    1,000 records are some 35,000 lists and dicts, none in a cycle (reference counting
    frees them all), so the collector's passes over them found nothing; but they counted
    towards its full passes, which walk every object of the server's process: a
    served export paid for a full pass every few requests. Exports running at once
    share one pause; a collector someone else switched off stays off.
    """
    with _PAUSE_LOCK:
        if not _PAUSED["exports"]:
            _PAUSED["was_enabled"] = gc.isenabled()
            gc.disable()
        _PAUSED["exports"] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSED["exports"] -= 1
            if not _PAUSED["exports"] and _PAUSED["was_enabled"]:
                gc.enable()


# Datasette keeps each read connection for the life of the process: the MeSH names an export
# read on one are kept for the next (MeshNames reads them again after a commit). The
# connection is held with them, so an id is never another connection's; a few at most.
_MESH_NAMES: dict[int, tuple] = {}
_KEPT_CONNECTIONS = 16


def mesh_names_of(conn) -> MeshNames:
    kept = _MESH_NAMES.get(id(conn))
    if kept is None or kept[0] is not conn:
        if len(_MESH_NAMES) >= _KEPT_CONNECTIONS:
            _MESH_NAMES.pop(next(iter(_MESH_NAMES)))
        kept = _MESH_NAMES[id(conn)] = (conn, MeshNames())
    return kept[1]


def with_plain_rows(read):
    """``read(conn)`` on Datasette's connection with sqlite3's own rows and text.

    Datasette decodes every text value through a Python function (so that bytes
    that are not UTF-8 show replaced rather than fail) and wraps every row: a
    third of an export's time, 30,000 values for 1,000 records. litbase writes
    UTF-8 only; a file holding other bytes is read again Datasette's way, which
    is what an export always did.
    """

    def plain(conn):
        factories = conn.text_factory, conn.row_factory
        conn.text_factory, conn.row_factory = str, None
        try:
            return read(conn)
        except sqlite3.OperationalError:  # "Could not decode to UTF-8", or a real error raised again below
            pass
        finally:
            conn.text_factory, conn.row_factory = factories
        return read(conn)

    return plain


# /DB/TABLE.bib and the like: a table's (or view's) export.
TABLE_EXPORT = re.compile(r"/(?P<database>[^/]+)/(?P<table>[^/]+)\.(?P<extension>" + "|".join(RENDERERS) + ")")
# What Datasette's view page would compute before handing it to the renderer, which
# re-reads the whole result itself (table_pmids drops these again).
LEAN_PAGE = [("_nofacet", "1"), ("_nocount", "1"), ("_size", "1")]


def lean_table_exports_app(app, datasette):
    """ASGI wrapper: a table export skips the page's facets and count, which it never uses, and asks
    for the page the renderer would re-read first (only the columns naming articles, the largest
    page): when no page follows, the renderer exports its rows without reading them again.
    A view's export asks for one row and re-reads the whole result."""

    async def wrapped(scope, receive, send):
        found = (TABLE_EXPORT.fullmatch(scope.get("path", ""))
                 if scope.get("type") == "http" and scope.get("method") in ("GET", "HEAD") else None)
        db = datasette.databases.get(tilde_decode(found["database"])) if found else None
        if db is not None:
            table = tilde_decode(found["table"])
            query = scope.get("query_string", b"").decode("latin-1")
            if await db.table_exists(table):
                wanted = _naming_columns(table, await db.table_columns(table))
                # _style chooses the .txt reference style, read from the page's own arguments.
                args = _whole_result_args(query, wanted, kept={"_style"})
            elif table in await db.view_names():
                args = [(k, v) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)
                        if k not in dict(LEAN_PAGE)] + LEAN_PAGE
            else:
                args = None
            if args is not None:
                scope = {**scope, "query_string": urllib.parse.urlencode(args).encode("latin-1")}
        await app(scope, receive, send)

    return wrapped


def output_renderers() -> list[dict]:
    """Datasette output renderers: one per export format (``.bib``, ``.ris``, ...)."""
    return [{"extension": extension, "render": make_renderer(name), "can_render": can_render}
            for extension, name in RENDERERS.items()]
