"""Ask PubMed again for what can change, and record each change in ``changes``.

What can change after an article is stored: its record (corrections, a
retraction notice), the articles citing it, the articles PubMed calls
similar. So a refresh re-reads the records (efetch, compared field by field
before anything is saved) and the links (elink), nothing else. Articles
whose links are seen for the first time form the baseline: their citing and
similar articles are stored but not announced as new. Members still without
a PubMed record (an imported list, a page's references) get one first.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from litbase.grow.crawl import EFETCH_BATCH, ELINK_BATCH, SilentProgress, fetch_records
from litbase.model.ids import chunks
from litbase.grow.answers import read_answer
from litbase.parse.eutils import parse_elink
from litbase.parse.pubmed import parse_pubmed_xml
from litbase.store.articles import article_row, save_articles, save_links, utc_now
from litbase.store.changes import record_changes
from litbase.store.collections import add_to_collection, core_members, member_pmids
from litbase.store.frontier import citing_pmids, links_seen, pubmed_records, records_needed, similar_pmids
from litbase.store.load import all_pmids, stored_rows
from litbase.store.retractions import update_cites_retracted

# Fields whose change makes a record "corrected"; retraction fields are reported on their own.
COMPARED = ("title", "abstract", "authors", "journal", "journal_iso", "year", "month", "day",
            "volume", "issue", "pages", "article_number", "doi", "pmcid", "mesh_terms",
            "keywords", "date_revised")
# Notices that change how an article may be cited, besides a retraction: changes.what and words.
NOTICE_CHANGES = {"ErratumIn": "erratum", "CorrectedandRepublishedIn": "erratum",
                  "ExpressionOfConcernIn": "expression_of_concern"}
NOTICE_WORDS = {"ErratumIn": "an erratum", "CorrectedandRepublishedIn": "a corrected and republished version",
                "ExpressionOfConcernIn": "an expression of concern"}
# A similar-articles list runs to hundreds and reshuffles; only newcomers near the top are news.
SIMILAR_TOP = 20


@dataclass
class RefreshReport:
    collection: str | None
    articles: int = 0  # articles whose record and links were asked for again
    records_added: int = 0  # members that had no PubMed record before
    changes: Counter = field(default_factory=Counter)
    missing: list[int] = field(default_factory=list)


def json_list(text) -> list:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def targets(db: sqlite_utils.Database, collection: str | None) -> list[int]:
    if collection is None:
        return all_pmids(db)
    return member_pmids(db, collection)


def notice_key(notice: dict) -> tuple:
    # NLM rewrites a notice's source line once the issue is out ("2021 Jun 7;:" becomes
    # "2021 Aug;18(4):567"); its PMID stays, so the PMID names it when there is one.
    return (notice.get("ref_type"), notice.get("pmid") or notice.get("citation"))


def new_notices(stored: dict, article: dict) -> list[dict]:
    """Errata and expressions of concern the fresh record links to and the stored one did not."""
    known = {notice_key(n) for n in json_list(stored.get("related_notices")) if isinstance(n, dict)}
    return [{"pmid": article["pmid"], "what": NOTICE_CHANGES[n["ref_type"]],
             "related_pmid": n.get("pmid"),
             "detail": f"PubMed now links {NOTICE_WORDS[n['ref_type']]}"
                       + (f": {n['citation']}" if n.get("citation") else "")}
            for n in article.get("related_notices") or []
            if n.get("ref_type") in NOTICE_CHANGES and notice_key(n) not in known]


def record_differences(stored: dict, article: dict, now: str) -> list[dict]:
    """The changes between a stored articles row and a freshly parsed record."""
    fresh = article_row(article, "efetch", now)
    found = []
    if fresh["is_retracted"] and not stored["is_retracted"]:
        notices = [n.get("pmid") for n in article.get("related_notices") or []
                   if n.get("ref_type") == "RetractionIn"]
        found.append({"pmid": article["pmid"], "what": "retracted",
                      "related_pmid": notices[0] if notices else None,
                      "detail": "PubMed now marks this article as retracted"})
    found += new_notices(stored, article)
    changed = [f for f in COMPARED if (stored.get(f) or None) != (fresh.get(f) or None)]
    if changed:
        # NLM bumps DateRevised for edits litbase does not show (MeSH qualifiers, say);
        # that alone still counts, but the date is named once, not as a changed field.
        named = [f for f in changed if f != "date_revised"]
        revised = f"record revised {fresh['date_revised']}" if fresh.get("date_revised") else ""
        detail = (", ".join(named) + " changed" + (f" ({revised})" if revised else "")
                  if named else revised or "record revised")
        found.append({"pmid": article["pmid"], "what": "record_corrected", "detail": detail})
    return found


def refresh_records(db, client, pmids: list[int], collection, report: RefreshReport,
                    on_batch=lambda n: None) -> None:
    """Re-read stored PubMed records; save and log only those that changed."""
    for batch in chunks(pmids, EFETCH_BATCH):
        now = utc_now()
        stored = stored_rows(db, batch)
        records = read_answer("efetch", lambda body: list(parse_pubmed_xml(body)),
                              client.efetch_pubmed(batch))
        articles = [a for a in records if a.get("record_type") != "delete" and a["pmid"] in stored]
        changed, rows = [], []
        for article in articles:
            found = record_differences(stored[article["pmid"]], article, now)
            if found:
                changed.append(article)
                rows += found
        with db.conn:
            save_articles(db, changed, record_source="efetch", now=now)
            record_changes(db, rows, collection, now)
        report.changes.update(r["what"] for r in rows)
        on_batch(len(batch))


def refresh_links(db, client, pmids: list[int], collection, report: RefreshReport,
                  on_batch=lambda n: None) -> list[dict]:
    """Re-ask elink; log citing and top similar articles that were not there before."""
    new_citing = []
    for batch in chunks(pmids, ELINK_BATCH):
        now = utc_now()
        linksets = read_answer("elink", parse_elink, client.elink_pubmed(batch))
        rows = []
        for linkset in linksets:
            pmid = linkset["pmid"]
            if linkset.get("error") or pmid is None or not links_seen(db, pmid):
                continue
            citing = set(citing_pmids(db, pmid))
            similar = set(similar_pmids(db, pmid))
            rows += [{"pmid": pmid, "what": "new_citing", "related_pmid": c,
                      "detail": "PubMed lists a new citing article"}
                     for c in linkset["cited_by"] if c not in citing]
            rows += [{"pmid": pmid, "what": "new_similar", "related_pmid": s,
                      "detail": f"rank {rank}, score {score}"}
                     for rank, (s, score) in enumerate(linkset["similar"][:SIMILAR_TOP], start=1)
                     if s not in similar]
        with db.conn:
            save_links(db, linksets, now=now)
            record_changes(db, rows, collection, now)
        report.changes.update(r["what"] for r in rows)
        new_citing += [r for r in rows if r["what"] == "new_citing"]
        on_batch(len(batch))
    return new_citing


def refresh(db: sqlite_utils.Database, client, collection: str | None = None,
            progress=None) -> RefreshReport:
    """Refresh a collection's members (or every article): records, then links.

    ``progress`` (phase(label, total), advance(n), close()) hears of each phase and batch.
    """
    progress = progress or SilentProgress()
    report = RefreshReport(collection=collection)
    pmids = targets(db, collection)
    need = records_needed(db, pmids, retry_missing=False)
    progress.phase("new records", len(need))
    report.records_added, report.missing = fetch_records(db, client, need, progress.advance)
    fresh = set(need)
    stored = pubmed_records(db, pmids)
    again = [p for p in pmids if p in stored and p not in fresh]
    report.articles = len(again)
    progress.phase("records again", len(again))
    refresh_records(db, client, again, collection, report, progress.advance)
    linked = [p for p in pmids if p in stored]
    progress.phase("links again", len(linked))
    new_citing = refresh_links(db, client, linked, collection, report, progress.advance)
    citers = list(dict.fromkeys(r["related_pmid"] for r in new_citing))
    need = records_needed(db, citers, retry_missing=False)
    progress.phase("new citing records", len(need))
    added, missing = fetch_records(db, client, need, progress.advance)
    progress.close()
    report.records_added += added
    report.missing = sorted(set(report.missing) | set(missing))
    if collection:
        _grow_collection(db, collection, new_citing)
    # A new retraction marks the articles citing it; a new citing article may cite retracted work.
    update_cites_retracted(db)
    return report


def _grow_collection(db, collection: str, new_citing: list[dict]) -> None:
    """New citing articles of a collection's depth-0 members join it, one hop out."""
    core = core_members(db, collection)
    with db.conn:
        add_to_collection(db, collection, [
            {"pmid": r["related_pmid"], "role": "citing", "depth": 1, "seed_pmid": core[r["pmid"]]}
            for r in new_citing if r["pmid"] in core])
