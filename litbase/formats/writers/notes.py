"""Free-text notes the writers add: a retraction (and an expression of concern), and how a record was found.

A retraction must travel with the record into any reference manager, or a
retracted paper gets cited unawares. PubMed marks one two ways: the
publication type "Retracted Publication" and a RetractionIn notice (with the
notice's own source line and PMID) among the record's comments/corrections;
either sets ``is_retracted`` when the record is parsed.

The provenance note needs ``article["collections"]``: one dict per
collection the record belongs to, ``{"collection", "role", "depth",
"seed_pmid"}`` (the columns of ``collections_articles``). The store does not
load it yet; without it no note is written.
"""

from __future__ import annotations

from litbase.formats.vocab import publication_type_names

# How a collection role reads as a citation-chasing direction.
DIRECTIONS = {"reference": "backward", "citing": "forward", "similar": "similar",
              "seed": "seed", "search": "search", "import": "import"}


def notice_line(notice: dict) -> str:
    """A notice as PubMed's MEDLINE display writes it: "Lancet. 2010;375:445. PMID: 20137807"."""
    parts = [notice.get("citation")]
    if notice.get("pmid"):
        parts.append(f"PMID: {notice['pmid']}")
    return ". ".join(str(p).rstrip(". ") for p in parts if p)


def retraction_notices(article: dict) -> list[dict]:
    return [n for n in article.get("related_notices") or []
            if n.get("ref_type") == "RetractionIn"]


def is_retracted(article: dict) -> bool:
    return bool(article.get("is_retracted")) or (
        "Retracted Publication" in publication_type_names(article)) or bool(
        retraction_notices(article))


def retraction_note(article: dict) -> str | None:
    """ "Retracted publication. Retraction in: <source>. PMID: <n>." or None."""
    if not is_retracted(article):
        return None
    lines = [notice_line(n) for n in retraction_notices(article)]
    lines = [line for line in lines if line]
    if not lines:
        return "Retracted publication."
    return "Retracted publication. " + " ".join(f"Retraction in: {line}." for line in lines)


def caution_note(article: dict) -> str | None:
    """The retraction note, then any expression of concern: what a reader must see before citing.

    "Retracted publication. Retraction in: ... ." and/or "Expression of concern in: <source>. PMID: <n>."
    """
    if not article.get("related_notices") and not is_retracted(article):
        return None  # most records; every writer asks once a record
    concerns = [notice_line(n) for n in article.get("related_notices") or []
                if n.get("ref_type") == "ExpressionOfConcernIn"]
    parts = [retraction_note(article)] + [f"Expression of concern in: {line}." for line in concerns if line]
    return " ".join(p for p in parts if p) or None


def provenance(article: dict) -> list[dict]:
    """One {"collection", "seed_pmid", "hop", "direction"} per way the record was reached."""
    found = []
    for member in article.get("collections") or []:
        role = member.get("role")
        found.append({"collection": member.get("collection"),
                      "seed_pmid": member.get("seed_pmid"),
                      "hop": member.get("depth"),
                      "direction": DIRECTIONS.get(role, role)})
    return found


def provenance_note(article: dict) -> str | None:
    """ "litbase: peer-support, backward from seed PMID 35392492, hop 1." (one per way)."""
    parts = []
    for way in provenance(article):
        text = f"litbase: {way['collection']}, {way['direction']}"
        if way["seed_pmid"] and way["direction"] != "seed":
            text += f" from seed PMID {way['seed_pmid']}"
        if way["hop"] is not None:
            text += f", hop {way['hop']}"
        parts.append(text + ".")
    return " ".join(parts) or None
