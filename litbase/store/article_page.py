"""What the article page reads: the record, every list the database holds about it, and their flags.

One call, one trip to Datasette's read thread (``litbase.publish.views.read``;
why functions and not SQL strings: ``litbase.store.site``). Each list comes
with what marks its articles: ``stored`` (an articles row exists), ``missing``
(PubMed said it has no record of that PMID), ``is_retracted`` and
``related_notices`` (errata, expressions of concern), so the page can label
every line without a second read. The merging of reference sources into one
numbered list is the page's (``litbase.publish.article_page``), a pure function
of these rows.
"""

from __future__ import annotations

from litbase.store.retractions import flagged_notices
from litbase.store.rows import dict_rows, first_row, table_exists

# How many rows of the longer lists the page shows; each list links to its whole table.
SIMILAR_SHOWN = 20
PAIRS_SHOWN = 20
CITED_BY_SHOWN = 200  # a landmark paper has thousands; the cited_by query lists them all

ARTICLE_SQL = "select * from articles where pmid = :pmid"
PROVENANCE_SQL = "select * from article_provenance where pmid = :pmid"
# The columns that mark a listed article, for a join on articles "a" (and missing_pmids "m").
MARKS = """a.pmid is not null as stored, m.pmid is not null as missing,
  coalesce(a.is_retracted, 0) as is_retracted, a.related_notices"""
MARKS_NO_MISSING = MARKS.replace("m.pmid is not null", "0")
# Every line of every printed list (a reference list deposited in PubMed, Europe PMC's, the seed page's).
REFERENCE_LINES_SQL = """
select r.source, r.position, r.citation, r.cited_pmid as pmid, r.doi, r.is_self_reference,
  a.title, a.journal_iso, a.year, {marks}
from article_references r
left join articles a on a.pmid = r.cited_pmid
{missing_join} m on m.pmid = r.cited_pmid
where r.citing = :pmid
order by r.source, r.position
"""
# Every PMID link leaving the article, one row per cited article with the sources saying so.
REFERENCE_LINKS_SQL = """
select c.cited as pmid, group_concat(c.source, ';') as sources,
  a.title, a.journal_iso, a.year, {marks}
from citations c
left join articles a on a.pmid = c.cited
{missing_join} m on m.pmid = c.cited
where c.citing = :pmid
group by c.cited
order by a.year is null, a.year, c.cited
"""
# The citing articles shown are chosen first (a landmark paper has thousands: their years only,
# from the index), then only those get their sources, titles and marks.
CITED_BY_SQL = """
with shown as (
  select c.citing, a.year from (select distinct citing from citations where cited = :pmid) c
  left join articles a on a.pmid = c.citing
  order by a.year desc, c.citing
  limit :shown)
select s.citing as pmid,
  (select group_concat(source, ';') from (select source from citations l  -- in the order stored
     where l.citing = s.citing and l.cited = :pmid order by l.rowid)) as sources,
  a.title, a.journal_iso, a.year, {marks}
from shown s
left join articles a on a.pmid = s.citing
{missing_join} m on m.pmid = s.citing
order by s.year desc, s.citing
"""
CITED_BY_COUNT_SQL = "select count(distinct citing) from citations where cited = :pmid"
CITING_WORKS_SQL = """
select title, authors, coalesce(journal_iso, journal) as journal, year, doi, source_url, evidence
from citing_works where cited_pmid = :pmid order by year desc, id
"""
SIMILAR_SQL = """
select s.similar_pmid as pmid, s.score, s.rank, a.title, a.journal_iso, a.year, {marks}
from similar_articles s
left join articles a on a.pmid = s.similar_pmid
{missing_join} m on m.pmid = s.similar_pmid
where s.pmid = :pmid
order by s.rank, s.similar_pmid
limit :shown
"""
SIMILAR_COUNT_SQL = "select count(*) from similar_articles where pmid = :pmid"
# Co-citation and coupling counted from the links themselves, as the co_cited and
# coupled canned queries (the export links) do: exact even where the graph tables
# keep only the strongest pairs of a very large collection.
# (pmid, count) of the first :shown, most often first, then newest, then by PMID. Each link
# (citing, cited) once whatever its sources; the tie-break's years are read only for the pairs
# that can rank (count at least the :shown-th highest), not for every one of a landmark's.
CO_CITED_COUNTS_SQL = """
with counts as materialized (
  select cited as pmid, count(*) as count from (
    select distinct other.citing, other.cited from citations mine
    join citations other on other.citing = mine.citing
    where mine.cited = :pmid)
  where cited != :pmid
  group by cited)
select c.pmid, c.count from counts c left join articles a on a.pmid = c.pmid
where c.count >= coalesce((select count from counts order by count desc limit 1 offset :shown - 1), 0)
order by c.count desc, a.year desc, c.pmid
limit :shown
"""
CO_CITED_SQL = """
with pairs as (""" + CO_CITED_COUNTS_SQL + """)
select p.pmid, p.count, a.title, a.journal_iso, a.year, {marks}
from pairs p
left join articles a on a.pmid = p.pmid
{missing_join} m on m.pmid = p.pmid
order by p.count desc, a.year desc, p.pmid
"""
# The same rows for an article counted ahead (litbase.store.site_counts, cocited_top).
CO_CITED_AHEAD_SQL = """
select p.other as pmid, p.count, a.title, a.journal_iso, a.year, {marks}
from cocited_top p
left join articles a on a.pmid = p.other
{missing_join} m on m.pmid = p.other
where p.pmid = :pmid and p.rank < :shown
order by p.rank
"""
COUPLED_SQL = """
select other.citing as pmid, count(distinct other.cited) as count, a.title, a.journal_iso, a.year, {marks}
from citations mine
join citations other on other.cited = mine.cited and other.citing != mine.citing
left join articles a on a.pmid = other.citing
{missing_join} m on m.pmid = other.citing
where mine.citing = :pmid
group by other.citing
order by count desc, a.year desc, other.citing
limit :shown
"""
NOTICE_ARTICLES_SQL = "select pmid, title, is_retraction_notice from articles where pmid = ?"


