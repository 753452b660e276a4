"""The SQL of the coverage report: which source reported which link, and which lists it had.

Functions take a DB-API connection (``db.conn``, or the one Datasette's
``execute_fn`` hands over), so the command line and the Datasette page run the
same SQL; ``litbase.graph.coverage`` turns the counts into the report.
``DIFFERENCES_SQL`` is also the canned query ``links_one_source_lacks`` in
publish/metadata.yml (a test keeps the two equal).
"""

from __future__ import annotations

from litbase.model.link_sources import SOURCE_KINDS
from litbase.store.rows import dict_rows

_KINDS = ",\n  ".join(f"('{s}', '{svc}', '{kind}')" for s, (svc, kind) in SOURCE_KINDS.items())
KINDS_CTE = f"kinds(source, service, kind) AS (VALUES\n  {_KINDS})"
# :collection = '' means the whole database; otherwise an article counts when it
# is a member and a link when either end is.
IN_SCOPE = ("(:collection = '' OR {pmid} IN"
            " (SELECT pmid FROM collections_articles WHERE collection = :collection))")

# The links :has reports and :lacks does not, each with every source that
# reported it and when, and whether :lacks had a list it could have been in.
# One pass over citations in primary-key order, grouped as it goes, so the rows
# come out in (citing, cited) order without a sort: a page that shows the first
# thousand (Datasette's canned query) reads only as far as those. The citing
# list is looked up by the cited article's index (+r.source keeps SQLite from
# reading every row of the source instead).
DIFFERENCES_SQL = f"""
WITH {KINDS_CTE},
found AS (
  SELECT c.citing, c.cited,
    group_concat(CASE WHEN coalesce(k.service, c.source) = :has
                      THEN c.source || ' (' || c.retrieved_at || ')' END, '; ') AS reported_by,
    EXISTS (SELECT 1 FROM citations r JOIN kinds k ON k.source = r.source
            WHERE r.citing = c.citing AND k.service = :lacks AND k.kind = 'references'
            UNION ALL
            SELECT 1 FROM article_references r JOIN kinds k ON k.source = r.source
            WHERE r.citing = c.citing AND k.service = :lacks) AS lacks_has_reference_list,
    EXISTS (SELECT 1 FROM citations r JOIN kinds k ON k.source = +r.source
            WHERE r.cited = c.cited AND k.service = :lacks AND k.kind = 'cited_by')
      AS lacks_has_citing_list
  FROM citations c LEFT JOIN kinds k ON k.source = c.source
  WHERE {IN_SCOPE.format(pmid="c.citing")} OR {IN_SCOPE.format(pmid="c.cited")}
  GROUP BY c.citing, c.cited
  HAVING max(coalesce(k.service, c.source) = :has) AND NOT max(coalesce(k.service, c.source) = :lacks)
  ORDER BY c.citing, c.cited
)
SELECT citing, cited, reported_by, lacks_has_reference_list, lacks_has_citing_list,
  CASE WHEN lacks_has_reference_list OR lacks_has_citing_list THEN 'disagreement' ELSE 'gap' END
    AS verdict
FROM found
"""

LINKS_SQL = f"""
WITH {KINDS_CTE},
links AS (
  SELECT DISTINCT c.citing, c.cited, coalesce(k.service, c.source) AS service
  FROM citations c LEFT JOIN kinds k ON k.source = c.source
  WHERE {IN_SCOPE.format(pmid="c.citing")} OR {IN_SCOPE.format(pmid="c.cited")}
),
counted AS (SELECT citing, cited, count(*) AS services FROM links GROUP BY citing, cited)
SELECT l.service, count(*), sum(n.services = 1)
FROM links l JOIN counted n ON n.citing = l.citing AND n.cited = l.cited
GROUP BY l.service
"""

WITH_REFERENCES_SQL = f"""
WITH {KINDS_CTE}
SELECT k.service, count(DISTINCT x.citing)
FROM (SELECT citing, source FROM citations UNION SELECT citing, source FROM article_references) x
JOIN kinds k ON k.source = x.source AND k.kind = 'references'
WHERE {IN_SCOPE.format(pmid="x.citing")}
GROUP BY k.service
"""

WITH_CITED_BY_SQL = f"""
WITH {KINDS_CTE}
SELECT k.service, count(DISTINCT c.cited)
FROM citations c JOIN kinds k ON k.source = c.source AND k.kind = 'cited_by'
WHERE {IN_SCOPE.format(pmid="c.cited")}
GROUP BY k.service
"""

ASKED_SQL = f"""
SELECT 'pubmed', count(*) FROM articles
WHERE links_fetched_at IS NOT NULL AND {IN_SCOPE.format(pmid="pmid")}
UNION ALL
SELECT source, count(*) FROM article_sources
WHERE status != 'failed' AND {IN_SCOPE.format(pmid="pmid")} GROUP BY source
"""


def collection_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM collections WHERE name = ?", [name]).fetchone() is not None


def source_counts(conn, collection: str) -> dict[str, dict]:
    """Per source: articles asked, with a reference list, with a citing list, and links (all, only its own).

    ``collection`` '' means the whole database.
    """
    params = {"collection": collection}
    return {
        "asked": dict(conn.execute(ASKED_SQL, params).fetchall()),
        "with_references": dict(conn.execute(WITH_REFERENCES_SQL, params).fetchall()),
        "with_cited_by": dict(conn.execute(WITH_CITED_BY_SQL, params).fetchall()),
        "links": {r[0]: (r[1], r[2]) for r in conn.execute(LINKS_SQL, params).fetchall()},
    }


def link_differences(conn, has: str, lacks: str, collection: str) -> list[dict]:
    """Links service ``has`` reports and ``lacks`` does not, with who reported them and the verdict."""
    return dict_rows(conn.execute(DIFFERENCES_SQL, {"collection": collection, "has": has, "lacks": lacks}))
