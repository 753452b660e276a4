"""Each article's reference status and completeness, recomputed from what is stored.

``articles.references_status``, ``references_sources``, ``references_count``
and ``completeness`` summarise the reference lists and links every source
gave, so a reader filters on one column instead of joining three tables.
Every write that changes those lists ends by calling
``refresh_reference_status`` for the articles it touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litbase.model.ids import chunks
from litbase.store.sql import CHUNK, placeholders

if TYPE_CHECKING:  # store.articles uses this module in a bulk import's parsing process, which needs no sqlite_utils
    import sqlite_utils

# Reference-list sources that describe the citing article's own list; the
# "citedin" links come from the cited side and say nothing about that list.
REFERENCE_LIST_SOURCES = ("pubmed_refs", "reference_list", "comments_corrections", "seed_page",
                          "icite_refs", "europepmc_refs")


def refresh_reference_status(db: sqlite_utils.Database, pmids: list[int]) -> None:
    """Recompute references_status, _sources, _count and completeness for these articles."""
    # Set-based, a few hundred PMIDs per query: one query per article cost
    # four round trips each and dominated a baseline import. Half a chunk:
    # the queries bind each PMID twice.
    for chunk in chunks(list(dict.fromkeys(pmids)), CHUNK // 2):
        _refresh_chunk(db, chunk)


def with_stored_references(db: sqlite_utils.Database, pmids: list[int]) -> set[int]:
    """The PMIDs, of these, whose reference status depends on more than the record being saved.

    An article stored before may carry links fetched since (``links_fetched_at``, iCite's or
    Europe PMC's lists), and a PMID not stored yet may already cite through a list saved without
    its record; any other gets its status from its own reference lists (``own_reference_status``).
    """
    lists = placeholders(REFERENCE_LIST_SOURCES)
    found: set[int] = set()
    # A third of a chunk: the query binds each PMID three times.
    for chunk in chunks(list(dict.fromkeys(pmids)), CHUNK // 3):
        ids = placeholders(chunk)
        found.update(pmid for (pmid,) in db.conn.execute(
            f"SELECT pmid FROM articles WHERE pmid IN ({ids})"
            f" UNION SELECT citing FROM citations WHERE citing IN ({ids}) AND +source IN ({lists})"
            f" UNION SELECT citing FROM article_references WHERE citing IN ({ids})",
            [*chunk, *chunk, *REFERENCE_LIST_SOURCES, *chunk]))
    return found


def own_reference_status(references: list[tuple], title, abstract, record_source: str) -> tuple:
    """(references_status, _sources, _count, completeness) of an article stored for the first time.

    What ``refresh_reference_status`` would compute once ``references`` (rows of
    ``article_references`` for this article, as ``store.articles`` builds them: citing, source,
    position, citation, cited PMID, DOI, PMCID, is_self_reference, ...) are stored and nothing
    else is: built with the rows, in a bulk import's parsing process, instead of read back.
    """
    # A (source, position) given twice is one row, the later one (an upsert).
    entries = {(ref[1], ref[2]): ref[7] for ref in references}
    found = sorted({source for source, _ in entries})
    if not found:
        status = "unknown"  # links_fetched_at is empty on a first save
        return status, None, None, describe_completeness(title, abstract, status, record_source, None)
    per_source: dict[str, int] = {}
    for (source, _), is_self in entries.items():
        if not is_self:
            per_source[source] = per_source.get(source, 0) + 1
    # The citations rows: each PMID a reference-list entry names, other than the article's own.
    cited = {ref[4] for ref in references if ref[4] and not ref[7] and ref[1] in REFERENCE_LIST_SOURCES}
    longest = max([len(cited), *per_source.values()])
    return ("known", "; ".join(found), longest,
            describe_completeness(title, abstract, "known", record_source, None))


def _refresh_chunk(db: sqlite_utils.Database, pmids: list[int]) -> None:
    ids = placeholders(pmids)
    lists = placeholders(REFERENCE_LIST_SOURCES)
    sources: dict[int, set[str]] = {}
    for pmid, source in db.conn.execute(
        # "+source": the index on source would scan every link of those sources.
        f"SELECT DISTINCT citing, source FROM citations WHERE citing IN ({ids}) AND +source IN ({lists})"
        f" UNION SELECT DISTINCT citing, source FROM article_references WHERE citing IN ({ids})",
        [*pmids, *REFERENCE_LIST_SOURCES, *pmids],
    ):
        sources.setdefault(pmid, set()).add(source)
    # The longest of the lists: each source's printed list (self-references
    # left out), or the distinct PMIDs that every reference-list source links to.
    longest: dict[int, int] = {}
    for pmid, n in db.conn.execute(
        f"SELECT citing, count(*) FROM article_references WHERE citing IN ({ids})"
        " AND NOT is_self_reference GROUP BY citing, source"
        f" UNION ALL SELECT citing, count(DISTINCT cited) FROM citations"
        f" WHERE citing IN ({ids}) AND +source IN ({lists}) GROUP BY citing",
        [*pmids, *pmids, *REFERENCE_LIST_SOURCES],
    ):
        longest[pmid] = max(n, longest.get(pmid, 0))
    updates = []
    for pmid, links_fetched_at, title, abstract, record_source in db.conn.execute(
        f"SELECT pmid, links_fetched_at, title, abstract, record_source FROM articles WHERE pmid IN ({ids})",
        pmids,
    ):
        found = sorted(sources.get(pmid, ()))
        if found:
            status = "known"
        elif record_source == "efetch" and links_fetched_at:
            status = "unavailable"
        else:
            status = "unknown"
        updates.append((
            status,
            "; ".join(found) or None,
            longest.get(pmid, 0) if found else None,
            describe_completeness(title, abstract, status, record_source, links_fetched_at),
            pmid,
        ))
    db.conn.executemany(
        "UPDATE articles SET references_status = ?, references_sources = ?,"
        " references_count = ?, completeness = ? WHERE pmid = ?",
        updates,
    )


def describe_completeness(title, abstract, references_status, record_source, links_fetched_at) -> str:
    """Say in words what this record lacks and what a networked fetch would add."""
    missing = []
    if not title:
        missing.append("title not known")
    if not abstract:
        missing.append("no abstract")
    if references_status == "unknown":
        missing.append("reference list not looked up")
    if not links_fetched_at:
        missing.append("citing and similar articles not looked up")
    if not missing:
        return "complete"
    if record_source != "efetch":
        return "; ".join(missing) + " (litbase fetch would add what PubMed has)"
    return "; ".join(missing)
