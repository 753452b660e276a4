"""Europe PMC /references and /citations pages into plain dicts; no I/O.

An entry whose ``source`` is MED carries its PMID in ``id``; entries from
other sources (PMC, preprints PPR, Agricola AGR, patents PAT, ...) or with no
``id`` at all have no PMID and are kept as reference-list lines.
"""

from __future__ import annotations

from collections.abc import Iterable

LISTS = {"references": ("referenceList", "reference"), "citations": ("citationList", "citation")}


class EuropePmcParseError(ValueError):
    pass


def hit_count(payload: dict) -> int:
    value = payload.get("hitCount", 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EuropePmcParseError(f"hitCount {value!r} is not a number") from None


def entries(pages: Iterable[dict], kind: str) -> list[dict]:
    """The raw entries of every page, in order."""
    outer, inner = LISTS[kind]
    found = []
    for page in pages:
        holder = page.get(outer) or {}
        items = holder.get(inner) if isinstance(holder, dict) else None
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise EuropePmcParseError(f"{outer}.{inner} is not a list of objects")
        found.extend(items)
    return found


def parse_references(pages: Iterable[dict]) -> list[dict]:
    """Reference-list lines: position, pmid (or None), other_id, citation text, doi."""
    return [
        {**_work(item), "position": position}
        for position, item in enumerate(entries(pages, "references"), start=1)
    ]


def parse_citations(pages: Iterable[dict]) -> list[dict]:
    """Citing works: pmid (or None), other_id, citation text, doi."""
    return [_work(item) for item in entries(pages, "citations")]


def _work(item: dict) -> dict:
    source = str(item.get("source") or "").strip().upper() or None
    ident = str(item.get("id") or "").strip() or None
    pmid = int(ident) if source == "MED" and ident and ident.isdigit() and int(ident) > 0 else None
    return {
        "pmid": pmid,
        "other_id": None if pmid or not ident else f"{source or '?'}:{ident}",
        "citation": citation_text(item),
        "doi": (str(item.get("doi")).strip() or None) if item.get("doi") else None,
        "title": _text(item.get("title")),
    }


def citation_text(item: dict) -> str | None:
    """A printed reference: "Authors. Title. Journal. Year;Volume(Issue):Pages." from what is there."""
    authors = _text(item.get("authorString"))
    title = _text(item.get("title"))
    journal = _text(item.get("journalAbbreviation") or item.get("publicationTitle"))
    year = _text(item.get("pubYear"))
    volume, issue, pages = (_text(item.get(k)) for k in ("volume", "issue", "pageInfo"))
    where = year or ""
    if volume:
        where += f";{volume}"
    if issue:
        where += f"({issue})"
    if pages:
        where += f":{pages}"
    parts = [p.rstrip(".") for p in (authors, title, journal) if p]
    if where:
        parts.append(where.lstrip(";"))
    if not parts:
        return _text(item.get("unstructuredInformation"))
    return ". ".join(parts) + "."


def _text(value) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None
