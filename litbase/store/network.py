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

SEEDS_SQL = "SELECT DISTINCT pmid FROM collections_articles WHERE role = 'seed' ORDER BY pmid"


def _members(pmid: int | None, collection: str | None) -> tuple[str, dict]:
    if pmid is not None:
        return NEIGHBOURHOOD, {"pmid": pmid}
    if collection is not None:
        return COLLECTION, {"collection": collection}
    return EVERYTHING, {}


def _metrics_join(conn) -> str:
    # A base never graphed (or made before article_metrics existed) still draws, unsized.
    if table_exists(conn, "article_metrics"):
        return "LEFT JOIN article_metrics m ON m.pmid = s.pmid"
    return "LEFT JOIN (SELECT NULL AS pmid, NULL AS citations_received, NULL AS community) m ON m.pmid = s.pmid"


def network_selection(conn, pmid: int | None, collection: str | None, limit: int) -> dict:
    """Which stored articles to draw: the focus, then the seeds, then the most cited, ``limit`` at most.

    Returns ``{"members": how many the network has, "pmids": the drawn ones, "seeds": seeds among them}``.
    """
    members, params = _members(pmid, collection)
    total = conn.execute(members + "SELECT count(*) FROM members", params).fetchone()[0]
    # Seeds are few (one per collection grown from an article): find them all, then keep the members.
    all_seeds = [r[0] for r in conn.execute(SEEDS_SQL)]
    seeds = sorted({
        r[0] for batch in chunks(all_seeds, CHUNK) for r in conn.execute(
            members + "SELECT pmid FROM members WHERE pmid IN ("
            + ",".join(f":s{i}" for i in range(len(batch))) + ")",
            {**params, **{f"s{i}": s for i, s in enumerate(batch)}})
    }) if all_seeds else []
    top = [r[0] for r in conn.execute(
        members + f"SELECT s.pmid FROM members s {_metrics_join(conn)}"
        " ORDER BY coalesce(m.citations_received, 0) DESC, s.pmid LIMIT :limit",
        {**params, "limit": limit})]
    focus_stored = pmid is not None and conn.execute(
        "SELECT 1 FROM articles WHERE pmid = ?", [pmid]).fetchone() is not None
    first = ([pmid] if focus_stored else []) + [s for s in seeds if s != pmid]
    chosen = list(dict.fromkeys(first + top))[:limit]
    return {"members": total, "pmids": chosen, "seeds": [s for s in seeds if s in set(chosen)]}


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


def replace_layout(db: sqlite_utils.Database, rows: Iterable[tuple[int, float, float]]) -> None:
    """Replace every stored map position with ``rows`` of (pmid, x, y), in one transaction."""
    with db.conn:
        db.conn.execute(f"DELETE FROM {LAYOUT_TABLE}")
        db.conn.executemany(f"INSERT INTO {LAYOUT_TABLE} (pmid, x, y) VALUES (?, ?, ?)", rows)
