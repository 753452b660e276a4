"""The store is the one door to the database: its ID-list helpers, and no SQL anywhere else."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from litbase.store.sql import execute_in, placeholders, select_in


def capped_db(rows: int) -> sqlite_utils.Database:
    """An in-memory table of ``rows`` numbers, on a connection that takes at most 999 parameters
    a statement (SQLite's cap before 3.32), so that a statement over a long list would fail."""
    conn = sqlite3.connect(":memory:")
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    db = sqlite_utils.Database(conn)
    conn.execute("CREATE TABLE numbers (n INTEGER PRIMARY KEY, kind TEXT)")
    conn.executemany("INSERT INTO numbers VALUES (?, ?)",
                     [(n, "even" if n % 2 == 0 else "odd") for n in range(rows)])
    return db


def test_placeholders_mark_one_parameter_per_value():
    assert placeholders([7, 8, 9]) == "?,?,?"
    assert placeholders(("a",)) == "?"


def test_select_in_takes_more_ids_than_one_statement_may_bind():
    db = capped_db(3000)
    ids = list(range(0, 5000, 2))  # 2,500 IDs, half of them not in the table
    found = select_in(db, "SELECT n FROM numbers WHERE n IN ({ids}) AND kind = ?", ids, ["even"])
    assert sorted(r[0] for r in found) == list(range(0, 3000, 2))
    # One statement over the whole list is what the helper spares its callers.
    try:
        db.conn.execute(f"SELECT n FROM numbers WHERE n IN ({placeholders(ids)})", ids)
    except sqlite3.OperationalError as error:
        assert "too many SQL variables" in str(error)
    else:
        raise AssertionError("the connection was meant to refuse 2,500 parameters")


def test_execute_in_writes_over_every_chunk():
    db = capped_db(3000)
    execute_in(db, "DELETE FROM numbers WHERE n IN ({ids})", range(1000, 3000))
    assert db.conn.execute("SELECT count(*), max(n) FROM numbers").fetchone() == (1000, 999)
