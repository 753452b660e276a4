"""A PubMed search into a collection: esearch on the history server, then efetch in batches.

ESearch hands out at most 9,999 IDs of a result set, even through the
history server (NCBI refuses a retstart past 9,998 with an error). A
larger query is cut into publication-date slices: ask the count first, and
while a slice holds more than 9,999 hits, bisect its date range (by years,
then by days inside one year). Each slice is then searched again with
``usehistory=y`` and paged with efetch. The slice counts are added up and
compared with PubMed's total, so a record outside every slice is reported
instead of silently cut.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlite_utils

from litbase.grow.crawl import EFETCH_BATCH, fetch_records
from litbase.model.ids import chunks
from litbase.grow.answers import read_answer
from litbase.parse.eutils import parse_esearch
from litbase.parse.pubmed import parse_pubmed_xml
from litbase.store.articles import save_articles
from litbase.store.collections import add_to_collection, save_collection, update_stored_count
from litbase.store.frontier import forget_missing, records_needed

ESEARCH_CAP = 9_999
# PubMed's oldest records are from the late 18th century; the bisection
# starts well before, and an empty slice costs a single count request.
FIRST_DATE = dt.date(1700, 1, 1)


class SearchError(Exception):
    """A search that cannot be carried out as asked (NCBI errors stay EutilsError)."""


def current_year() -> int:
    return dt.date.today().year


def pubmed_date(day: dt.date) -> str:
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


@dataclass
class Slice:
    """One date range of a result set, small enough for ESearch to list whole."""

    mindate: str | None
    maxdate: str | None
    count: int
    ids: list[int] = field(default_factory=list)
    webenv: str | None = None
    query_key: str | None = None


@dataclass
class SearchReport:
    collection: str
    query_count: int = 0  # what PubMed reported for the whole query
    sliced_count: int = 0  # what the date slices hold together
    slices: list[Slice] = field(default_factory=list)
    members: int = 0  # distinct PMIDs recorded in the collection
    records_stored: int = 0
    stored_count: int = 0  # members with a record in the database
    missing: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def halves(start: dt.date, end: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """Split a date range in two: at a year boundary while it spans years, else by days."""
    if start.year != end.year:
        middle = (start.year + end.year) // 2
        return (start, dt.date(middle, 12, 31)), (dt.date(middle + 1, 1, 1), end)
    middle = start + (end - start) // 2
    return (start, middle), (middle + dt.timedelta(days=1), end)


def date_ranges(count: Callable[[dt.date, dt.date], int], start: dt.date, end: dt.date,
                known: int | None = None) -> Iterator[tuple[dt.date, dt.date, int]]:
    """Date ranges, newest first, each holding 1 to 9,999 hits; ``count`` asks PubMed."""
    total = count(start, end) if known is None else known
    if total == 0:
        return
    if total <= ESEARCH_CAP:
        yield start, end, total
        return
    if start == end:
        raise SearchError(
            f"{total} hits carry the single publication date {pubmed_date(start)}; ESearch lists"
            f" at most {ESEARCH_CAP}. Narrow the query (for example by journal or MeSH term)."
        )
    older, newer = halves(start, end)
    # Newest first, as PubMed sorts a result set, so --max keeps the most recent hits.
    yield from date_ranges(count, *newer)
    yield from date_ranges(count, *older)


def _date_params(start: dt.date | None, end: dt.date | None) -> dict:
    if start is None:
        return {}
    return {"datetype": "pdat", "mindate": pubmed_date(start), "maxdate": pubmed_date(end)}


def find_slices(client, term: str, max_results: int | None, report: SearchReport) -> list[Slice]:
    """Ask PubMed for the query's hits: one history-server result set per date slice."""
    if hasattr(client, "search_pmids"):
        # A local mirror lists every hit at once: no 9,999 cap, no history server, no slices.
        ids = client.search_pmids(term)
        report.query_count = report.sliced_count = len(ids)
        return [Slice(None, None, len(ids), ids)]
    want = ESEARCH_CAP if max_results is None else min(max_results, ESEARCH_CAP)
    first = read_answer("esearch", parse_esearch, client.esearch(term, usehistory="y", retmax=str(want)))
    report.query_count = first["count"]
    report.warnings += first["errors"] + first["warnings"]
    if first["count"] <= ESEARCH_CAP or (max_results is not None and max_results <= ESEARCH_CAP):
        report.sliced_count = first["count"]
        return [Slice(None, None, first["count"], first["ids"], first["webenv"], first["query_key"])]

    def count(start: dt.date, end: dt.date) -> int:
        answer = client.esearch(term, retmax="0", **_date_params(start, end))
        return read_answer("esearch", parse_esearch, answer)["count"]

    end = dt.date(current_year() + 1, 12, 31)  # issues dated next year are common
    slices, taken = [], 0
    for start, stop, hits in date_ranges(count, FIRST_DATE, end, known=first["count"]):
        found = read_answer("esearch", parse_esearch, client.esearch(term, usehistory="y", retmax=str(ESEARCH_CAP),
                                             **_date_params(start, stop)))
        slices.append(Slice(pubmed_date(start), pubmed_date(stop), found["count"], found["ids"],
                            found["webenv"], found["query_key"]))
        report.sliced_count += found["count"]
        taken += found["count"]
        if max_results is not None and taken >= max_results:
            return slices
    if report.sliced_count != report.query_count:
        report.warnings.append(
            f"PubMed reports {report.query_count} hits but the publication-date slices"
            f" {pubmed_date(FIRST_DATE)}-{pubmed_date(end)} hold {report.sliced_count};"
            " the difference has no publication date in that range and was not fetched."
        )
    return slices


