"""Small pieces of SQL every store module builds the same way.

Values are always bound, never formatted into the statement: only the
placeholder list is built here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from litbase.model.ids import chunks

# Below SQLite's oldest limit on bound variables (999 before 3.32), leaving
# room for a statement's other parameters.
IN_BATCH = 900


def in_clause(values: Iterable) -> tuple[str, list]:
    """``("(?,?,?)", [a, b, c])``: the placeholder list for ``x IN ...`` and the values to bind.

    >>> in_clause([3, 5])
    ('(?,?)', [3, 5])
    """
    values = list(values)
    return "(" + ",".join("?" * len(values)) + ")", values


def in_batches(values: Iterable, size: int = IN_BATCH) -> Iterator[tuple[str, list]]:
    """``in_clause`` for consecutive slices of at most ``size`` values (none for no values)."""
    for batch in chunks(list(values), size):
        yield in_clause(batch)


def table_exists(conn, name: str) -> bool:
    """Whether ``name`` is a table, on any DB-API connection (also Datasette's read-only one)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None


def dict_rows(cursor) -> list[dict]:
    """A cursor's rows as dicts, whatever the connection's row factory."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
