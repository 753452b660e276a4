"""Write what iCite and Europe PMC said: links with their source, metrics, who was asked.

Each source's report of a link is its own ``citations`` row (source
``icite_refs``, ``icite_cited_by``, ``europepmc_refs`` or
``europepmc_citations``), so merging never loses who said what. A source's
list replaces its previous version of the same list, as ``save_reference_rows``
does for PubMed's: a corrected record may have dropped an entry.
"""

from __future__ import annotations

import sqlite_utils

from litbase.store.articles import save_citations, save_reference_rows, utc_now
from litbase.store.completeness import refresh_reference_status

ICITE_REFS, ICITE_CITED_BY = "icite_refs", "icite_cited_by"
EUROPEPMC_REFS, EUROPEPMC_CITATIONS = "europepmc_refs", "europepmc_citations"
METRIC_COLUMNS = {  # articles column <- parsed iCite field
    "icite_citation_count": "citation_count",
    "relative_citation_ratio": "relative_citation_ratio",
    "nih_percentile": "nih_percentile",
    "is_research_article": "is_research_article",
    "is_clinical": "is_clinical",
    "icite_provisional": "provisional",
}


def _replace_list(db, column: str, pmid: int, source: str) -> None:
    db.conn.execute(f"DELETE FROM citations WHERE [{column}] = ? AND source = ?", [pmid, source])


def _mark_asked(db, pmid: int, source: str, status: str, references: int | None,
                cited_by: int | None, now: str) -> None:
    db.conn.execute(
        "INSERT INTO article_sources (pmid, source, fetched_at, status, references_count, cited_by_count)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(pmid, source) DO UPDATE SET"
        " fetched_at = excluded.fetched_at, status = excluded.status,"
        " references_count = excluded.references_count, cited_by_count = excluded.cited_by_count,"
        " error = NULL",
        [pmid, source, now, status, references, cited_by],
    )


def mark_failed(db: sqlite_utils.Database, source: str, pmids: list[int], error: str,
                now: str | None = None) -> None:
    """Note that this source was asked about these articles and failed (``status`` failed,
    ``error`` why); an answer later replaces the row, and until then the source still needs them."""
    now = now or utc_now()
    db.conn.executemany(
        "INSERT INTO article_sources (pmid, source, fetched_at, status, error) VALUES (?, ?, ?, 'failed', ?)"
        " ON CONFLICT(pmid, source) DO UPDATE SET fetched_at = excluded.fetched_at,"
        " status = 'failed', error = excluded.error",
        [(pmid, source, now, error) for pmid in pmids])


def failed_sources(db: sqlite_utils.Database, pmids: list[int] | None = None) -> dict[str, list[int]]:
    """Per source, the articles it failed to answer for when last asked."""
    out: dict[str, list[int]] = {}
    for pmid, source in db.conn.execute(
            "SELECT pmid, source FROM article_sources WHERE status = 'failed' ORDER BY source, pmid"):
        if pmids is None or pmid in pmids:
            out.setdefault(source, []).append(pmid)
    return out


def save_icite(db: sqlite_utils.Database, asked: list[int], records: list[dict],
               now: str | None = None) -> list[int]:
    """Store one iCite batch: links both ways, metrics on the article; returns PMIDs iCite knew."""
    now = now or utc_now()
    found = {r["pmid"]: r for r in records}
    for pmid, record in found.items():
        _replace_list(db, "citing", pmid, ICITE_REFS)
        _replace_list(db, "cited", pmid, ICITE_CITED_BY)
        save_citations(db, [(pmid, cited, ICITE_REFS, now) for cited in record["references"]])
        save_citations(db, [(citing, pmid, ICITE_CITED_BY, now) for citing in record["cited_by"]])
        assignments = ", ".join(f"[{column}] = ?" for column in METRIC_COLUMNS)
        db.conn.execute(
            f"UPDATE articles SET {assignments} WHERE pmid = ?",
            [record[field] for field in METRIC_COLUMNS.values()] + [pmid],
        )
        _mark_asked(db, pmid, "icite", "found", len(record["references"]),
                    len(record["cited_by"]), now)
    for pmid in asked:
        if pmid not in found:
            _mark_asked(db, pmid, "icite", "not_found", None, None, now)
    refresh_reference_status(db, list(found))
    return [p for p in asked if p in found]


def save_europepmc(db: sqlite_utils.Database, pmid: int, references: list[dict],
                   citations: list[dict], now: str | None = None) -> None:
    """Store Europe PMC's reference list (every line, PMID or not) and its citing PMIDs."""
    now = now or utc_now()
    db.conn.execute("DELETE FROM article_references WHERE citing = ? AND source = ?",
                    [pmid, EUROPEPMC_REFS])
    _replace_list(db, "citing", pmid, EUROPEPMC_REFS)
    _replace_list(db, "cited", pmid, EUROPEPMC_CITATIONS)
    save_reference_rows(db, [
        {
            "citing": pmid,
            "source": EUROPEPMC_REFS,
            "position": ref["position"],
            # A line without a PMID keeps Europe PMC's own ID (PPR:..., PMC:...)
            # so that it can be looked up again.
            "citation": ref["citation"] if not ref["other_id"]
            else f"{ref['citation'] or ''} [{ref['other_id']}]".strip(),
            "cited_pmid": ref["pmid"],
            "doi": ref["doi"],
            "pmcid": None,
            "is_self_reference": int(ref["pmid"] == pmid),
            "retrieved_at": now,
        }
        for ref in references
    ])
    citing = list(dict.fromkeys(c["pmid"] for c in citations if c["pmid"]))
    save_citations(db, [(c, pmid, EUROPEPMC_CITATIONS, now) for c in citing])
    _mark_asked(db, pmid, "europepmc", "found", len(references), len(citations), now)
    refresh_reference_status(db, [pmid])
