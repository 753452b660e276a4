"""Collections as sets: list them, compare two, record one inside a caller's transaction."""

from __future__ import annotations

import sqlite_utils

from litbase.store.articles import utc_now


class CollectionError(ValueError):
    pass


def collection_summaries(db: sqlite_utils.Database) -> list[dict]:
    """Every collection with its member count, per-role counts and where it came from."""
    rows = db.conn.execute(
        "SELECT c.name, c.source, c.query, c.query_count,"
        " (SELECT count(DISTINCT ca.pmid) FROM collections_articles ca WHERE ca.collection = c.name),"
        " (SELECT count(DISTINCT ca.pmid) FROM collections_articles ca"
        "   JOIN articles a ON a.pmid = ca.pmid WHERE ca.collection = c.name),"
        " c.updated_at FROM collections c ORDER BY c.name"
    ).fetchall()
    summaries = []
    for name, source, query, query_count, members, stored, updated_at in rows:
        roles = dict(db.conn.execute(
            "SELECT role, count(*) FROM collections_articles WHERE collection = ?"
            " GROUP BY role ORDER BY role", [name]).fetchall())
        summaries.append({"name": name, "source": source, "query": query,
                          "query_count": query_count, "members": members, "stored": stored,
                          "roles": roles, "updated_at": updated_at})
    return summaries


def members(db: sqlite_utils.Database, name: str) -> set[int]:
    """The PMIDs of a collection; CollectionError when there is no such collection."""
    if not db["collections"].count_where("name = ?", [name]):
        known = ", ".join(r[0] for r in db.conn.execute("SELECT name FROM collections ORDER BY 1"))
        raise CollectionError(f"no collection named {name!r} (known: {known or 'none'})")
    return {r[0] for r in db.conn.execute(
        "SELECT DISTINCT pmid FROM collections_articles WHERE collection = ?", [name])}


def compare_collections(db: sqlite_utils.Database, a: str, b: str) -> dict:
    """PMIDs only in ``a``, only in ``b``, in both, and their Jaccard similarity."""
    in_a, in_b = members(db, a), members(db, b)
    union = in_a | in_b
    return {
        "a": a,
        "b": b,
        "only_a": sorted(in_a - in_b),
        "only_b": sorted(in_b - in_a),
        "both": sorted(in_a & in_b),
        "jaccard": round(len(in_a & in_b) / len(union), 4) if union else 0.0,
    }


def record_collection(db: sqlite_utils.Database, name: str, source: str,
                      description: str | None = None, seed_pmids: str | None = None) -> None:
    """Create or touch a collection with plain SQL, inside the caller's transaction.

    store.save_collection goes through sqlite-utils' upsert, which commits on
    its own; an import that must land whole cannot use it.
    """
    now = utc_now()
    db.conn.execute(
        "INSERT INTO collections (name, source, description, seed_pmids, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
        " updated_at = excluded.updated_at,"
        " description = coalesce(collections.description, excluded.description),"
        " seed_pmids = coalesce(collections.seed_pmids, excluded.seed_pmids)",
        [name, source, description, seed_pmids, now, now],
    )
