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
from litbase.store.rows import dict_rows, first_row


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_decisions(db: sqlite_utils.Database, decisions: list[Decision], decided_at: str | None = None) -> int:
    """Store decisions (all or none); refuses an unknown collection or a PMID outside it.

    A decision identical to the reviewer's current one (decision, reason and
    note) is not written again, so a rerun of a command or an import adds
    nothing; returns how many rows were written.
    """
    decisions = [d.checked() for d in decisions]
    decided_at = decided_at or now_utc()
    for collection in {d.collection for d in decisions}:
        outside = sorted(_outside(db.conn, collection, {d.pmid for d in decisions if d.collection == collection}))
        if outside:
            shown = ", ".join(map(str, outside[:5])) + (" ..." if len(outside) > 5 else "")
            raise ScreeningError(f"{len(outside)} PMID(s) not in collection {collection!r}: {shown}")
    latest = _latest_rows(db.conn, decisions)
    rows = []
    for d in decisions:
        key = (d.collection, d.pmid, d.reviewer.strip(), d.stage)
        if d.same_as(latest.get(key)):
            continue
        latest[key] = {"decision": d.decision, "reason": d.reason, "note": d.note}
        rows.append((d.collection, d.pmid, d.reviewer.strip(), d.stage, d.decision, d.reason or None,
                     d.note or None, d.decided_at or decided_at))
    with db.conn:
        db.conn.executemany(
            "INSERT INTO screening (collection, pmid, reviewer, stage, decision, reason, note, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


# Up to this many decisions, each reviewer's current row is looked up one by one
# (a click on the web page costs one indexed lookup, not a read of every decision).
_ONE_BY_ONE = 200


def _latest_rows(conn, decisions: list[Decision]) -> dict[tuple, dict]:
    """(collection, pmid, reviewer, stage) -> that reviewer's current row, for the decisions given."""
    latest: dict[tuple, dict] = {}
    if len(decisions) <= _ONE_BY_ONE:
        for d in decisions:
            key = (d.collection, d.pmid, d.reviewer.strip(), d.stage)
            row = first_row(conn.execute(
                "SELECT decision, reason, note FROM screening WHERE collection = ? AND pmid = ?"
                " AND reviewer = ? AND stage = ? ORDER BY id DESC LIMIT 1", key))
            if row:
                latest[key] = row
        return latest
    for collection, stage in {(d.collection, d.stage) for d in decisions}:
        for row in current_decisions(conn, collection, stage):
            latest[(collection, row["pmid"], row["reviewer"], stage)] = row
    return latest


def _outside(conn, collection: str, pmids: set[int]) -> set[int]:
    """The PMIDs that are not members of the collection; ScreeningError when there is no such collection."""
    if conn.execute("SELECT 1 FROM collections WHERE name = ?", (collection,)).fetchone() is None:
        raise ScreeningError(f"no collection named {collection!r}")
    if len(pmids) > _ONE_BY_ONE:
        return pmids - collection_member_pmids(conn, collection)
    return {pmid for pmid in pmids if conn.execute(
        "SELECT 1 FROM collections_articles WHERE collection = ? AND pmid = ? LIMIT 1",
        (collection, pmid)).fetchone() is None}


def has_members(conn, collection: str) -> bool:
    """Whether a collection exists and has at least one member."""
    return conn.execute("SELECT 1 FROM collections_articles WHERE collection = ? LIMIT 1",
                        (collection,)).fetchone() is not None


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


def mark_compared(db: sqlite_utils.Database, collection: str, reviewer: str, stage: str,
                  compared_at: str | None = None) -> None:
    """Record that a reviewer asked to see the others' decisions (the first time counts)."""
    with db.conn:
        db.conn.execute(
            "INSERT OR IGNORE INTO screening_comparisons (collection, reviewer, stage, compared_at)"
            " VALUES (?, ?, ?, ?)", (collection, reviewer, stage, compared_at or now_utc()))


def compared_at(conn, collection: str, reviewer: str, stage: str) -> str | None:
    """When the reviewer first compared at this stage, or None (still blind)."""
    row = conn.execute("SELECT compared_at FROM screening_comparisons"
                       " WHERE collection = ? AND reviewer = ? AND stage = ?",
                       (collection, reviewer, stage)).fetchone()
    return row[0] if row else None


def screening_queue(conn, collection: str, stage: str) -> list[int]:
    """The PMIDs to screen at a stage, in screening order (nearest the seeds first, then by PMID).

    Title and abstract: every member. Full text: the members some reviewer
    included or marked maybe at title and abstract (the records still in play).
    """
    rows = conn.execute(
        "SELECT pmid FROM collections_articles WHERE collection = :collection"
        " AND (:stage = 'title_abstract' OR pmid IN ("
        "   SELECT s.pmid FROM screening s JOIN ("
        "     SELECT max(id) AS id FROM screening WHERE collection = :collection"
        "     AND stage = 'title_abstract' GROUP BY pmid, reviewer) latest ON latest.id = s.id"
        "   WHERE s.decision IN ('include', 'maybe')))"
        " GROUP BY pmid ORDER BY min(depth), pmid", {"collection": collection, "stage": stage})
    return [pmid for (pmid,) in rows]


def screening_record(conn, collection: str, pmid: int) -> dict | None:
    """What a reviewer reads to decide: the article, its MeSH terms, and why it is in the collection.

    ``ways``: one per membership row (role, hop, seed) with ``via``, the
    collection's articles one hop nearer the seed that link to it and the
    sources that reported each link (empty for a seed or a search hit).
    """
    article = first_row(conn.execute(
        "SELECT pmid, title, abstract, authors, journal_iso, year, doi, publication_types, keywords"
        " FROM articles WHERE pmid = ?", (pmid,)))
    if article is None:
        article = {"pmid": pmid, "title": None, "abstract": None}
    article["mesh"] = [name for (name,) in conn.execute(
        "SELECT m.name FROM articles_mesh_terms am JOIN mesh_terms m ON m.id = am.mesh_id"
        " WHERE am.pmid = ? ORDER BY am.major_topic DESC, m.name", (pmid,))]
    ways = dict_rows(conn.execute(
        "SELECT role, depth, seed_pmid FROM collections_articles WHERE collection = ? AND pmid = ?"
        " ORDER BY depth, role", (collection, pmid)))
    if not ways:
        return None
    for way in ways:
        way["via"] = _via(conn, collection, pmid, way["role"], way["depth"])
    article["ways"] = ways
    return article


# Which stored link put an article of this role into the collection: a
# reference is cited by an article one hop nearer the seed, a citing article
# cites one, a similar article was listed as similar to one.
_LINKS = {
    "reference": "SELECT citing, group_concat(DISTINCT source) FROM citations WHERE cited = :pmid"
                 " AND citing IN ({nearer}) GROUP BY citing ORDER BY citing LIMIT 5",
    "citing": "SELECT cited, group_concat(DISTINCT source) FROM citations WHERE citing = :pmid"
              " AND cited IN ({nearer}) GROUP BY cited ORDER BY cited LIMIT 5",
    "similar": "SELECT pmid, 'pubmed_similar' FROM similar_articles WHERE similar_pmid = :pmid"
               " AND pmid IN ({nearer}) ORDER BY pmid LIMIT 5",
}
_NEARER = "SELECT pmid FROM collections_articles WHERE collection = :collection AND depth = :depth - 1"


def _via(conn, collection: str, pmid: int, role: str, depth: int | None) -> list[dict]:
    if role not in _LINKS or not depth:
        return []
    rows = conn.execute(_LINKS[role].format(nearer=_NEARER),
                        {"pmid": pmid, "collection": collection, "depth": depth})
    return [{"pmid": other, "sources": (sources or "").split(",")} for other, sources in rows]


def screening_collections(conn) -> list[dict]:
    """Every collection with its member count, for the screening index page."""
    return dict_rows(conn.execute(
        "SELECT c.name, c.title, (SELECT count(DISTINCT pmid) FROM collections_articles ca"
        " WHERE ca.collection = c.name) AS members FROM collections c ORDER BY c.name"))
