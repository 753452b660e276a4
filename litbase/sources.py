"""Citation links from every source named, merged in one database with each source's word kept.

PubMed (E-utilities) gives records and three kinds of links; NIH iCite and
Europe PMC fill the gaps in its reference and "cited by" lists. Which source
said what lives in ``citations.source``; ``SOURCE_KINDS`` maps each value to
the service behind it and to the list it came from, for coverage reports and
for telling a gap from a disagreement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .europepmc import EuropePmcClient
from .icite import IciteClient
from .parse_europepmc import EuropePmcParseError, parse_citations, parse_references
from .parse_icite import IciteParseError, parse_icite_pubs
from .polite import SourceFormatError
from .sources_store import save_europepmc, save_icite, sources_needed

SOURCES = ("pubmed", "icite", "europepmc")
DEFAULT_SOURCES = ("pubmed", "icite")

# citations.source -> (service, list). "references": the citing article's own
# reference list; "cited_by": a list of the articles citing the cited one.
SOURCE_KINDS = {
    "pubmed_refs": ("pubmed", "references"),
    "reference_list": ("pubmed", "references"),
    "comments_corrections": ("pubmed", "references"),
    "citedin": ("pubmed", "cited_by"),
    "icite_refs": ("icite", "references"),
    "icite_cited_by": ("icite", "cited_by"),
    "europepmc_refs": ("europepmc", "references"),
    "europepmc_citations": ("europepmc", "cited_by"),
    "seed_page": ("seed_page", "references"),
}
CLIENTS = {"icite": IciteClient, "europepmc": EuropePmcClient}


class UnknownSource(ValueError):
    pass


def service_of(source: str) -> str:
    """The service behind a citations.source value (itself when litbase does not know it)."""
    return SOURCE_KINDS.get(source, (source, None))[0]


def list_sources(service: str, kind: str) -> list[str]:
    """The citations.source values of one service's lists of one kind."""
    return [s for s, (svc, k) in SOURCE_KINDS.items() if svc == service and k == kind]


def parse_sources(text: str | Iterable[str]) -> tuple[str, ...]:
    """"pubmed,icite" -> ("pubmed", "icite"); unknown names refused with the known ones."""
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip().lower() for n in names if n.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise UnknownSource(f"unknown source {', '.join(map(repr, unknown))}; "
                            f"choose from {', '.join(SOURCES)}")
    if not names:
        raise UnknownSource(f"no source named; choose from {', '.join(SOURCES)}")
    return tuple(dict.fromkeys(names))


def make_clients(names: Iterable[str], **options) -> dict:
    """A client for each named source beside PubMed, with the same options (on_request, email)."""
    return {name: CLIENTS[name](**options) for name in names if name in CLIENTS}


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
