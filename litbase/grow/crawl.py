"""Breadth-first crawl of a citation neighbourhood: fetch -> parse -> save, level by level.

The database is the crawl frontier. Whatever is stored is never asked for
again: records are fetched only for PMIDs without a PubMed record, links only
for articles whose ``links_fetched_at`` is empty. Each batch is committed on
its own, so a crawl killed at any point resumes where it stopped.

A level costs one efetch per ``EFETCH_BATCH`` records and one elink per
``ELINK_BATCH`` articles, so a depth-1 crawl of one seed is three requests
(seed record, seed links, neighbour records) plus one per further batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlite_utils

from litbase.grow.answers import read_answer
from litbase.parse.eutils import parse_elink
from litbase.parse.pubmed import parse_pubmed_xml
from litbase.grow.links import SourceFailures, fetch_source_links
from litbase.model.ids import chunks
from litbase.store.articles import save_articles, save_links
from litbase.store.collections import (
    add_to_collection,
    collection_exists,
    delete_collection,
    save_collection,
    update_stored_count,
)
from litbase.store.frontier import (
    citing_pmids,
    forget_missing,
    links_needed,
    pubmed_records,
    records_needed,
    reference_pmids,
    save_missing,
    similar_pmids,
)

# NCBI's own examples fetch 500 records a request; elink answers grow with
# the similar-article lists, so it takes fewer IDs at a time.
EFETCH_BATCH = 500
ELINK_BATCH = 200

# A safety bound on crawl passes (see crawl); two are the rule, a third is rare.
MAX_PASSES = 5


@dataclass
class CrawlPlan:
    seeds: list[int]
    depth: int = 1
    similar: int = 0
    references: bool = True
    cited_by: bool = True
    max_articles: int | None = None
    collection: str | None = None
    # Link sources: "pubmed" (elink) and the clients passed to crawl() for
    # the others (litbase.grow.links). Records always come from PubMed's efetch.
    sources: tuple[str, ...] = ("pubmed",)
    # PMIDs efetch returned no record for are asked again only as seeds, so a
    # finished crawl with an unknown reference stays finished; this asks again.
    retry_missing: bool = False
    # Stop snowballing after a hop that reached fewer new records than this (None: never).
    stop_when_yield_below: int | None = None

    def collection_name(self) -> str:
        if self.collection:
            return self.collection
        first = f"pmid-{self.seeds[0]}"
        return first if len(self.seeds) == 1 else f"{first}-and-{len(self.seeds) - 1}-more"


@dataclass
class CrawlReport:
    collection: str | None  # None: no seed is known to PubMed, and no collection was made
    records_stored: int = 0
    articles_linked: int = 0
    missing: list[int] = field(default_factory=list)
    # Missing in an earlier run and not asked again (see CrawlPlan.retry_missing).
    missing_before: list[int] = field(default_factory=list)
    # Stored articles elink answered with an <ERROR> for: their links are not
    # stored, and a rerun asks for them again (links_fetched_at stays empty).
    links_unknown: list[int] = field(default_factory=list)
    # Sources beside PubMed that failed in this run, and the articles they left unanswered;
    # PubMed's part of the crawl went on without them.
    source_failures: SourceFailures = field(default_factory=SourceFailures)
    left_over: int = 0  # neighbours not taken because of --max-articles
    # The same, counted by "<role> at depth <n>" (a PMID once, under its first role).
    left_over_by: dict = field(default_factory=dict)
    seconds: float = 0.0
    # Hop -> records it reached that no shallower hop had (the last pass's count, before --max-articles).
    hop_yield: dict = field(default_factory=dict)
    stopped_after_hop: int | None = None  # --stop-when-yield-below ended the crawl here


def fetch_records(db, client, pmids: list[int], on_batch: Callable[[int], None] = lambda n: None):
    """efetch and store records in batches; returns (stored, missing PMIDs)."""
    stored, missing = 0, []
    for batch in chunks(pmids, EFETCH_BATCH):
        saved = _fetch_and_save(db, client, batch)
        absent = [p for p in batch if p not in saved]
        if absent:
            # NCBI sometimes drops records from a large answer; one more
            # request for just those tells a transient gap from an unknown PMID.
            saved |= _fetch_and_save(db, client, absent)
            absent = [p for p in absent if p not in saved]
            with db.conn:
                save_missing(db, absent, getattr(client, "missing_reason", "efetch returned no record for this PMID"))
            missing.extend(absent)
        stored += len(saved)
        on_batch(len(batch))
    return stored, missing


def records_from(client, pmids: list[int]) -> list[dict]:
    """The parser's records for these PMIDs: efetch + parse, or a local mirror's own answer."""
    # A mirror (litbase.mirror.client.MirrorClient) holds parsed records already.
    if hasattr(client, "pubmed_records"):
        return client.pubmed_records(pmids)
    # Well-formed HTTP, closed root, yet unreadable (invalid UTF-8, a text node past
    # libxml2's 10 MB limit): nothing of this batch is stored, and the user is told.
    return read_answer("efetch", lambda body: list(parse_pubmed_xml(body)), client.efetch_pubmed(pmids))


def linksets_from(client, pmids: list[int]) -> list[dict]:
    """parse_elink's answer for these PMIDs: elink, or a local mirror's citation links."""
    if hasattr(client, "linksets"):
        return client.linksets(pmids)
    return read_answer("elink", parse_elink, client.elink_pubmed(pmids))


def _fetch_and_save(db, client, pmids: list[int]) -> set[int]:
    asked = set(pmids)
    # Reconcile by PMID, never by count: an answer can hold fewer records,
    # or (after a merge at NCBI) a record under another PMID.
    records = records_from(client, pmids)
    articles = [r for r in records if r.get("record_type") != "delete"]
    with db.conn:
        saved = set(save_articles(db, articles, record_source="efetch"))
        forget_missing(db, saved)
    return saved & asked


def fetch_links(db, client, pmids: list[int], on_batch: Callable[[int], None] = lambda n: None):
    """elink (one call per batch, repeated id=) and store the links; returns PMIDs elink did not know."""
    unknown = []
    for batch in chunks(pmids, ELINK_BATCH):
        linksets = linksets_from(client, batch)
        with db.conn:
            linked = set(save_links(db, linksets))
            errors = [ls["pmid"] for ls in linksets if ls.get("error")]
            save_missing(db, errors, getattr(client, "missing_reason", "elink did not know this PMID"))
            # An article elink once did not know and now does is no longer missing.
            forget_missing(db, linked)
        unknown.extend(p for p in batch if p not in linked)
        on_batch(len(batch))
    return unknown


def neighbours(db, pmids: list[int], plan: CrawlPlan, seed_of: dict[int, int]) -> list[dict]:
    """The next level: references, then citing articles, then the top similar ones."""
    found: dict[tuple[int, str], dict] = {}
    for pmid in pmids:
        seed = seed_of.get(pmid, pmid)
        rows = []
        if plan.references:
            rows += [(other, "reference") for other in reference_pmids(db, pmid)]
        if plan.cited_by:
            rows += [(other, "citing") for other in citing_pmids(db, pmid)]
        if plan.similar:
            rows += [(other, "similar") for other in similar_pmids(db, pmid, plan.similar)]
        for other, role in rows:
            found.setdefault((other, role), {"pmid": other, "role": role, "seed_pmid": seed})
    return list(found.values())


def crawl(
    db: sqlite_utils.Database,
    client,
    plan: CrawlPlan,
    progress=None,
    source_clients: dict | None = None,
) -> CrawlReport:
    """Fetch the seeds and ``plan.depth`` levels of their neighbourhood.

    ``source_clients`` ({"icite": IciteClient, ...}) add their links beside
    PubMed's, so their references and citing articles join the next level.
    """
    started = time.monotonic()
    progress = progress or SilentProgress()
    name = plan.collection_name()
    report = CrawlReport(collection=name)
    existed = collection_exists(db, name)
    with db.conn:
        save_collection(
            db,
            {
                "name": name,
                "description": f"Citation neighbourhood of PMID {', '.join(map(str, plan.seeds))}"
                f" to depth {plan.depth}",
                "seed_pmids": "[" + ", ".join(map(str, plan.seeds)) + "]",
                "source": "litbase fetch",
            },
        )
        add_to_collection(db, name, [{"pmid": s, "role": "seed", "depth": 0, "seed_pmid": s} for s in plan.seeds])
    # A record fetched at the last level can reveal a link back to a shallower
    # article (a deposited reference list citing the seed, which PubMed's
    # citedin, PMC only, did not list). A rerun would follow it, so a single run
    # does the same: passes repeat until one finds the same frontiers as the
    # last, and a finished crawl run again asks for nothing. A --max-articles
    # crawl is partial on purpose and makes one pass.
    frontiers = None
    for number in range(MAX_PASSES):
        found = _crawl_pass(db, client, plan, progress, source_clients, report, name,
                            retry_missing=number == 0)
        if found == frontiers or plan.max_articles is not None:
            break
        frontiers = found
    with db.conn:
        if not existed and not pubmed_records(db, plan.seeds):
            # No seed is known to PubMed (a typo'd PMID): no empty collection is left behind.
            delete_collection(db, name)
            report.collection = None
        else:
            update_stored_count(db, name)
    progress.close()
    report.seconds = time.monotonic() - started
    report.missing = sorted(set(report.missing))
    report.missing_before = sorted(set(report.missing_before) - set(report.missing))
    report.links_unknown = sorted(set(report.links_unknown))
    return report


def _crawl_pass(db, client, plan: CrawlPlan, progress, source_clients, report: CrawlReport, name: str,
                retry_missing: bool) -> list[list[int]]:
    """One breadth-first pass over the levels; returns the frontier of each level."""
    members = dict.fromkeys(plan.seeds)
    seed_of = {s: s for s in plan.seeds}
    frontier = list(plan.seeds)
    frontiers = [frontier]
    last = plan.depth
    report.hop_yield, report.stopped_after_hop = {}, None
    for level in range(plan.depth + 1):
        retry = retry_missing and (level == 0 or plan.retry_missing)
        unstored = records_needed(db, frontier, retry_missing=True)
        need = unstored if retry else records_needed(db, unstored, retry_missing=False)
        report.missing_before.extend(set(unstored) - set(need))
        progress.phase(f"level {level}: records", len(need))
        stored, missing = fetch_records(db, client, need, progress.advance)
        report.records_stored += stored
        report.missing.extend(missing)
        if level == last:
            break
        if "pubmed" in plan.sources:
            # What elink did not know earlier in this run is not asked again until a rerun.
            need = [p for p in links_needed(db, frontier) if p not in report.links_unknown]
            progress.phase(f"level {level}: links", len(need))
            report.articles_linked += len(need)
            report.links_unknown.extend(fetch_links(db, client, need, progress.advance))
        if source_clients:
            fetch_source_links(db, source_clients, frontier, progress, f"level {level}: ",
                               failures=report.source_failures)
        fresh = neighbours(db, frontier, plan, seed_of)
        new_pmids = list(dict.fromkeys(n["pmid"] for n in fresh if n["pmid"] not in members))
        report.hop_yield[level + 1] = len(new_pmids)
        if plan.stop_when_yield_below is not None and len(new_pmids) < plan.stop_when_yield_below \
                and level + 1 < plan.depth:
            # This hop's records are still fetched (the next iteration), its links are not followed.
            last = report.stopped_after_hop = level + 1
        if plan.max_articles is not None:
            room = max(plan.max_articles - len(members), 0)
            report.left_over += max(len(new_pmids) - room, 0)
            first_role = {}
            for n in fresh:
                first_role.setdefault(n["pmid"], n["role"])
            for pmid in new_pmids[room:]:
                key = f"{first_role[pmid]} at depth {level + 1}"
                report.left_over_by[key] = report.left_over_by.get(key, 0) + 1
            new_pmids = new_pmids[:room]
        members.update(dict.fromkeys(new_pmids))
        taken = [n for n in fresh if n["pmid"] in members]
        for n in taken:
            seed_of.setdefault(n["pmid"], n["seed_pmid"])
        with db.conn:
            add_to_collection(db, name, [{**n, "depth": level + 1} for n in taken])
        frontier = new_pmids
        frontiers.append(frontier)
        if not frontier:
            break
    return frontiers


def fetch_neighbourhood(db, client, pmid: int, progress=None) -> CrawlReport:
    """What ``related`` needs of a source: a depth-1 fetch plus the links of every neighbour,
    so co-citation and coupling count each shared citing article and reference."""
    report = crawl(db, client, CrawlPlan(seeds=[pmid], depth=1), progress)
    neighbours_ = reference_pmids(db, pmid) + citing_pmids(db, pmid)
    report.links_unknown += fetch_links(db, client, links_needed(db, neighbours_))
    return report


class SilentProgress:
    """The progress interface of cli.progress.CrawlProgress, doing nothing: for library callers."""

    def phase(self, label: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass
