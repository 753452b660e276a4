"""A client for NCBI's ID converter, which turns DOIs and PMCIDs into PMIDs.

The ID converter (https://www.ncbi.nlm.nih.gov/pmc/utils/idconv/v1.0/) takes
up to 200 IDs a request and is the authority for PMCIDs, but it only knows
articles in PMC. A DOI it cannot convert may still be on a PubMed record, so
each of those is searched as ``"DOI"[doi]``, one ESearch each. The converter
lives on another host, so it has its own base URL (the command line reads
LITBASE_IDCONV_URL, for tests) and a client that inherits every rule of
``EutilsClient``: identity, the shared rate limit, retries, keys kept out of
logs.
"""

from __future__ import annotations

from litbase.sources.eutils import EutilsClient

DEFAULT_IDCONV_URL = "https://www.ncbi.nlm.nih.gov/pmc/utils/idconv/v1.0/"
IDCONV_MAX_IDS = 200
# Stay under EutilsClient's GET limit: the converter is documented for GET.
IDCONV_MAX_CHARS = 1500


class IdconvClient(EutilsClient):
    """EutilsClient's manners, pointed at the PMC ID converter."""

    def __init__(self, *args, base_url: str | None = None, **kwargs):
        super().__init__(*args, base_url=base_url or DEFAULT_IDCONV_URL, **kwargs)

    def url_for(self, endpoint: str) -> str:
        return self.base_url

    def convert(self, ids: list[str], idtype: str) -> bytes:
        """JSON records for IDs of one type ("doi" or "pmcid")."""
        params = {"ids": ",".join(ids), "idtype": idtype, "format": "json"}
        return self.request("idconv", params, expect_root=None)


def batches(ids: list[str]) -> list[list[str]]:
    out, current = [], []
    for value in ids:
        if current and (len(current) == IDCONV_MAX_IDS
                        or len(",".join(current + [value])) > IDCONV_MAX_CHARS):
            out.append(current)
            current = []
        current.append(value)
    return out + ([current] if current else [])
