"""Retractions, corrections and expressions of concern: what the database knows, and who cites them.

PubMed flags a retracted article two ways (the publication type "Retracted
Publication" and a RetractionIn notice); the parser folds both into
``articles.is_retracted``. Corrections and expressions of concern live only
among ``related_notices`` (JSON), as CommentsCorrections RefTypes.

Articles citing retracted work carry ``articles.cites_retracted``: how many
retracted articles stored here they cite (NULL when none), so the articles
table can facet on it. It is derived, like the graph tables, and kept by
``update_cites_retracted``, which build, fetch, graph, import and refresh
call after they write. Two partial indexes keep both reads proportional to the
few articles concerned, not to the whole table.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Datasette pages call the reads with a plain sqlite3 connection
    import sqlite_utils

# CommentsCorrections RefTypes that put a flag on the article that carries them.
RETRACTED = "retracted"
CORRECTED = "corrected"
CONCERN = "expression_of_concern"
NOTICE_FLAGS = {
    "RetractionIn": RETRACTED,
    "RetractedandRepublishedIn": RETRACTED,
    "ErratumIn": CORRECTED,
    "CorrectedandRepublishedIn": CORRECTED,
    "ExpressionOfConcernIn": CONCERN,
}
FLAG_LABELS = {RETRACTED: "Retracted", CORRECTED: "Corrected", CONCERN: "Expression of concern"}

# Index name -> statement; partial, so they hold only the flagged rows.
PARTIAL_INDEXES = {
    "idx_articles_retracted": "CREATE INDEX IF NOT EXISTS idx_articles_retracted"
                              " ON articles (pmid) WHERE is_retracted = 1",
    "idx_articles_cites_retracted": "CREATE INDEX IF NOT EXISTS idx_articles_cites_retracted"
                                    " ON articles (cites_retracted) WHERE cites_retracted IS NOT NULL",
}

RETRACTED_SQL = "SELECT pmid FROM articles WHERE is_retracted = 1"
MISSING_SQL = "SELECT pmid FROM missing_pmids"
COUNT_RETRACTED_CITED = """
SELECT c.citing, count(DISTINCT c.cited)
FROM citations c
WHERE c.cited IN (SELECT pmid FROM articles WHERE is_retracted = 1)
  AND c.citing != c.cited
GROUP BY c.citing
"""


def ensure_retraction_indexes(db: sqlite_utils.Database) -> None:
    for statement in PARTIAL_INDEXES.values():
        db.conn.execute(statement)


def retracted_pmids(conn) -> set[int]:
    """Every stored article flagged as retracted."""
    return {r[0] for r in conn.execute(RETRACTED_SQL)}


def missing_pmids(conn) -> set[int]:
    """PMIDs PubMed said it has no record of (empty for a database without the table)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'missing_pmids'").fetchone()
    return {r[0] for r in conn.execute(MISSING_SQL)} if exists else set()


def update_cites_retracted(db: sqlite_utils.Database) -> int:
    """Recount ``cites_retracted`` for every article; returns how many articles cite retracted work.

    Only the rows whose count changes are written, so a rerun writes nothing.
    """
    fresh = dict(db.conn.execute(COUNT_RETRACTED_CITED).fetchall())
    stored = dict(db.conn.execute(
        "SELECT pmid, cites_retracted FROM articles WHERE cites_retracted IS NOT NULL").fetchall())
    cleared = [(pmid,) for pmid in stored if pmid not in fresh]
    changed = [(n, pmid) for pmid, n in fresh.items() if stored.get(pmid) != n]
    with db.conn:
        db.conn.executemany("UPDATE articles SET cites_retracted = NULL WHERE pmid = ?", cleared)
        # A citing article not stored yet has no row to mark: UPDATE leaves it out.
        db.conn.executemany("UPDATE articles SET cites_retracted = ? WHERE pmid = ?", changed)
    return db.conn.execute(
        "SELECT count(*) FROM articles WHERE cites_retracted IS NOT NULL").fetchone()[0]


def notice_flags(is_retracted, related_notices) -> list[str]:
    """The flags an article carries (RETRACTED, CORRECTED, CONCERN), from its row's two columns."""
    try:
        notices = json.loads(related_notices) if related_notices else []
    except ValueError:
        notices = []
    found = {NOTICE_FLAGS.get(n.get("ref_type")) for n in notices if isinstance(n, dict)}
    if is_retracted:
        found.add(RETRACTED)
    return [flag for flag in FLAG_LABELS if flag in found]


def flagged_notices(related_notices) -> list[dict]:
    """The notices behind the flags ({"flag", "ref_type", "pmid", "citation"}), in the record's order."""
    try:
        notices = json.loads(related_notices) if related_notices else []
    except ValueError:
        notices = []
    return [{"flag": NOTICE_FLAGS[n["ref_type"]], **n} for n in notices
            if isinstance(n, dict) and n.get("ref_type") in NOTICE_FLAGS]
