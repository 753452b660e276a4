"""The crawl frontier, read from the database: what is not stored yet, what a source still needs.

Whatever is stored is never asked for again (``litbase.grow.crawl``), so each
question a crawl, a search or a refresh asks before going to the network is
a query here: which of these PMIDs have a PubMed record, which have had
their links looked up, which a source has answered for, which PubMed did
not know when last asked, and what links lead on from an article.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from litbase.store.articles import utc_now
from litbase.store.completeness import REFERENCE_LIST_SOURCES
from litbase.store.sql import IDS, placeholders, select_in


def stored_pmids(db: sqlite_utils.Database, pmids: Iterable[int]) -> set[int]:
    """The PMIDs among these that have an articles row of any kind."""
    return {r[0] for r in select_in(db, f"SELECT pmid FROM articles WHERE pmid IN ({IDS})", pmids)}


def pubmed_records(db: sqlite_utils.Database, pmids: Iterable[int]) -> set[int]:
    """The PMIDs among these whose stored record came from PubMed itself (efetch)."""
    return {r[0] for r in select_in(
        db, f"SELECT pmid FROM articles WHERE record_source = 'efetch' AND pmid IN ({IDS})", pmids)}


def records_needed(db: sqlite_utils.Database, pmids: Iterable[int], retry_missing: bool) -> list[int]:
    """PMIDs with no PubMed record stored yet (dataset stubs count as not stored)."""
    pmids = list(pmids)
    have = pubmed_records(db, pmids)
    missing = set() if retry_missing else known_missing(db)
    return [p for p in dict.fromkeys(pmids) if p not in have and p not in missing]


def known_missing(db: sqlite_utils.Database) -> set[int]:
    """PMIDs PubMed had no record (or no links) for when last asked."""
    return {r[0] for r in db.conn.execute("SELECT pmid FROM missing_pmids")}


def save_missing(db: sqlite_utils.Database, pmids: Iterable[int], reason: str) -> None:
    """Note PMIDs a source had no record (or no links) for, and why; a later answer forgets them."""
    now = utc_now()
    db.conn.executemany(
        "INSERT INTO missing_pmids (pmid, reason, first_seen, last_checked) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(pmid) DO UPDATE SET reason = excluded.reason,"
        " last_checked = excluded.last_checked",
        [(p, reason, now, now) for p in pmids],
    )


def forget_missing(db: sqlite_utils.Database, pmids: Iterable[int]) -> None:
    """Strike PMIDs off ``missing_pmids``: a source has answered for them now."""
    db.conn.executemany("DELETE FROM missing_pmids WHERE pmid = ?", [(p,) for p in pmids])


def links_needed(db: sqlite_utils.Database, pmids: Iterable[int]) -> list[int]:
    """Stored articles that elink has not been asked about yet, in the order given."""
    pmids = list(dict.fromkeys(pmids))
    need = {r[0] for r in select_in(
        db, f"SELECT pmid FROM articles WHERE links_fetched_at IS NULL AND pmid IN ({IDS})", pmids)}
    return [p for p in pmids if p in need]


def links_seen(db: sqlite_utils.Database, pmid: int) -> bool:
    """Whether elink has been asked about this stored article before."""
    row = db.conn.execute("SELECT links_fetched_at FROM articles WHERE pmid = ?", [pmid]).fetchone()
    return bool(row and row[0])


def sources_needed(db: sqlite_utils.Database, source: str, pmids: list[int]) -> list[int]:
    """Stored articles this source has not answered for yet (never asked, or it failed), in the order given."""
    pmids = list(dict.fromkeys(pmids))
    need = {r[0] for r in select_in(
        db, f"SELECT pmid FROM articles WHERE pmid IN ({IDS}) AND pmid NOT IN"
        " (SELECT pmid FROM article_sources WHERE source = ? AND status != 'failed')", pmids, [source])}
    return [p for p in pmids if p in need]


def reference_pmids(db: sqlite_utils.Database, pmid: int) -> list[int]:
    """The PMIDs an article's reference lists link to (any list source), in PMID order."""
    return [r[0] for r in db.conn.execute(
        f"SELECT DISTINCT cited FROM citations WHERE citing = ?"
        f" AND source IN ({placeholders(REFERENCE_LIST_SOURCES)}) ORDER BY cited",
        [pmid, *REFERENCE_LIST_SOURCES])]


def citing_pmids(db: sqlite_utils.Database, pmid: int) -> list[int]:
    """The PMIDs any source says cite this article, in PMID order."""
    return [r[0] for r in db.conn.execute(
        "SELECT DISTINCT citing FROM citations WHERE cited = ? ORDER BY citing", [pmid])]


def similar_pmids(db: sqlite_utils.Database, pmid: int, limit: int | None = None) -> list[int]:
    """The articles PubMed calls similar to this one, best first; the first ``limit`` when given."""
    # LIMIT -1 is SQLite's "no limit".
    return [r[0] for r in db.conn.execute(
        "SELECT similar_pmid FROM similar_articles WHERE pmid = ? ORDER BY rank LIMIT ?",
        [pmid, -1 if limit is None else limit])]
