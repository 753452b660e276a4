"""What the interactive network page reads, and the map positions ``litbase graph`` stores for it.

The page draws a neighbourhood or a collection, never a whole base: the
selection is capped in SQL (``ORDER BY ... LIMIT``), seeds first and then the
most cited, so one page reads a few hundred rows whether the base holds 500 or
500,000 articles. Every function takes a DB-API connection first (Datasette's
read connection, or a plain one), except the writer, which takes the
sqlite-utils database ``litbase graph`` works on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from litbase.model.ids import chunks
from litbase.store.rows import dict_rows, table_exists
from litbase.store.sql import CHUNK, placeholders

if TYPE_CHECKING:
    import sqlite_utils

LAYOUT_TABLE = "article_layout"

# The members of each kind of network, as a CTE named ``members(pmid)``; only stored articles are drawn.
NEIGHBOURHOOD = """
WITH members(pmid) AS (
  SELECT pmid FROM articles WHERE pmid = :pmid
  UNION SELECT c.cited FROM citations c JOIN articles a ON a.pmid = c.cited WHERE c.citing = :pmid
  UNION SELECT c.citing FROM citations c JOIN articles a ON a.pmid = c.citing WHERE c.cited = :pmid)
"""
# (collection, pmid) is the primary key of collections_articles: no DISTINCT needed, so
# SQLite can push a ``WHERE pmid IN (...)`` down to the key.
COLLECTION = """
WITH members(pmid) AS (
  SELECT ca.pmid FROM collections_articles ca JOIN articles a ON a.pmid = ca.pmid
  WHERE ca.collection = :collection)
