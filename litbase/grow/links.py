"""The link sources beside PubMed (iCite, Europe PMC): ask, parse, then save through the store.

Each fetcher asks only about the articles its source has not answered for,
and stores one answer whole or not at all, so a rerun resumes. Which source
said what is kept (``litbase.model.link_sources``).

A source that fails (unreachable, 5xx or 429 past the retries, an answer that
cannot be read) costs only itself: its error is kept in ``SourceFailures``,
the articles it did not answer for are marked ``failed`` in
``article_sources`` (so a rerun asks it again, for those alone), and it is
not asked again in the same run. PubMed's part goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from litbase.grow.answers import without_identity
from litbase.sources.europepmc import EuropePmcClient
from litbase.sources.icite import IciteClient
from litbase.parse.europepmc import EuropePmcParseError, parse_citations, parse_references
from litbase.parse.icite import IciteParseError, parse_icite_pubs
from litbase.sources.json_api import SourceError, SourceFormatError
from litbase.store.frontier import sources_needed
from litbase.store.links import mark_failed, save_europepmc, save_icite

CLIENTS = {"icite": IciteClient, "europepmc": EuropePmcClient}


def make_clients(names: Iterable[str], base_urls: dict | None = None, **options) -> dict:
    """A client for each named source beside PubMed, at its base URL (None: the public service),
    with the same options (on_request, email)."""
    base_urls = base_urls or {}
    return {name: CLIENTS[name](base_url=base_urls.get(name), **options)
            for name in names if name in CLIENTS}


def fetch_icite(db, client: IciteClient, pmids: list[int],
                on_batch: Callable[[int], None] = lambda n: None) -> int:
    """Ask iCite about these articles, a batch per request, each batch stored whole; returns found."""
    found = 0
    for asked, payload in client.fetch_pubs(sources_needed(db, "icite", pmids)):
        try:
            records = parse_icite_pubs(payload)
        except IciteParseError as error:
            raise SourceFormatError("icite/pubs", str(error)) from None
        # Reconcile by PMID: a record iCite sends unasked is not ours to store.
        records = [r for r in records if r["pmid"] in set(asked)]
        with db.conn:
            found += len(save_icite(db, asked, records))
        on_batch(len(asked))
    return found


def fetch_europepmc(db, client: EuropePmcClient, pmids: list[int],
                    on_batch: Callable[[int], None] = lambda n: None) -> int:
    """Both Europe PMC lists of each article; an article is stored only once both are complete."""
    done = 0
    for pmid in sources_needed(db, "europepmc", pmids):
        try:
            references = parse_references(client.references(pmid))
            citations = parse_citations(client.citations(pmid))
        except EuropePmcParseError as error:
            raise SourceFormatError("europepmc", f"PMID {pmid}: {error}") from None
        with db.conn:
            save_europepmc(db, pmid, references, citations)
        done += 1
        on_batch(1)
    return done


FETCHERS = {"icite": fetch_icite, "europepmc": fetch_europepmc}


@dataclass
class SourceFailures:
    """The sources beside PubMed that failed in one run: the error, and the articles left unanswered."""

    errors: dict = field(default_factory=dict)  # source name -> its SourceError
    pmids: dict = field(default_factory=dict)  # source name -> {PMID: None} it did not answer for

    def add(self, name: str, pmids: Iterable[int]) -> None:
        self.pmids.setdefault(name, {}).update(dict.fromkeys(pmids))


def fetch_source_links(db, clients: dict, pmids: list[int], progress=None, label: str = "",
                       failures: SourceFailures | None = None) -> dict:
    """Ask every source client about the articles it has not been asked about; returns counts.

    With ``failures``, a source error is kept there instead of raised: the
    articles the source did not answer for are marked failed, and a source that
    failed earlier in the run is not asked again (its articles are marked too).
    """
    counts = {}
    for name, client in clients.items():
        need = sources_needed(db, name, pmids)
        if failures is not None and name in failures.errors:
            _mark(db, name, need, failures)
            continue
        if progress is not None:
            progress.phase(f"{label}{name}", len(need))
        advance = progress.advance if progress is not None else (lambda n: None)
        try:
            counts[name] = FETCHERS[name](db, client, need, advance)
        except SourceError as error:
            if failures is None:
                raise
            failures.errors[name] = error
            _mark(db, name, sources_needed(db, name, need), failures)
    return counts


def _mark(db, name: str, pmids: list[int], failures: SourceFailures) -> None:
    with db.conn:
        mark_failed(db, name, pmids, without_identity(str(failures.errors[name])))
    failures.add(name, pmids)
