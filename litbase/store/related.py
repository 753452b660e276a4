"""The stored signals ``litbase.graph.related`` ranks: link counts, PubMed's neighbours, FTS matches.

Each function answers for one article and returns ``{other_pmid: value}``;
the ranking, scaling and tie-breaking stay in the graph package.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from litbase.store.sql import select_in

if TYPE_CHECKING:
    import sqlite_utils

# Exact counts straight from the links, between stored articles, so that a
# large collection's thresholded pair tables (schema.PAIR_ROWS_BUDGET)
# never hide a weak signal from the ranking.
# CROSS JOIN keeps SQLite's join order: start from the article's few links,
# then walk the (cited, citing) index, never scan the whole table.
COCITED_WITH = """
SELECT c.cited, count(DISTINCT c.citing)
FROM (SELECT DISTINCT citing FROM citations WHERE cited = :pmid) AS citer
CROSS JOIN citations AS c ON c.citing = citer.citing
CROSS JOIN articles AS stored ON stored.pmid = c.cited
WHERE citer.citing IN (SELECT pmid FROM articles) AND c.cited != :pmid
GROUP BY c.cited
"""
COUPLED_WITH = """
SELECT c.citing, count(DISTINCT c.cited)
FROM (SELECT DISTINCT cited FROM citations WHERE citing = :pmid) AS ref
CROSS JOIN citations AS c ON c.cited = ref.cited
CROSS JOIN articles AS stored ON stored.pmid = c.citing
WHERE ref.cited IN (SELECT pmid FROM articles) AND c.citing != :pmid
GROUP BY c.citing
"""


def cocited_with(db: sqlite_utils.Database, pmid: int) -> dict[int, int]:
    """Stored articles cited together with ``pmid``, and by how many stored articles."""
    return dict(db.conn.execute(COCITED_WITH, {"pmid": pmid}).fetchall())


def coupled_with(db: sqlite_utils.Database, pmid: int) -> dict[int, int]:
    """Stored articles sharing references with ``pmid``, and how many."""
    return dict(db.conn.execute(COUPLED_WITH, {"pmid": pmid}).fetchall())


def pubmed_similarity(db: sqlite_utils.Database, pmid: int) -> dict[int, float]:
    """PubMed's similarity score of each neighbour, whichever side elink listed it on (the higher wins)."""
    scores: dict[int, float] = {}
    for other, score in db.conn.execute(
        "SELECT similar_pmid, score FROM similar_articles WHERE pmid = ?"
        " UNION ALL SELECT pmid, score FROM similar_articles WHERE similar_pmid = ?",
        [pmid, pmid],
    ):
        scores[other] = max(scores.get(other, 0), score or 0)
    return scores


def topic_fields(db: sqlite_utils.Database, pmid: int) -> dict | None:
    """The article's title, keywords and MeSH terms (lists), or None when it is not stored."""
    row = db.conn.execute(
        "SELECT title, keywords, mesh_terms FROM articles WHERE pmid = ?", [pmid]).fetchone()
    if row is None:
        return None
    return {"title": row[0], "keywords": json.loads(row[1] or "[]"),
            "mesh_terms": json.loads(row[2] or "[]")}


def text_matches(db: sqlite_utils.Database, query: str, limit: int) -> dict[int, float]:
    """The ``limit`` best full-text matches of an FTS5 query, higher score for a better match."""
    # bm25() is lower for better matches; negate so that higher is better.
    return {
        pmid: -score
        for pmid, score in db.conn.execute(
            "SELECT rowid, bm25(articles_fts) FROM articles_fts WHERE articles_fts MATCH ?"
            " ORDER BY bm25(articles_fts) LIMIT ?",
            [query, limit],
        )
    }


def relative_citation_ratios(db: sqlite_utils.Database, pmids: list[int]) -> dict[int, float]:
    """iCite's Relative Citation Ratio of those of ``pmids`` it has scored."""
    # The candidates can number thousands: one JSON parameter, whatever SQLite's variable limit.
    return dict(db.conn.execute(
        "SELECT pmid, relative_citation_ratio FROM articles WHERE relative_citation_ratio"
        " IS NOT NULL AND pmid IN (SELECT value FROM json_each(?))", [json.dumps(pmids)]))


def titles_and_years(db: sqlite_utils.Database, pmids: list[int]) -> dict[int, tuple]:
    """(title, year) of each stored article of ``pmids``."""
    return {r[0]: (r[1], r[2])
            for r in select_in(db, "SELECT pmid, title, year FROM articles WHERE pmid IN ({ids})", pmids)}