"""
EVERYTHING = "WITH members(pmid) AS (SELECT pmid FROM articles)"

# Whether the article l.pmid is a member, one key lookup each: in a large collection or base
# the most cited members are found by walking article_layout's rank index until enough are.
MEMBER_TEST = {
    "collection": "EXISTS (SELECT 1 FROM collections_articles ca JOIN articles a ON a.pmid = ca.pmid"
                  " WHERE ca.collection = :collection AND ca.pmid = l.pmid)",
    "all": "EXISTS (SELECT 1 FROM articles a WHERE a.pmid = l.pmid)",
}
# Up to this many members a scan and a sort is quicker than the walk (which, for a small
# collection in a large base, would visit most of the index before it finds enough).
SCAN_MAX = 20_000

# A collection's size from its primary key alone (a join to articles would read every member);
# a member not stored as an article is not drawn, so it counts as left out.
COUNT_SQL = {"collection": "SELECT count(*) FROM collections_articles WHERE collection = :collection"}
SEEDS_SQL = "SELECT DISTINCT pmid FROM collections_articles WHERE role = 'seed' ORDER BY pmid"


def _members(pmid: int | None, collection: str | None) -> tuple[str, str, dict]:
    if pmid is not None:
        return NEIGHBOURHOOD, "pmid", {"pmid": pmid}
    if collection is not None:
        return COLLECTION, "collection", {"collection": collection}
    return EVERYTHING, "all", {}


def _metrics_join(conn) -> str:
    # A base never graphed (or made before article_metrics existed) still draws, unsized.
    if table_exists(conn, "article_metrics"):
        return "LEFT JOIN article_metrics m ON m.pmid = s.pmid"
    return "LEFT JOIN (SELECT NULL AS pmid, NULL AS citations_received, NULL AS community) m ON m.pmid = s.pmid"


def network_selection(conn, pmid: int | None, collection: str | None, limit: int) -> dict:
    """Which stored articles to draw: the focus, then the seeds, then the most cited, ``limit`` at most.

    Returns ``{"members": how many the network has, "pmids": the drawn ones, "seeds": seeds among them}``.
    """
    members, kind, params = _members(pmid, collection)
    total = conn.execute(COUNT_SQL.get(kind, members + "SELECT count(*) FROM members"), params).fetchone()[0]
    # Seeds are few (one per collection grown from an article): find them all, then keep the members.
    all_seeds = [r[0] for r in conn.execute(SEEDS_SQL)]
    seeds = sorted({
        r[0] for batch in chunks(all_seeds, CHUNK) for r in conn.execute(
            members + "SELECT pmid FROM members WHERE pmid IN ("
            + ",".join(f":s{i}" for i in range(len(batch))) + ")",
            {**params, **{f"s{i}": s for i, s in enumerate(batch)}})
    }) if all_seeds else []
    top = _most_cited(conn, members, kind, params, total, limit)
    focus_stored = pmid is not None and conn.execute(
        "SELECT 1 FROM articles WHERE pmid = ?", [pmid]).fetchone() is not None
    first = ([pmid] if focus_stored else []) + [s for s in seeds if s != pmid]
    chosen = list(dict.fromkeys(first + top))[:limit]
    return {"members": total, "pmids": chosen, "seeds": [s for s in seeds if s in set(chosen)]}


def _most_cited(conn, members: str, kind: str, params: dict, total: int, limit: int) -> list[int]:
    """The ``limit`` members most cited within the base (then by PMID)."""
    if total > SCAN_MAX and kind in MEMBER_TEST and table_exists(conn, LAYOUT_TABLE):
        # article_layout.rank is that order, as of the last `litbase graph`; an article
        # stored since has no rank (nor any citation counted) and comes after, by PMID.
        top = [r[0] for r in conn.execute(
            f"SELECT l.pmid FROM {LAYOUT_TABLE} l WHERE {MEMBER_TEST[kind]} ORDER BY l.rank LIMIT :limit",
            {**params, "limit": limit})]
        if len(top) == limit:
            return top
        return top + [r[0] for r in conn.execute(
            members + f"SELECT s.pmid FROM members s WHERE s.pmid NOT IN (SELECT pmid FROM {LAYOUT_TABLE})"
            " ORDER BY s.pmid LIMIT :limit", {**params, "limit": limit - len(top)})]
    return [r[0] for r in conn.execute(
        members + f"SELECT s.pmid FROM members s {_metrics_join(conn)}"
        " ORDER BY coalesce(m.citations_received, 0) DESC, s.pmid LIMIT :limit",
        {**params, "limit": limit})]


def network_node_rows(conn, pmids: list[int]) -> list[dict]:
    """pmid, title, year, authors, journal_iso, mesh_terms, citations_received, community, x, y of ``pmids``.

    x and y are the stored map position (NULL for an article stored after the last ``litbase graph``).
    """
    layout = (f"LEFT JOIN {LAYOUT_TABLE} l ON l.pmid = s.pmid" if table_exists(conn, LAYOUT_TABLE)
              else "LEFT JOIN (SELECT NULL AS pmid, NULL AS x, NULL AS y) l ON l.pmid = s.pmid")
    return [
        row
        for batch in chunks(pmids, CHUNK)
        for row in dict_rows(conn.execute(
            "SELECT s.pmid, s.title, s.year, s.authors, s.journal_iso, s.mesh_terms,"
            " m.citations_received, m.community, l.x, l.y"
            f" FROM articles s {_metrics_join(conn)} {layout}"
            f" WHERE s.pmid IN ({placeholders(batch)}) ORDER BY s.pmid",
            batch,
        ))
    ]


def links_among(conn, pmids: list[int]) -> list[tuple[int, int]]:
    """Distinct (citing, cited) links with both ends in ``pmids``, self-links left out, in order."""
    inside = set(pmids)
    return sorted({
        (a, b)
        for batch in chunks(sorted(inside), CHUNK)
        for a, b in conn.execute(
            f"SELECT DISTINCT citing, cited FROM citations WHERE citing IN ({placeholders(batch)})", batch)
        if b in inside and a != b
    })


def replace_layout(db: sqlite_utils.Database, rows: Iterable[tuple[int, float, float, int]]) -> None:
    """Replace every stored map position with ``rows`` of (pmid, x, y, rank), in one transaction."""
    with db.conn:
        db.conn.execute(f"DELETE FROM {LAYOUT_TABLE}")
        db.conn.executemany(f"INSERT INTO {LAYOUT_TABLE} (pmid, x, y, rank) VALUES (?, ?, ?, ?)", rows)
