"""Bookkeeping of a bulk import: the ``pubmed_files`` row of each PubMed XML file.

A row says how far its file got (records done, articles stored, deletions)
and whether it is importing, done or failed, so a rerun skips a file it has
done and resumes one it has not (``litbase.imports.pubmed``). Callers own
the transactions: progress is written in the same one as the batch it counts.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # stored_progress runs before the import loads sqlite_utils (and its numpy)
    import sqlite_utils

COUNTS = ("records_done", "articles", "deletions")


def pubmed_file(db: sqlite_utils.Database, name: str) -> dict | None:
    """The stored row of a file (sha256, status and COUNTS), or None if it was never started."""
    row = db.conn.execute(
        "SELECT sha256, status, records_done, articles, deletions FROM pubmed_files WHERE name = ?",
        [name]).fetchone()
    return dict(zip(("sha256", "status", *COUNTS), row)) if row else None


def stored_progress(db_path) -> dict[str, tuple[str | None, int]]:
    """{file name: (status, records done)} from a database file, read-only; {} when there is none yet."""
    path = Path(db_path)
    if not path.is_file():
        return {}
    conn = None
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        return {name: (status, records_done or 0) for name, status, records_done in conn.execute(
            "SELECT name, status, records_done FROM pubmed_files")}
    except sqlite3.Error:  # no pubmed_files table yet, or no reading it now: a guess, checked later
        return {}
    finally:
        if conn is not None:
            conn.close()


def start_pubmed_file(db: sqlite_utils.Database, name: str, path: str, size: int, sha256: str,
                      counts: dict, now: str) -> None:
    """Mark a file as importing from ``counts`` on (zeros, or where an interrupted run stopped)."""
    db.conn.execute(
        "INSERT INTO pubmed_files (name, path, size, sha256, records_done, articles, deletions,"
        " status, error, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'importing', NULL, ?)"
        " ON CONFLICT(name) DO UPDATE SET path = excluded.path, size = excluded.size,"
        " sha256 = excluded.sha256, records_done = excluded.records_done,"
        " articles = excluded.articles, deletions = excluded.deletions,"
        " status = 'importing', error = NULL, started_at = excluded.started_at",
        [name, path, size, sha256, *(counts[c] for c in COUNTS), now])


def record_progress(db: sqlite_utils.Database, name: str, counts: dict) -> None:
    """Store how far the file got, in the transaction of the batch that got it there."""
    db.conn.execute(
        "UPDATE pubmed_files SET records_done = ?, articles = ?, deletions = ? WHERE name = ?",
        [*(counts[c] for c in COUNTS), name])


def finish_pubmed_file(db: sqlite_utils.Database, name: str, now: str) -> None:
    db.conn.execute("UPDATE pubmed_files SET status = 'done', imported_at = ? WHERE name = ?", [now, name])


def fail_pubmed_file(db: sqlite_utils.Database, name: str, error: str) -> None:
    db.conn.execute("UPDATE pubmed_files SET status = 'failed', error = ? WHERE name = ?", [error, name])


def forget_pubmed_file(db: sqlite_utils.Database, name: str) -> None:
    db.conn.execute("DELETE FROM pubmed_files WHERE name = ?", [name])


def done_pubmed_files(db: sqlite_utils.Database) -> list[str]:
    """The names of the files imported to their end."""
    return [r[0] for r in db.conn.execute("SELECT name FROM pubmed_files WHERE status = 'done'")]
