"""What the search says about the query it was given: how it was read, or what is wrong with it.

The rows come from the ``search`` canned query (``litbase.store.search``),
which returns none for a query it cannot read. This module reads the query
again: for the page (the template's ``pubmed_search`` filter), and for the
other formats (``reject_unreadable_searches``, an ASGI wrapper answering 400
with the problem), so nobody gets an empty list without being told why.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

from litbase.model.pubmed_query import QuerySyntaxError, details
from litbase.store.search import indexed_tree

# The search canned query: its page (/DB/search) or another format (/DB/search.json, .csv, .nbib...).
SEARCH_PATH = re.compile(r"/[^/]+/search(?:\.(?P<format>[A-Za-z0-9_]+))?")

# (query, what it shows): each finds articles in the shipped peer-support base.
EXAMPLES = [
    ("peer support", "both words, in any field"),
    ('"peer support"[tiab] AND residen*', "a phrase in title or abstract, and resident, residents, residency..."),
    ("(burnout OR stress) AND residen*[ti]", "parentheses; truncation in the title"),
    ("wellness NOT students", "leave out articles that mention students"),
    ("jain a[au]", "an author, initials truncated as PubMed does"),
    ('"AEM Educ Train"[ta]', "a journal, by its abbreviation or full title"),
    ("2018:2022[dp] AND peer support[ti]", "a range of publication years"),
]

SYNTAX = [
    ("AND, OR, NOT", "in capitals, read left to right; words side by side are joined by AND"),
    ("( )", "group: (burnout OR stress) AND resident"),
    ('"..."', 'a phrase: "peer support"'),
    ("*", "truncation after at least 4 characters: residen*"),
    ("[ti] [tiab] [tw] [au] [mh] [ot] [ta] [jour] [pt] [dp]",
     "title, title/abstract, text word, author, MeSH, keyword, journal, journal, publication type,"
     " publication year (2020 or 2019:2021)"),
]


def pubmed_search(query: str | None) -> dict:
    """The query as typed, with PubMed-style details or the problem and where it is."""
    query = query or ""
    summary = {"query": query, "details": None, "error": None, "before": None, "after": None,
               "examples": EXAMPLES, "syntax": SYNTAX}
    if not query.strip():
        return summary
    try:
        summary["details"] = details(indexed_tree(query))
    except QuerySyntaxError as error:
        summary["error"] = error.message
        if error.position is not None:
            summary["before"], summary["after"] = query[:error.position], query[error.position:]
    return summary


def query_problem(query: str | None) -> str | None:
    """What is wrong with a non-empty query, or None."""
    if not (query or "").strip():
        return None
    try:
        indexed_tree(query)
    except QuerySyntaxError as error:
        return str(error)
    return None


def reject_unreadable_searches(app):
    """ASGI wrapper for a search whose query cannot be read: 400 with the problem as JSON,
    or the page (which explains it) with status 400."""

    async def wrapped(scope, receive, send):
        match = SEARCH_PATH.fullmatch(scope.get("path", "")) if scope["type"] == "http" else None
        if match:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("q", [""])[0]
            problem = query_problem(query)
            if problem is not None and match["format"] in (None, "html"):
                await app(scope, receive, _with_status(send, 400))
                return
            if problem is not None:
                body = json.dumps({"ok": False, "error": f"This search could not be read: {problem}",
                                   "query": query, "status": 400, "title": "Invalid search"}).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return wrapped


def _with_status(send, status: int):
    async def sending(message):
        if message["type"] == "http.response.start" and message["status"] == 200:
            message = {**message, "status": status}
        await send(message)

    return sending
