"""Parse the PMC ID converter's JSON answer: requested ID -> PMID. Pure, no I/O."""

from __future__ import annotations

import json


class IdconvParseError(ValueError):
    """The converter's answer is unreadable or reports an error."""


def parse_idconv(payload: bytes) -> dict[str, int]:
    """{requested ID (DOIs lower-cased): PMID} for the records the converter resolved."""
    doc = json.loads(payload)
    if doc.get("status") not in (None, "ok"):
        raise IdconvParseError(f"idconv: {doc.get('message') or doc.get('status')}")
    resolved = {}
    for record in doc.get("records") or []:
        pmid = str(record.get("pmid") or "")
        if record.get("status") == "error" or not pmid.isdigit():
            continue
        requested = record.get("requested-id") or record.get("pmcid") or record.get("doi") or ""
        key = requested.lower() if requested.lower().startswith("10.") else requested.upper()
        resolved[key] = int(pmid)
    return resolved
