"""Parse the PMC ID converter's JSON answer: requested ID -> PMID. Pure, no I/O."""

from __future__ import annotations

import json


class IdconvParseError(ValueError):
    """The converter's answer is unreadable or reports an error."""


def parse_idconv(payload: bytes) -> dict[str, int]:
    """{requested ID (DOIs lower-cased): PMID} for the records the converter resolved."""
    try:
        doc = json.loads(payload)
    except ValueError as error:
        raise IdconvParseError(f"idconv: the answer is not JSON ({error})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records", []), list):
        raise IdconvParseError("idconv: the answer is not a JSON object with a records list")
    if doc.get("status") not in (None, "ok"):
        raise IdconvParseError(f"idconv: {doc.get('message') or doc.get('status')}")
    resolved = {}
    for record in doc.get("records") or []:
        if not isinstance(record, dict):
            continue  # not a record: nothing in it can be resolved
        pmid = str(record.get("pmid") or "")
        if record.get("status") == "error" or not pmid.isdigit():
            continue
        requested = record.get("requested-id") or record.get("pmcid") or record.get("doi") or ""
        key = requested.lower() if requested.lower().startswith("10.") else requested.upper()
        resolved[key] = int(pmid)
    return resolved
