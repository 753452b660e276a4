"""Each ``litbase serve`` worker answers its first pages before it accepts a connection.

A worker process starts cold: Datasette's startup checks, the database page it
keeps (``page_cache``), the facet index it loads (``facets``), the retraction
marks (``marks``), the site tables' fingerprint checked on each read
connection. Whoever asks first paid for them (the database page's p95 was a
worker's first answer). ``warmed_app`` holds back the ASGI lifespan's
"startup complete" until the worker has asked its own app, in process, for the
pages every visit starts from: the database page, the articles table, a
selection of the most common year and of the most common MeSH term, and the
overview. uvicorn lets a worker accept connections only after startup, so no
visitor meets a cold worker; the cost moves to the time until the server
answers (docs/benchmarks.md, Serve). A page that fails here is logged and left
to its first visitor.

Then every object the worker holds (Datasette, its templates, the facet index,
the kept pages) is frozen out of Python's garbage collector: a full collection
walking them all struck about one page in ten, 50-60 ms each (a 1,000-row
query page: 80 ms, 136 ms when struck), and the pages' p95 was those.
"""

from __future__ import annotations

import gc
import sys
import time
from urllib.parse import urlencode

from litbase.publish import facets
from litbase.store.rows import table_exists

# Facet selections warmed, by their most common value: a column facet and an array facet.
WARMED_SELECTIONS = (("year", ""), ("mesh_terms", "__arraycontains"))


async def warm_paths(datasette) -> list[str]:
    """The pages a visit starts from, for every served litbase database."""
    paths = []
    for name, db in datasette.databases.items():
        if name == "_internal" or not await db.execute_fn(lambda conn: table_exists(conn, "articles")):
            continue
        table = datasette.urls.table(name, facets.INDEXED_TABLE)
        paths += [datasette.urls.database(name), table]
        index = None if db.is_memory else await db.execute_fn(
            lambda conn, path=db.path: facets.current_index(conn, path))
        for column, suffix in WARMED_SELECTIONS:
            if index is not None and column in index.facets:
                top, _ = index.top(column, 1)
                if top:
                    paths.append(f"{table}?{urlencode({column + suffix: top[0][0]})}")
        paths.append(datasette.urls.path(f"/-/litbase/{name}"))
    return paths


async def get_in_process(app, path: str) -> int:
    """GET ``path`` from the ASGI ``app`` as a visitor without a cookie would; the status."""
    route, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": route, "raw_path": route.encode(), "query_string": query.encode(),
             "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 0),
             "server": ("127.0.0.1", 0)}
    status = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0] if status else 0


async def warm(app, datasette, log=lambda line: print(line, file=sys.stderr, flush=True)) -> None:
    """Ask ``app`` for each page of ``warm_paths``; one log line with the time it took."""
    started = time.perf_counter()
    paths = await warm_paths(datasette)
    failed = []
    for path in paths:
        try:
            status = await get_in_process(app, path)
        except Exception as error:  # a page that fails is its first visitor's, as without warming
            status = type(error).__name__
        if status != 200:
            failed.append(f"{path} ({status})")
    gc.collect()
    gc.freeze()  # what the worker keeps is never garbage: no collection walks it again
    log(f"litbase: warmed {len(paths)} pages in {time.perf_counter() - started:.1f} s"
        + (f"; not warmed: {', '.join(failed)}" if failed else ""))


def warmed_app(app, datasette):
    """ASGI wrapper: the lifespan's startup completes after ``warm`` has run."""

    async def wrapped(scope, receive, send):
        if scope.get("type") != "lifespan":
            return await app(scope, receive, send)

        async def send_when_warm(message):
            if message.get("type") == "lifespan.startup.complete":
                await warm(app, datasette)
            await send(message)

        return await app(scope, receive, send_when_warm)

    return wrapped
