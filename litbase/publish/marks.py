"""Which PMIDs of a served database are retracted, and which PubMed has no record of, for every cell.

``render_cell`` marks a PMID cell of any table, view or query (the search
results, a collection's members, a reference list) without a query per cell:
the two sets are read once per database and kept until its file changes. A
write changes the file's, or its write-ahead log's, modification time and
size; an immutable (``--public``) database never changes, so it is read once.
An in-memory database has no file to watch and is read each time.
"""

from __future__ import annotations

import os
import weakref

from litbase.publish.views import read
from litbase.store.retractions import missing_pmids, retracted_pmids
from litbase.store.rows import table_exists

# Datasette instance -> {database name: (file state, marks)}; dropped with the instance.
_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def file_state(path) -> tuple | None:
    """What changes when a database is written: its file's and its WAL's mtime and size."""
    if not path:
        return None
    state = []
    for name in (path, f"{path}-wal"):
        try:
            stat = os.stat(name)
        except OSError:
            state.append(None)
            continue
        # Opening a WAL database creates an empty log: no write, no change.
        state.append((stat.st_mtime_ns, stat.st_size) if stat.st_size else None)
    return tuple(state)


def read_marks(conn) -> dict:
    if not table_exists(conn, "articles"):  # another database served beside a litbase one
        return {"retracted": set(), "missing": set()}
    return {"retracted": retracted_pmids(conn), "missing": missing_pmids(conn)}


async def marks_for(datasette, database: str) -> dict:
    """{"retracted": set, "missing": set} of PMIDs for a served database, cached per file state."""
    db = datasette.get_database(database)
    state = None if getattr(db, "is_memory", False) else file_state(db.path)
    cache = _CACHES.setdefault(datasette, {})
    cached = cache.get(database)
    if state is not None and cached and cached[0] == state:
        return cached[1]
    marks = await read(datasette, db, read_marks)
    if state is not None:
        cache[database] = (state, marks)
    return marks
