"""NIH iCite client: the Open Citation Collection's links and iCite's metrics, 200 PMIDs a request."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from litbase.sources.json_api import JsonClient, SourceFormatError

DEFAULT_BASE_URL = "https://icite.od.nih.gov/api/"
# iCite's /api/pubs takes up to 1,000 PMIDs, but an answer carries every
# reference and citing PMID of each article; 200 keeps a body to a few MB.
ICITE_BATCH = 200
# Only what litbase stores; the rest (coordinates, APT, ...) would multiply the body.
FIELDS = ("pmid", "year", "doi", "references", "cited_by", "citation_count",
          "relative_citation_ratio", "nih_percentile", "is_research_article", "is_clinical",
          "provisional")


class IciteClient(JsonClient):
    """Talks to iCite's /api/pubs politely (see litbase.sources.json_api for the manners)."""

    service = "icite"
    # NIH publishes no rate for iCite; three a second is what NCBI allows a
    # keyless client and keeps a crawl's iCite calls far below its E-utilities calls.
    requests_per_second = 3

    def __init__(self, base_url: str | None = None, **options):
        super().__init__(base_url or DEFAULT_BASE_URL, **options)

    def pubs(self, pmids: list[int]) -> dict:
        """One /api/pubs answer for at most ICITE_BATCH PMIDs; unknown PMIDs are simply absent."""
        if not pmids:
            raise ValueError("pubs needs at least one PMID")
        if len(pmids) > ICITE_BATCH:
            raise ValueError(f"iCite takes at most {ICITE_BATCH} PMIDs a request here")
        params = {"pmids": ",".join(str(int(p)) for p in pmids), "fl": ",".join(FIELDS),
                  "format": "json"}
        payload = self.get_json("pubs", "pubs", params)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise SourceFormatError("icite/pubs", "the answer has no 'data' list")
        return payload

    def fetch_pubs(self, pmids: Iterable[int]) -> Iterator[tuple[list[int], dict]]:
        """(PMIDs asked, answer) per batch, so the caller can store each batch whole."""
        pmids = list(dict.fromkeys(int(p) for p in pmids))
        for start in range(0, len(pmids), ICITE_BATCH):
            batch = pmids[start:start + ICITE_BATCH]
            yield batch, self.pubs(batch)