def _sql(template: str, has_missing: bool) -> str:
    # A database made before missing_pmids existed still shows its pages.
    if has_missing:
        return template.format(marks=MARKS, missing_join="left join missing_pmids")
    return template.format(marks=MARKS_NO_MISSING,
                           missing_join="left join (select null as pmid)")


def article_page_rows(conn, pmid: int, counted_ahead: bool = False) -> dict | None:
    """The article's row and provenance and every list about it, each row marked; None if not stored.

    ``counted_ahead``: the site tables describe the data as it is (the caller checked their
    fingerprint), so a landmark's co-cited list is read from ``cocited_top``.
    """
    params = {"pmid": pmid, "shown": SIMILAR_SHOWN}
    article = first_row(conn.execute(ARTICLE_SQL, params))
    if article is None:
        return None
    has_missing = table_exists(conn, "missing_pmids")

    def rows(template: str, shown: int = SIMILAR_SHOWN) -> list[dict]:
        return dict_rows(conn.execute(_sql(template, has_missing), {**params, "shown": shown}))

    # Databases made before article_provenance existed still show their articles.
    has_provenance = table_exists(conn, "article_provenance")
    return {
        "article": article,
        "provenance": first_row(conn.execute(PROVENANCE_SQL, params)) if has_provenance else None,
        "reference_lines": rows(REFERENCE_LINES_SQL),
        "reference_links": rows(REFERENCE_LINKS_SQL),
        "cited_by": rows(CITED_BY_SQL, CITED_BY_SHOWN),
        "cited_by_count": conn.execute(CITED_BY_COUNT_SQL, params).fetchone()[0],
        "citing_works": dict_rows(conn.execute(CITING_WORKS_SQL, params)),
        "similar": rows(SIMILAR_SQL),
        "similar_count": conn.execute(SIMILAR_COUNT_SQL, params).fetchone()[0],
        "co_cited": (counted_ahead and table_exists(conn, "cocited_top") and rows(CO_CITED_AHEAD_SQL, PAIRS_SHOWN))
        or rows(CO_CITED_SQL, PAIRS_SHOWN),
        "coupled": rows(COUPLED_SQL, PAIRS_SHOWN),
        "notice_articles": notice_articles(conn, article.get("related_notices")),
    }


def notice_articles(conn, related_notices) -> dict[int, dict]:
    """The stored notices (retraction, erratum...) named by an article's record, by PMID."""
    found = {}
    for notice in flagged_notices(related_notices):
        if notice.get("pmid"):
            row = first_row(conn.execute(NOTICE_ARTICLES_SQL, [notice["pmid"]]))
            if row:
                found[notice["pmid"]] = row
    return found
