"""The ``changes`` log: what a refresh or an update file found different about an article.

One row per change (a record corrected, a retraction, a new citing or similar
article, a deletion), so a reader sees what changed since a date without
comparing snapshots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # store.articles logs deletions through this module in a process that needs no sqlite_utils
    import sqlite_utils


def record_changes(db: sqlite_utils.Database, rows: list[dict], collection: str | None, now: str) -> None:
    """Log changes: dicts with pmid and what, and optionally related_pmid and detail."""
    db.conn.executemany(
        "INSERT INTO changes (pmid, what, related_pmid, detail, collection, detected_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(r["pmid"], r["what"], r.get("related_pmid"), r.get("detail"), collection, now) for r in rows])


# What the Atom feed reports: new citing articles, and every new flag on how an article may be
# cited (a retraction, an erratum, an expression of concern), newest first.
FEED_CHANGES = ("new_citing", "retracted", "erratum", "expression_of_concern")
FEED_SQL = f"""
select ch.id, ch.what, ch.pmid, ch.related_pmid, ch.detail, ch.detected_at, ch.collection,
  a.title, r.title as related_title, r.authors as related_authors,
  coalesce(r.journal_iso, r.journal) as related_journal, r.year as related_year,
  case when ch.what = 'new_citing' then null
       else (select count(distinct c.citing) from citations c where c.cited = ch.pmid) end
    as cited_by_here
from changes ch
left join articles a on a.pmid = ch.pmid
left join articles r on r.pmid = ch.related_pmid
where ch.what in ({", ".join(f"'{w}'" for w in FEED_CHANGES)})
  and (:collection = '' or ch.collection = :collection)
order by ch.detected_at desc, ch.id desc
limit :limit
"""


def feed_changes(conn, collection: str, limit: int) -> list[dict]:
    """The newest ``limit`` changes the feed reports (of one collection, or all for ''), with titles.

    ``cited_by_here``: for a flag, how many articles stored here cite the flagged one.
    """
    cursor = conn.execute(FEED_SQL, {"collection": collection, "limit": limit})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
