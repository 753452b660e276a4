"""What ``litbase report`` reads: a collection's members and how each was reached, the links among
them, and where its records and links came from.

Every function takes a DB-API connection (the command line's, or the
read-only one Datasette's ``execute_fn`` hands a page) and returns plain rows.
"""

from __future__ import annotations

from litbase.store.completeness import REFERENCE_LIST_SOURCES
from litbase.store.rows import dict_rows, first_row, table_exists

# The citation sources that are a citing article's own reference list: a link from one of them,
# read from an article of the previous hop, is backward citation searching (see frontier.reference_pmids).
REFERENCE_SOURCES = REFERENCE_LIST_SOURCES


def collection_row(conn, name: str) -> dict | None:
    """The collection's own row (query, query_count, seeds, dates), or None when there is none."""
    return first_row(conn.execute("SELECT * FROM collections WHERE name = ?", [name]))


def membership(conn, name: str) -> list[dict]:
    """Every (pmid, role, depth) row of the collection, with whether a record of the article is stored."""
    return dict_rows(conn.execute(
        "SELECT ca.pmid, ca.role, coalesce(ca.depth, 0) AS depth, ca.seed_pmid,"
        " a.pmid IS NOT NULL AS stored, a.record_source"
        " FROM collections_articles ca LEFT JOIN articles a ON a.pmid = ca.pmid"
        " WHERE ca.collection = ? ORDER BY ca.pmid, ca.role", [name]))


def links_among_members(conn, name: str) -> list[tuple[int, int, str, str]]:
    """(citing, cited, source, retrieved_at) for every stored link whose two ends are both in the collection."""
    # The unary + keeps SQLite from searching the primary key by (citing, cited) pairs: with both
    # lists as constraints it would probe members x members, 2.5 billion lookups for 50,000 members.
    return [tuple(r) for r in conn.execute(
        "WITH m AS (SELECT DISTINCT pmid FROM collections_articles WHERE collection = ?)"
        " SELECT c.citing, c.cited, c.source, c.retrieved_at FROM citations c"
        " WHERE c.citing IN (SELECT pmid FROM m) AND +c.cited IN (SELECT pmid FROM m)"
        " ORDER BY c.citing, c.cited, c.source", [name])]


def record_dates(conn, name: str) -> list[dict]:
    """Where the members' records came from, how many, and when they were first and last stored."""
    return dict_rows(conn.execute(
        "SELECT a.record_source AS source, count(*) AS records, min(a.fetched_at) AS first,"
        " max(a.fetched_at) AS last FROM articles a"
        " WHERE a.pmid IN (SELECT pmid FROM collections_articles WHERE collection = ?)"
        " GROUP BY a.record_source ORDER BY a.record_source", [name]))


def source_answers(conn, name: str) -> list[dict]:
    """Per link source beside PubMed (iCite, Europe PMC): members asked, by status, and when."""
    if not table_exists(conn, "article_sources"):
        return []
    return dict_rows(conn.execute(
        "SELECT source, status, count(*) AS articles, min(fetched_at) AS first, max(fetched_at) AS last"
        " FROM article_sources"
        " WHERE pmid IN (SELECT pmid FROM collections_articles WHERE collection = ?)"
        " GROUP BY source, status ORDER BY source, status", [name]))


def request_log(conn, since: str | None, until: str | None) -> list[dict]:
    """Requests in the fetch log between two instants, per endpoint and outcome (never any parameter)."""
    if not table_exists(conn, "fetches"):
        return []
    return dict_rows(conn.execute(
        "SELECT endpoint, outcome, count(*) AS requests, min(started_at) AS first, max(started_at) AS last"
        " FROM fetches WHERE (? IS NULL OR started_at >= ?) AND (? IS NULL OR started_at <= ?)"
        " GROUP BY endpoint, outcome ORDER BY endpoint, outcome", [since, since, until, until]))


def pubmed_file_versions(conn) -> list[dict]:
    """The PubMed baseline and update files imported into this database (the data's version), in order."""
    if not table_exists(conn, "pubmed_files"):
        return []
    return dict_rows(conn.execute(
        "SELECT name, articles, deletions, imported_at FROM pubmed_files WHERE status = 'done' ORDER BY name"))
