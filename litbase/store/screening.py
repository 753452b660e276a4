"""Screening decisions: written once, never overwritten, read as each reviewer's latest word.

Every decision is a new row of ``screening`` (the history a methods section
may need: who changed their mind, when). "The" decision of a reviewer on an
article at a stage is their latest row, by id (ids grow with each write, so
two decisions in the same second still have an order).
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlite_utils

from litbase.model.screening import Decision, ScreeningError
from litbase.store.rows import dict_rows


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_decisions(db: sqlite_utils.Database, decisions: list[Decision], decided_at: str | None = None) -> int:
    """Store decisions (all or none); refuses an unknown collection or a PMID outside it."""
    decisions = [d.checked() for d in decisions]
    decided_at = decided_at or now_utc()
    for collection in {d.collection for d in decisions}:
        members = collection_member_pmids(db.conn, collection)
        if members is None:
            raise ScreeningError(f"no collection named {collection!r}")
        outside = sorted({d.pmid for d in decisions if d.collection == collection} - members)
        if outside:
            shown = ", ".join(map(str, outside[:5])) + (" ..." if len(outside) > 5 else "")
            raise ScreeningError(f"{len(outside)} PMID(s) not in collection {collection!r}: {shown}")
    with db.conn:
        db.conn.executemany(
            "INSERT INTO screening (collection, pmid, reviewer, stage, decision, reason, note, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(d.collection, d.pmid, d.reviewer.strip(), d.stage, d.decision, d.reason or None,
              d.note or None, decided_at) for d in decisions])
    return len(decisions)


def collection_member_pmids(conn, collection: str) -> set[int] | None:
    """The PMIDs of a collection, or None when there is no such collection."""
    if conn.execute("SELECT 1 FROM collections WHERE name = ?", (collection,)).fetchone() is None:
        return None
    return {pmid for (pmid,) in conn.execute(
        "SELECT DISTINCT pmid FROM collections_articles WHERE collection = ?", (collection,))}


def current_decisions(conn, collection: str, stage: str | None = None,
                      reviewer: str | None = None) -> list[dict]:
    """Each reviewer's latest decision per article (and stage), oldest article first."""
    return dict_rows(conn.execute(
        "SELECT s.* FROM screening s JOIN ("
        "  SELECT max(id) AS id FROM screening WHERE collection = :collection"
        "  AND (:stage IS NULL OR stage = :stage) AND (:reviewer IS NULL OR reviewer = :reviewer)"
        "  GROUP BY pmid, reviewer, stage) latest ON latest.id = s.id"
        " ORDER BY s.stage, s.pmid, s.reviewer",
        {"collection": collection, "stage": stage, "reviewer": reviewer}))


def decision_history(conn, collection: str, pmid: int) -> list[dict]:
    """Every decision ever recorded on an article in the collection, in the order made."""
    return dict_rows(conn.execute(
        "SELECT * FROM screening WHERE collection = ? AND pmid = ? ORDER BY id", (collection, pmid)))


def screening_reasons(conn, collection: str) -> list[str]:
    """The collection's list of exclusion reasons, in the order they were set."""
    return [r for (r,) in conn.execute(
        "SELECT reason FROM screening_reasons WHERE collection = ? ORDER BY position", (collection,))]


def set_screening_reasons(db: sqlite_utils.Database, collection: str, reasons: list[str]) -> None:
    """Replace the collection's reason list (decisions already made keep their text)."""
    if collection_member_pmids(db.conn, collection) is None:
        raise ScreeningError(f"no collection named {collection!r}")
    cleaned = list(dict.fromkeys(r.strip() for r in reasons if r.strip()))
    with db.conn:
        db.conn.execute("DELETE FROM screening_reasons WHERE collection = ?", (collection,))
        db.conn.executemany("INSERT INTO screening_reasons (collection, reason, position) VALUES (?, ?, ?)",
                            [(collection, r, i) for i, r in enumerate(cleaned)])
