"""The vocabulary of link sources: the services litbase asks, and what each ``citations.source`` means.

PubMed (E-utilities) gives records and three kinds of links; NIH iCite and
Europe PMC fill the gaps in its reference and "cited by" lists. Which source
said what lives in ``citations.source``; ``SOURCE_KINDS`` maps each value to
the service behind it and to the list it came from, for coverage reports and
for telling a gap from a disagreement.
"""

from __future__ import annotations

from collections.abc import Iterable

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


class UnknownSource(ValueError):
    pass


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
