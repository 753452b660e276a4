"""Europe PMC REST client: an article's reference list and its citing articles, page by page."""

from __future__ import annotations

from collections.abc import Iterator

from litbase.sources.json_api import JsonClient, SourceFormatError

DEFAULT_BASE_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
# The largest page Europe PMC serves for /references and /citations.
PAGE_SIZE = 1000
# A guard against a server whose hitCount never stops growing: 50,000 entries.
MAX_PAGES = 50
LIST_KEYS = {"references": ("referenceList", "reference"), "citations": ("citationList", "citation")}


class EuropePmcClient(JsonClient):
    """Talks to Europe PMC's REST API politely (see litbase.sources.json_api for the manners)."""

    service = "europepmc"
    # EMBL-EBI publishes no fixed rate; it asks for moderation and blocks
    # clients that flood it. Three a second is plenty for a crawl.
    requests_per_second = 3

    def __init__(self, base_url: str | None = None, **options):
        super().__init__(base_url or DEFAULT_BASE_URL, **options)

    def references(self, pmid: int, source: str = "MED") -> Iterator[dict]:
        """The pages of the article's reference list (none when Europe PMC has no list)."""
        return self._pages("references", pmid, source)

    def citations(self, pmid: int, source: str = "MED") -> Iterator[dict]:
        """The pages of the list of articles citing it (none when nothing cites it)."""
        return self._pages("citations", pmid, source)

    def _pages(self, kind: str, pmid: int, source: str) -> Iterator[dict]:
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            # Europe PMC answers 404 when an article has no citations (and for
            # an ID it does not know): an empty list, not a failure.
            payload = self.get_json(kind, f"{source}/{int(pmid)}/{kind}",
                                    {"page": page, "pageSize": PAGE_SIZE, "format": "json"},
                                    not_found_is_empty=True)
            if payload is None:
                return
            if not isinstance(payload, dict):
                raise SourceFormatError(f"europepmc/{kind}", "the answer is not a JSON object")
            entries = _entries(payload, kind)
            yield payload
            seen += len(entries)
            if not entries or seen >= hit_count(payload):
                return
        raise SourceFormatError(f"europepmc/{kind}",
                                f"more than {MAX_PAGES} pages for {source}/{pmid}; stopped")


def hit_count(payload: dict) -> int:
    """Europe PMC's total for the list, which says when paging is done."""
    value = payload.get("hitCount", 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SourceFormatError("europepmc", f"hitCount {value!r} is not a number") from None


def _entries(payload: dict, kind: str) -> list:
    outer, inner = LIST_KEYS[kind]
    return (payload.get(outer) or {}).get(inner) or []
