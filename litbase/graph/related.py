"""Related literature for one article, with the reasons beside the rank.

Four signals, each scaled to 0..1 by its strongest candidate so that none
drowns the others, then summed with equal weight:

- co-citation: how many articles cite both (CoCites' measure);
- coupling: how many references the two share (Kessler's bibliographic coupling);
- PubMed's similarity score from elink's ``pubmed_pubmed`` neighbours;
- text: SQLite FTS5 bm25 of the candidate against the article's title,
  keywords and MeSH terms.
"""

from __future__ import annotations

import json
import re

import sqlite_utils

COMPONENTS = ("cocitation", "coupling", "pubmed_similarity", "text")
TEXT_CANDIDATES = 200
# Words that would match half the collection and say nothing about topic.
STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it its of on or that the their this to was were "
    "with within we our study during among between using use based".split()
)


# Exact counts straight from the links, between stored articles, so that a
# large collection's thresholded pair tables (graph_store.PAIR_ROWS_BUDGET)
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


def _pair_counts(db, sql: str, pmid: int) -> dict[int, float]:
    return dict(db.conn.execute(sql, {"pmid": pmid}).fetchall())


def _similarity(db, pmid: int) -> dict[int, float]:
    scores: dict[int, float] = {}
    for other, score in db.conn.execute(
        "SELECT similar_pmid, score FROM similar_articles WHERE pmid = ?"
        " UNION ALL SELECT pmid, score FROM similar_articles WHERE similar_pmid = ?",
        [pmid, pmid],
    ):
        scores[other] = max(scores.get(other, 0), score or 0)
    return scores


def text_query(title: str | None, keywords: list[str], mesh_terms: list[str]) -> str | None:
    """An FTS5 query: any of the distinctive words, each quoted so none is read as syntax."""
    text = " ".join([title or "", *keywords, *mesh_terms]).lower()
    words = dict.fromkeys(w for w in re.findall(r"[a-z0-9]{3,}", text) if w not in STOPWORDS)
    return " OR ".join(f'"{w}"' for w in words) or None


def _text_scores(db, pmid: int) -> dict[int, float]:
    row = db.conn.execute(
        "SELECT title, keywords, mesh_terms FROM articles WHERE pmid = ?", [pmid]
    ).fetchone()
    if row is None:
        return {}
    query = text_query(row[0], json.loads(row[1] or "[]"), json.loads(row[2] or "[]"))
    if not query:
        return {}
    # bm25() is lower for better matches; negate so that higher is better.
    return {
        other: -score
        for other, score in db.conn.execute(
            "SELECT rowid, bm25(articles_fts) FROM articles_fts WHERE articles_fts MATCH ?"
            " ORDER BY bm25(articles_fts) LIMIT ?",
            [query, TEXT_CANDIDATES + 1],
        )
        if other != pmid
    }


def _or(value, default):
    return default if value is None else value


def _relative_citation_ratios(db, pmids: list[int]) -> dict[int, float]:
    return dict(db.conn.execute(
        "SELECT pmid, relative_citation_ratio FROM articles WHERE relative_citation_ratio"
        " IS NOT NULL AND pmid IN (SELECT value FROM json_each(?))", [json.dumps(pmids)]))


def related(db: sqlite_utils.Database, pmid: int, limit: int = 20) -> list[dict]:
    """Ranked related articles with each component's raw value and scaled share."""
    raw = {
        "cocitation": _pair_counts(db, COCITED_WITH, pmid),
        "coupling": _pair_counts(db, COUPLED_WITH, pmid),
        "pubmed_similarity": _similarity(db, pmid),
        "text": _text_scores(db, pmid),
    }
    top = {name: max(values.values(), default=0) or 1 for name, values in raw.items()}
    candidates = set().union(*raw.values()) - {pmid}
    ranked = []
    for other in candidates:
        scaled = {name: raw[name].get(other, 0) / top[name] for name in COMPONENTS}
        ranked.append(
            {
                "pmid": other,
                "score": round(sum(scaled.values()), 4),
                **{name: raw[name].get(other, 0) for name in COMPONENTS},
                **{f"{name}_share": round(scaled[name], 4) for name in COMPONENTS},
            }
        )
    # iCite's Relative Citation Ratio measures influence, not topic, so it
    # never adds to the score; among equally related articles it puts the
    # more influential first (an article iCite has not scored goes last).
    rcr = _relative_citation_ratios(db, [r["pmid"] for r in ranked])
    for row in ranked:
        row["relative_citation_ratio"] = rcr.get(row["pmid"])
    ranked.sort(key=lambda r: (-r["score"], -_or(r["relative_citation_ratio"], -1.0), r["pmid"]))
    ranked = ranked[:limit]
    titles = {
        r[0]: (r[1], r[2])
        for r in db.conn.execute(
            f"SELECT pmid, title, year FROM articles WHERE pmid IN ({','.join('?' * len(ranked))})",
            [r["pmid"] for r in ranked],
        )
    } if ranked else {}
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
        row["title"], row["year"] = titles.get(row["pmid"], (None, None))
        row["text"] = round(row["text"], 3)
    return ranked
