"""Rows as dicts, and which tables exist, on any DB-API connection.

The Datasette pages hand the store the read-only ``sqlite3`` connection of
``execute_fn``, whose row factory is Datasette's; the command line and the
tests hand it a plain one. These helpers give the same answer on both.
"""

from __future__ import annotations


def dict_rows(cursor) -> list[dict]:
    """A cursor's rows as dicts, whatever the connection's row factory."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def first_row(cursor) -> dict | None:
    """A cursor's first row as a dict, or None when there is none."""
    rows = dict_rows(cursor)
    return rows[0] if rows else None


def table_exists(conn, name: str) -> bool:
    """Whether ``name`` is a table (a database made by an older litbase may lack a newer one)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None
