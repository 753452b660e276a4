"""Read RIS files, as Zotero, EndNote, Mendeley and publishers write them.

The tokenizer is strict about the specification's line rules (a two-character
tag, two spaces, a hyphen; TY first; ER last) because a line that breaks
them usually means a truncated or concatenated file, and the importer must
stop with the line number rather than store half a record.
"""

from __future__ import annotations

import re

from litbase.formats.vocab import RIS_TYPES, language_code
from litbase.formats.reading import (
    BibliographyError,
    day_number,
    empty_article,
    group,
    month_number,
    number_authors,
    pages_and_number,
    parse_pmid,
    parse_year,
    person,
    publication_types,
)

_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_PUBMED_URL = re.compile(r"pubmed\.ncbi\.nlm\.nih\.gov/(\d+)")


def ris_records(text: str, path: str) -> list[tuple[int, list[tuple[str, str, int]]]]:
    """(line of TY, [(tag, value, line)]) per record."""
    records, current, start = [], None, None
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line.rstrip())
        if not match:
            raise BibliographyError(path, number, f"not a RIS line (XX  - value): {line[:60]!r}")
        tag, value = match.group(1), (match.group(2) or "").strip()
        if current is None:
            if tag != "TY":
                raise BibliographyError(path, number, f"a RIS record must start with TY, not {tag}")
            current, start = [], number
        elif tag == "TY":
            raise BibliographyError(path, number, f"record from line {start} has no ER line")
        if tag == "ER":
            records.append((start, current))
            current = None
        else:
            current.append((tag, value, number))
    if current is not None:
        raise BibliographyError(path, start, "record is not closed with an ER line")
    return records


def parse_ris(text: str, path: str = "<ris>") -> list[dict]:
    """Articles from RIS text."""
    return [_article(start, fields, path) for start, fields in ris_records(text, path)]


def _name(value: str) -> dict:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 1:
        return group(value.strip())
    return person(parts[0], parts[1], parts[2] if len(parts) > 2 else None)


def _article(start: int, fields: list[tuple[str, str, int]], path: str) -> dict:
    values: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    for tag, value, number in fields:
        values.setdefault(tag, []).append(value)
        lines.setdefault(tag, number)
    one = lambda *tags: next((values[t][0] for t in tags if values.get(t)), None)  # noqa: E731
    kind = RIS_TYPES.get(one("TY"), "article")
    article = empty_article(kind)
    article["authors"] = [_name(v) for v in values.get("AU", []) + values.get("A1", [])]
    title = one("TI", "T1")
    if kind == "chapter":
        article["title"], article["book_title"] = title, one("T2", "BT")
    elif kind == "book":
        article["title"] = article["book_title"] = title
    else:
        article["title"] = title
        journal = one("T2", "JF", "JO")
        abbreviation = one("J2", "JA") or (one("JO") if one("JO") != journal else None)
        article["journal"].update(title=journal, iso_abbreviation=abbreviation)
    article["journal"]["issn"] = one("SN")
    article["publisher"] = one("PB")
    article["year"] = parse_year(one("PY", "Y1", "DA"), path, lines.get("PY") or start)
    date = (one("DA") or one("Y1") or "").split("/")
    if len(date) > 1:
        article["month"] = month_number(date[1])
        article["day"] = day_number(date[2]) if len(date) > 2 and article["month"] else None
    article["volume"], article["issue"] = one("VL"), one("IS")
    pages = one("SP")
    if pages and one("EP"):
        pages = f"{pages}-{one('EP')}"
    article["pages"], article["article_number"] = pages_and_number(pages, one("C7"))
    article["doi"] = one("DO")
    accession = one("AN") or ""
    url_pmid = next((m.group(1) for u in values.get("UR", []) if (m := _PUBMED_URL.search(u))),
                    None)
    if accession.isdigit():
        article["pmid"] = parse_pmid(accession, path, lines["AN"])
    elif url_pmid:
        article["pmid"] = int(url_pmid)
    pmcid = one("C2")
    article["pmcid"] = pmcid if pmcid and pmcid.upper().startswith("PMC") else None
    article["languages"] = [language_code(v) for v in values.get("LA", [])]
    types = [t for v in values.get("M3", []) for t in v.split(";")]
    article["publication_types"] = publication_types(types, kind)
    article["keywords"] = values.get("KW", [])
    article["abstract"] = one("AB", "N2")
    article["source_line"] = start
    return number_authors(article)
