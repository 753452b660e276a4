"""What litbase's Datasette pages read: the article page, the overview, the network, the feed.

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
from litbase.store.rows import dict_rows, first_row, table_exists
from litbase.store.sql import CHUNK, placeholders

# The article page, for one PMID.
ARTICLE_SQL = "select * from articles where pmid = :pmid"
REFERENCES_SQL = """
select r.source, r.position, r.citation, r.cited_pmid, r.is_self_reference, a.title, a.year
from article_references r left join articles a on a.pmid = r.cited_pmid
where r.citing = :pmid
order by r.source, r.position
"""
CITED_BY_SQL = """
select c.citing as pmid, a.title, a.journal_iso, a.year, group_concat(c.source, '; ') as sources
from citations c left join articles a on a.pmid = c.citing
where c.cited = :pmid
group by c.citing
order by a.year desc, c.citing
"""
CITING_WORKS_SQL = """
select title, authors, coalesce(journal_iso, journal) as journal, year, doi, source_url, evidence
from citing_works where cited_pmid = :pmid order by year desc, id
"""
PROVENANCE_SQL = "select * from article_provenance where pmid = :pmid"

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

# The Atom feed: what `litbase refresh` found, newest first.
NEW_CITING_SQL = """
select ch.id, ch.pmid as cited, ch.related_pmid as citing, ch.detected_at, ch.collection,
  citing.title as citing_title, citing.authors as citing_authors,
  coalesce(citing.journal_iso, citing.journal) as citing_journal, citing.year as citing_year,
  cited.title as cited_title
from changes ch
left join articles citing on citing.pmid = ch.related_pmid
left join articles cited on cited.pmid = ch.pmid
where ch.what = 'new_citing' and (:collection = '' or ch.collection = :collection)
order by ch.detected_at desc, ch.id desc
limit :limit
"""


def article_page_rows(conn, pmid: int) -> dict | None:
    """The article's row, its provenance, references, citing articles and citing works; None if not stored."""
    params = {"pmid": pmid}
    article = first_row(conn.execute(ARTICLE_SQL, params))
    if article is None:
        return None
    # Databases made before article_provenance existed still show their articles.
    has_provenance = table_exists(conn, "article_provenance")
    return {
        "article": article,
        "provenance": first_row(conn.execute(PROVENANCE_SQL, params)) if has_provenance else None,
        "references": dict_rows(conn.execute(REFERENCES_SQL, params)),
        "cited_by": dict_rows(conn.execute(CITED_BY_SQL, params)),
        "citing_works": dict_rows(conn.execute(CITING_WORKS_SQL, params)),
    }


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


def new_citing(conn, collection: str, limit: int) -> list[dict]:
    """The newest ``limit`` new-citing changes (of one collection, or all for ''), with both titles."""
    return dict_rows(conn.execute(NEW_CITING_SQL, {"collection": collection, "limit": limit}))


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


def query_rows(conn, sql: str, params: dict) -> tuple[list[str], list]:
    """Columns and every row of a page's own SQL (a canned or ``?sql=`` query), to export it whole.

    The SQL is the page's, already allowed by Datasette; Datasette's read
    connection is read-only, so it cannot write.
    """
    cursor = conn.execute(sql, params)
    return [d[0] for d in cursor.description or ()], cursor.fetchall()
