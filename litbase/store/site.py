"""What litbase's Datasette pages read: the overview, the network (the article page: ``article_page``; the feed: ``changes``).

Every function takes a DB-API connection first and returns dicts (pairs for
links), whatever the connection's row factory. The pages run them in
Datasette's read thread with ``await db.execute_fn(lambda conn: fn(conn, ...))``
(through ``litbase.publish.views.read``) rather than handing SQL strings to
``db.execute``, for three reasons: a statement and the shape of its rows stay
together in the store; a page makes one trip to the read thread per function
instead of one per statement; and tests, benchmarks and the command line call
the same function on a plain ``sqlite3`` connection.
"""

from __future__ import annotations

from litbase.model.ids import chunks
from litbase.store.rows import dict_rows, table_exists
from litbase.store.sql import CHUNK, placeholders

# The overview page.
YEARS_SQL = "select year, count(*) as n from articles where year is not null group by year"
NODES_SQL = """
select a.pmid, a.title, a.year,
  exists (select 1 from collections_articles m where m.pmid = a.pmid and m.role = 'seed') as is_seed
from articles a
"""
# A join: ``citing in (select pmid from articles)`` was planned as a probe of
# articles per article (1.7 s at 3,176 articles, 2 min 41 s at 25,176).
EDGES_SQL = """
select distinct c.citing, c.cited from citations c
join articles a on a.pmid = c.citing
join articles b on b.pmid = c.cited
"""


def year_counts(conn) -> dict[int, int]:
    """Articles per publication year (undated ones left out)."""
    return {year: n for year, n in conn.execute(YEARS_SQL)}


def citation_network(conn) -> tuple[list[dict], list[tuple[int, int]]]:
    """Every article (pmid, title, year, is_seed) and every distinct link between two stored articles."""
    return dict_rows(conn.execute(NODES_SQL)), [(a, b) for a, b in conn.execute(EDGES_SQL)]


def collection_names(conn) -> list[str]:
    return [r[0] for r in conn.execute("select name from collections order by name")]


def overview_counts(conn) -> dict:
    """Articles, distinct links and collection names, for the overview page."""
    return {
        "articles_count": conn.execute("select count(*) from articles").fetchone()[0],
        "collections": collection_names(conn),
        "citations_count": conn.execute(
            "select count(*) from (select distinct citing, cited from citations)").fetchone()[0],
    }


def network_members(conn, pmid: int | None, collection: str | None) -> list[int]:
    """The articles to draw: one article and its neighbours, a collection, or everything."""
    if pmid is not None:
        rows = conn.execute(
            "SELECT ? UNION SELECT cited FROM citations WHERE citing = ?"
            " UNION SELECT citing FROM citations WHERE cited = ?",
            [pmid, pmid, pmid],
        )
    elif collection is not None:
        rows = conn.execute(
            "SELECT DISTINCT pmid FROM collections_articles WHERE collection = ?", [collection])
    else:
        rows = conn.execute("SELECT pmid FROM articles")
    return [r[0] for r in rows]


def network_nodes(conn, pmids: list[int]) -> list[dict]:
    """pmid, title, year, authors, journal_iso, citations_received and community of the stored ``pmids``."""
    # Before the first `litbase graph` there are no metrics: the same columns, empty.
    metrics_join = (
        "LEFT JOIN article_metrics m ON m.pmid = a.pmid" if table_exists(conn, "article_metrics")
        else "LEFT JOIN (SELECT NULL AS pmid, NULL AS citations_received, NULL AS community) m"
        " ON m.pmid = a.pmid"
    )
    return [
        row
        for batch in chunks(pmids, CHUNK)
        for row in dict_rows(conn.execute(
            "SELECT a.pmid, a.title, a.year, a.authors, a.journal_iso, m.citations_received, m.community"
            f" FROM articles a {metrics_join} WHERE a.pmid IN ({placeholders(batch)})",
            batch,
        ))
    ]


def links_from(conn, pmids: list[int]) -> list[tuple[int, int]]:
    """Distinct (citing, cited) links leaving ``pmids``; in that order when ``pmids`` is sorted."""
    return [
        (a, b)
        for batch in chunks(pmids, CHUNK)
        for a, b in conn.execute(
            f"SELECT DISTINCT citing, cited FROM citations WHERE citing IN ({placeholders(batch)})"
            " ORDER BY citing, cited",
            batch,
        )
    ]


def query_rows(conn, sql: str, params: dict, limit: int | None = None) -> tuple[list[str], list]:
    """Columns and every row (at most ``limit``) of a page's own SQL (a canned or ``?sql=`` query),
    to export it whole.

    The SQL is the page's, already allowed by Datasette; Datasette's read
    connection is read-only, so it cannot write.
    """
    cursor = conn.execute(sql, params)
    rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
    return [d[0] for d in cursor.description or ()], rows
