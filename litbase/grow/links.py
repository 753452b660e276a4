"""The link sources beside PubMed (iCite, Europe PMC): ask, parse, then save through the store.

Each fetcher asks only about the articles its source has not answered for,
and stores one answer whole or not at all, so a rerun resumes. Which source
said what is kept (``litbase.model.link_sources``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from litbase.sources.europepmc import EuropePmcClient
from litbase.sources.icite import IciteClient
from litbase.parse.europepmc import EuropePmcParseError, parse_citations, parse_references
from litbase.parse.icite import IciteParseError, parse_icite_pubs
from litbase.sources.json_api import SourceFormatError
from litbase.store.frontier import sources_needed
from litbase.store.links import save_europepmc, save_icite

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


def fetch_source_links(db, clients: dict, pmids: list[int], progress=None, label: str = "") -> dict:
    """Ask every source client about the articles it has not been asked about; returns counts."""
    counts = {}
    for name, client in clients.items():
        need = sources_needed(db, name, pmids)
        if progress is not None:
            progress.phase(f"{label}{name}", len(need))
        advance = progress.advance if progress is not None else (lambda n: None)
        counts[name] = FETCHERS[name](db, client, need, advance)
    return counts
