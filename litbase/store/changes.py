"""The ``changes`` log: what a refresh or an update file found different about an article.

One row per change (a record corrected, a retraction, a new citing or similar
article, a deletion), so a reader sees what changed since a date without
comparing snapshots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # store.articles logs deletions through this module in a process that needs no sqlite_utils
    import sqlite_utils


def record_changes(db: sqlite_utils.Database, rows: list[dict], collection: str | None, now: str) -> None:
    """Log changes: dicts with pmid and what, and optionally related_pmid and detail."""
    db.conn.executemany(
        "INSERT INTO changes (pmid, what, related_pmid, detail, collection, detected_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(r["pmid"], r["what"], r.get("related_pmid"), r.get("detail"), collection, now) for r in rows])
