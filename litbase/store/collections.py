"""Collections: write one and its members, keep its stored count, list them, compare two.

Every write is plain SQL inside the caller's transaction (``with db.conn:``):
sqlite-utils' own upsert commits on its own, and an import must land whole.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from litbase.store.articles import utc_now
from litbase.store.schema import TABLES
from litbase.store.sql import placeholders

COLUMNS = tuple(TABLES["collections"]["columns"])


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
    return set(member_pmids(db, name))


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


def save_collection(db: sqlite_utils.Database, collection: dict, keep_stored: bool = False) -> str:
    """Create a collection or update it with these fields; returns its name.

    ``keep_stored``: a field the stored collection already has keeps its value
    (an import adds members, it does not describe the collection anew);
    otherwise the fields given replace the stored ones, as a new crawl or
    search of the same name does.
    """
    unknown = set(collection) - set(COLUMNS)
    if unknown:
        raise ValueError(f"collections has no column {', '.join(sorted(unknown))}")
    now = utc_now()
    fields = {k: v for k, v in collection.items() if k not in ("name", "updated_at")}
    row = {"name": collection["name"], "created_at": now, **fields, "updated_at": now}
    if keep_stored:
        updates = [f"[{c}] = coalesce(collections.[{c}], excluded.[{c}])" for c in fields]
    else:
        updates = [f"[{c}] = excluded.[{c}]" for c in fields]
    updates.append("updated_at = excluded.updated_at")
    db.conn.execute(
        f"INSERT INTO collections ({', '.join(f'[{c}]' for c in row)}) VALUES ({placeholders(row)})"
        f" ON CONFLICT(name) DO UPDATE SET {', '.join(updates)}",
        list(row.values()),
    )
    return collection["name"]


def collection_exists(db: sqlite_utils.Database, name: str) -> bool:
    return db.conn.execute("SELECT 1 FROM collections WHERE name = ?", [name]).fetchone() is not None


def delete_collection(db: sqlite_utils.Database, name: str) -> None:
    """Remove a collection and its membership rows (the articles stay)."""
    db.conn.execute("DELETE FROM collections_articles WHERE collection = ?", [name])
    db.conn.execute("DELETE FROM collections WHERE name = ?", [name])


def add_to_collection(db: sqlite_utils.Database, collection: str, members: Iterable[dict]) -> None:
    """Record articles in a collection; the first (shallowest) depth for a role wins."""
    now = utc_now()
    db.conn.executemany(
        "INSERT INTO collections_articles (collection, pmid, role, depth, seed_pmid, added_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(collection, pmid, role) DO UPDATE SET"
        "  depth = min(depth, excluded.depth),"
        "  seed_pmid = CASE WHEN excluded.depth < depth THEN excluded.seed_pmid ELSE seed_pmid END",
        [
            (collection, m["pmid"], m["role"], m.get("depth", 0), m.get("seed_pmid"), now)
            for m in members
        ],
    )


def update_stored_count(db: sqlite_utils.Database, name: str) -> int:
    """Set and return a collection's count of members that have a stored article."""
    db.conn.execute(
        "UPDATE collections SET stored_count = (SELECT count(DISTINCT ca.pmid)"
        " FROM collections_articles ca JOIN articles a ON a.pmid = ca.pmid"
        " WHERE ca.collection = ?) WHERE name = ?",
        [name, name],
    )
    return db.conn.execute("SELECT stored_count FROM collections WHERE name = ?", [name]).fetchone()[0]


def member_pmids(db: sqlite_utils.Database, name: str) -> list[int]:
    """The PMIDs of a collection, each once, in PMID order (none for an unknown name)."""
    return [r[0] for r in db.conn.execute(
        "SELECT DISTINCT pmid FROM collections_articles WHERE collection = ? ORDER BY pmid", [name])]


def core_members(db: sqlite_utils.Database, name: str) -> dict[int, int]:
    """A collection's depth-0 members, each with the seed it belongs to (itself when none is named)."""
    return {r[0]: r[1] for r in db.conn.execute(
        "SELECT pmid, coalesce(seed_pmid, pmid) FROM collections_articles"
        " WHERE collection = ? AND depth = 0", [name])}
