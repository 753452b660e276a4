"""iCite /api/pubs answers into plain dicts; no I/O.

iCite's field types have varied between versions and records: numbers come as
numbers or strings ("46", "" or "NA" when not computed), yes/no flags as
"Yes"/"No" or booleans, and ``references``/``cited_by`` as lists of ints or as
one space-separated string. Everything is normalised here so the store sees
one shape.
"""

from __future__ import annotations

import re

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


class IciteParseError(ValueError):
    pass


def parse_icite_pubs(payload: dict) -> list[dict]:
    """One dict per record: pmid, links, metrics; records without a usable PMID are refused."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise IciteParseError("iCite answer has no 'data' list")
    records = []
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise IciteParseError(f"iCite record {position} is not an object")
        pmid = _int(item.get("pmid"))
        if pmid is None or pmid <= 0:
            raise IciteParseError(f"iCite record {position} has no PMID: {item.get('pmid')!r}")
        records.append({
            "pmid": pmid,
            "year": _int(item.get("year")),
            "doi": (str(item["doi"]).strip() or None) if item.get("doi") else None,
            "references": pmid_list(item.get("references")),
            "cited_by": pmid_list(item.get("cited_by")),
            "citation_count": _int(item.get("citation_count")),
            "relative_citation_ratio": _float(item.get("relative_citation_ratio")),
            "nih_percentile": _float(item.get("nih_percentile")),
            "is_research_article": yes_no(item.get("is_research_article")),
            "is_clinical": yes_no(item.get("is_clinical")),
            "provisional": yes_no(item.get("provisional")),
        })
    return records


def pmid_list(value) -> list[int]:
    """PMIDs from a list (of ints or digit strings) or a space/comma-separated string, in order, once each."""
    if value is None or value == "":
        return []
    items = re.split(r"[\s,;]+", value.strip()) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise IciteParseError(f"expected a list of PMIDs, got {value!r}")
    pmids = []
    for item in items:
        pmid = _int(item)
        if pmid is None:
            if item in ("", None):
                continue
            raise IciteParseError(f"{item!r} in a PMID list is not a PMID")
        if pmid > 0:
            pmids.append(pmid)
    return list(dict.fromkeys(pmids))


def yes_no(value) -> int | None:
    """1, 0 or None (not stated) from "Yes"/"No", booleans, 1/0."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    text = str(value).strip().lower()
    return 1 if text in _YES else 0 if text in _NO else None


def _int(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _float(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):  # "", "NA", "N/A": not computed
        return None
    return None if number != number else number  # NaN is "not computed" too
