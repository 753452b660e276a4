"""A database's own page (``/DB``, ``/DB.json``), kept until its file changes, for visitors not signed in.

Datasette builds the database page from about 240 small reads (each table's
columns, keys, count, permissions) handed one by one to its SQL threads: 100 ms
alone, seconds when 20 visitors share the threads. The page is the same for
every anonymous visitor until the database is written, so the first answer is
kept and replayed while the file's state (litbase.publish.marks.file_state: the
file's and its write-ahead log's modification time and size) is unchanged. A
request with a cookie or credentials (a signed-in reviewer sees other menu
links), with a query string, or an answer that sets a cookie or is not 200, is
never kept or replayed. An in-memory database has no file state and is never
kept.
"""

from __future__ import annotations

from litbase.publish.marks import file_state

PERSONAL_HEADERS = (b"cookie", b"authorization")


def database_page_of(datasette, path: str) -> str | None:
    """The served database whose own page ``path`` is (HTML or JSON), or None."""
    for name in datasette.databases:
        page = datasette.urls.database(name)
        if path in (page, page + ".json"):
            return name
    return None


def cached_database_pages_app(app, datasette):
    """ASGI wrapper: anonymous GETs of a database page are answered from the kept copy."""
    kept: dict[str, tuple] = {}  # path -> (file state, [ASGI messages])

    async def wrapped(scope, receive, send):
        if (scope.get("type") != "http" or scope.get("method") != "GET" or scope.get("query_string")
                or any(name.lower() in PERSONAL_HEADERS for name, _ in scope.get("headers", ()))):
            return await app(scope, receive, send)
        name = database_page_of(datasette, scope.get("path", ""))
        db = datasette.databases.get(name) if name else None
        state = None if db is None or db.is_memory else file_state(db.path)
        if state is None:
            return await app(scope, receive, send)
        copy = kept.get(scope["path"])
        if copy and copy[0] == state:
            for message in copy[1]:
                await send(message)
            return
        messages = []

        async def keep(message):
            messages.append(message)
            await send(message)

        await app(scope, receive, keep)
        start = messages[0] if messages else {}
        if start.get("status") == 200 and not any(
                header.lower() == b"set-cookie" for header, _ in start.get("headers", ())):
            kept[scope["path"]] = (state, messages)

    return wrapped
