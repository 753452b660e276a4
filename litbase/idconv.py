"""Resolve DOIs and PMCIDs to PMIDs: NCBI's ID converter first, ESearch ``[doi]`` for the rest.

The ID converter (https://www.ncbi.nlm.nih.gov/pmc/utils/idconv/v1.0/) takes
up to 200 IDs a request and is the authority for PMCIDs, but it only knows
articles in PMC. A DOI it cannot convert may still be on a PubMed record, so
each of those is searched as ``"DOI"[doi]``, one ESearch each. The converter
lives on another host, so it has its own base URL (LITBASE_IDCONV_URL, for
tests) and a client that inherits every rule of ``EutilsClient``: identity,
the shared rate limit, retries, keys kept out of logs.
"""

from __future__ import annotations

import json
import os

from .eutils import EutilsClient, EutilsError
from .parse_eutils import parse_esearch

DEFAULT_IDCONV_URL = "https://www.ncbi.nlm.nih.gov/pmc/utils/idconv/v1.0/"
IDCONV_MAX_IDS = 200
# Stay under EutilsClient's GET limit: the converter is documented for GET.
IDCONV_MAX_CHARS = 1500


class IdconvClient(EutilsClient):
    """EutilsClient's manners, pointed at the PMC ID converter."""

    def __init__(self, *args, base_url: str | None = None, **kwargs):
        base = base_url or os.environ.get("LITBASE_IDCONV_URL") or DEFAULT_IDCONV_URL
        super().__init__(*args, base_url=base, **kwargs)

    def url_for(self, endpoint: str) -> str:
        return self.base_url

    def convert(self, ids: list[str], idtype: str) -> bytes:
        """JSON records for IDs of one type ("doi" or "pmcid")."""
        params = {"ids": ",".join(ids), "idtype": idtype, "format": "json"}
        return self.request("idconv", params, expect_root=None)


def parse_idconv(payload: bytes) -> dict[str, int]:
    """{requested ID (DOIs lower-cased): PMID} for the records the converter resolved."""
    doc = json.loads(payload)
    if doc.get("status") not in (None, "ok"):
        raise EutilsError("idconv", str(doc.get("message") or doc.get("status")))
    resolved = {}
    for record in doc.get("records") or []:
        pmid = str(record.get("pmid") or "")
        if record.get("status") == "error" or not pmid.isdigit():
            continue
        requested = record.get("requested-id") or record.get("pmcid") or record.get("doi") or ""
        key = requested.lower() if requested.lower().startswith("10.") else requested.upper()
        resolved[key] = int(pmid)
    return resolved


def batches(ids: list[str]) -> list[list[str]]:
    out, current = [], []
    for value in ids:
        if current and (len(current) == IDCONV_MAX_IDS
                        or len(",".join(current + [value])) > IDCONV_MAX_CHARS):
            out.append(current)
            current = []
        current.append(value)
    return out + ([current] if current else [])


def resolve_ids(dois: list[str], pmcids: list[str], idconv, eutils) -> tuple[dict, dict]:
    """({ID: PMID}, {ID: why not}) for DOIs (lower case) and PMCIDs ("PMC123")."""
    resolved: dict[str, int] = {}
    failed: dict[str, str] = {}
    for idtype, values in (("pmcid", pmcids), ("doi", dois)):
        for batch in batches(values):
            try:
                resolved.update(parse_idconv(idconv.convert(batch, idtype)))
            except (EutilsError, ValueError) as error:
                failed.update({v: f"ID converter failed: {error}" for v in batch})
    for pmcid in pmcids:
        if pmcid not in resolved and pmcid not in failed:
            failed[pmcid] = "the ID converter knows no PubMed record for it"
    for doi in dois:
        if doi in resolved:
            continue
        try:
            found = parse_esearch(eutils.esearch(f'"{doi}"[doi]', retmax="2"))
        except EutilsError as error:
            failed[doi] = f"ESearch failed: {error}"
            continue
        if found["count"] == 1 and found["ids"]:
            resolved[doi] = found["ids"][0]
            failed.pop(doi, None)
        else:
            failed[doi] = (f"{found['count']} PubMed records carry this DOI" if found["count"]
                           else "neither the ID converter nor PubMed knows this DOI")
    return resolved, failed
