"""The columns the articles table opens with; every other column one click away.

Datasette 0.65 shows every column of a table unless the URL names some with
``?_col=``. The articles table has over fifty, so its HTML page opens with the
ones a researcher scans first: this ASGI wrapper adds them as ``_col`` to a
request for ``/DB/articles`` that names no columns itself. ``?_columns=all``
(linked from the table's description) shows every column; ``?_col=`` and
``?_nocol=`` work as in Datasette. JSON, CSV and the litbase exports
(``/DB/articles.json`` and the like) are left whole.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from litbase.publish.pages import query_rewriting_app

DEFAULT_COLUMNS = {
    "articles": ["title", "authors", "journal_iso", "year", "cited_by_count", "references_status"],
}
ALL_COLUMNS = "_columns"  # ?_columns=all: every column
TABLE_PAGE = re.compile(r"/(?P<database>[^/.]+)/(?P<table>[^/.]+)")


def with_default_columns(path: str, query_string: str, databases) -> str:
    """The query string with the table's default ``_col``s added, when it names no columns."""
    found = TABLE_PAGE.fullmatch(path)
    if not found or found["database"] not in databases or found["table"] not in DEFAULT_COLUMNS:
        return query_string
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if any(key in ("_col", ALL_COLUMNS) for key, _ in pairs):
        return query_string
    return urlencode(pairs + [("_col", column) for column in DEFAULT_COLUMNS[found["table"]]])


def default_columns_app(app, datasette):
    """ASGI wrapper: table pages open with their default columns."""
    return query_rewriting_app(app, lambda path, query: with_default_columns(path, query, datasette.databases),
                               methods=("GET", "HEAD"))