def fetch_slice(db, client, piece: Slice, ids: list[int], on_batch=lambda n: None):
    """Store the records of one slice's IDs; returns (stored, missing PMIDs)."""
    stored, missing = 0, []
    for start, window in zip(range(0, len(ids), EFETCH_BATCH), chunks(ids, EFETCH_BATCH)):
        need = records_needed(db, window, retry_missing=True)
        if need and len(need) == len(window) and piece.webenv:
            # The whole page is new: take it from the history server (a short GET).
            saved = _fetch_history_page(db, client, piece, start, len(window))
            absent = [p for p in window if p not in saved]
            extra, missing_now = fetch_records(db, client, absent) if absent else (0, [])
            stored += len(saved & set(window)) + extra
            missing += missing_now
        elif need:
            # Part of the page is stored already: ask for the rest by PMID.
            extra, missing_now = fetch_records(db, client, need)
            stored += extra
            missing += missing_now
        on_batch(len(window))
    return stored, missing


def _fetch_history_page(db, client, piece: Slice, retstart: int, retmax: int) -> set[int]:
    payload = client.efetch_history(piece.webenv, piece.query_key, retstart, retmax)
    records = read_answer("efetch", lambda body: list(parse_pubmed_xml(body)), payload)
    articles = [r for r in records if r.get("record_type") != "delete"]
    with db.conn:
        saved = set(save_articles(db, articles, record_source="efetch"))
        forget_missing(db, saved)
    return saved


def default_collection(term: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")[:50].rstrip("-")
    return f"search-{slug or 'query'}"


def search(db: sqlite_utils.Database, client, term: str, *, collection: str | None = None,
           max_results: int | None = None, progress=None) -> SearchReport:
    """Run a PubMed query and store every hit (or the newest ``max_results``) in a collection."""
    if not term.strip():
        raise SearchError("the search term is empty")
    name = collection or default_collection(term)
    report = SearchReport(collection=name)
    slices = find_slices(client, term, max_results, report)
    report.slices = slices
    if not report.query_count:
        # Nothing found: say so, and leave no empty collection behind.
        if progress:
            progress.close()
        return report
    with db.conn:
        save_collection(db, {"name": name, "description": f"PubMed search: {term}",
                             "query": term, "query_count": report.query_count,
                             "source": "litbase search"})
    seen: set[int] = set()
    budget = max_results
    for piece in slices:
        ids = [p for p in piece.ids if p not in seen]
        if budget is not None:
            ids = ids[:max(budget - len(seen), 0)]
        # Skipping an ID seen in an earlier slice would shift efetch's retstart,
        # so a slice pages over its own list; stored records are not asked again.
        page_ids = piece.ids[:piece.ids.index(ids[-1]) + 1] if ids else []
        seen.update(ids)
        with db.conn:
            add_to_collection(db, name, [{"pmid": p, "role": "search", "depth": 0} for p in ids])
        if progress:
            dates = f" {piece.mindate}-{piece.maxdate}" if piece.mindate else ""
            progress.phase(f"records{dates}", len(page_ids))
        stored, missing = fetch_slice(db, client, piece, page_ids,
                                      progress.advance if progress else (lambda n: None))
        report.records_stored += stored
        report.missing += missing
    report.members = len(seen)
    with db.conn:
        report.stored_count = update_stored_count(db, name)
    if progress:
        progress.close()
    report.missing = sorted(set(report.missing))
    return report

