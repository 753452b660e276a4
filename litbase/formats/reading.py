"""What every bibliography reader shares: the error it raises and small field parsers.

Readers (``parse_medline``, ``parse_ris``, ``parse_bibtex``, ``parse_csljson``)
take the text of a file and its name, do no I/O, and return ``records.Article``
dicts. Each record also carries ``source_line``, where it began, so a record
kept without a PMID can say where it came from. A reader raises
``BibliographyError`` naming the file and line of the first problem, before
anything is stored.
"""

from __future__ import annotations

import re

from litbase.model.errors import BibliographyError
from litbase.formats.vocab import DEFAULT_PUBLICATION_TYPE, MONTHS


def empty_article(kind: str = "article") -> dict:
    """The Article skeleton readers fill; kind is article | chapter | book."""
    return {
        "record_type": "article" if kind == "article" else "book",
        "pmid": None, "title": None, "abstract": None,
        "journal": {"title": None, "iso_abbreviation": None, "issn": None},
        "year": None, "month": None, "day": None, "pub_date": None,
        "volume": None, "issue": None, "pages": None, "article_number": None,
        "doi": None, "pmcid": None, "pii": None,
        "languages": [], "publication_types": [], "mesh_headings": [], "keywords": [],
        "authors": [], "references": [], "book_title": None, "publisher": None,
    }


def publication_types(names: list[str], kind: str) -> list[dict]:
    """PubMed-style publication types; the kind's own type when the format names none."""
    names = [n.strip() for n in names if n and n.strip()]
    return [{"ui": None, "name": n} for n in names or [DEFAULT_PUBLICATION_TYPE[kind]]]


def parse_pmid(value, path: str, line: int | None) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise BibliographyError(path, line, f"PMID {text!r} is not a positive whole number")
    return int(text)


def parse_year(value, path: str, line: int | None) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    match = re.match(r"(\d{4})", text)
    if not match:
        raise BibliographyError(path, line, f"year {text!r} does not start with four digits")
    return int(match.group(1))


def month_number(value) -> int | None:
    """3, "3", "03", "mar", "March" -> 3; anything else -> None."""
    text = str(value).strip().lower() if value is not None else ""
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return MONTHS.index(text[:3]) + 1 if text[:3] in MONTHS else None


def day_number(value) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and 1 <= int(text) <= 31 else None


def pages_and_number(pages: str | None, number: str | None) -> tuple[str | None, str | None]:
    """Formats that put an article number in the pages field say so twice; say it once."""
    if number and pages == number:
        return None, number
    return pages or None, number or None


def person(last: str | None, given: str | None, suffix: str | None = None) -> dict:
    return {"last_name": last or None, "fore_name": given or None,
            "initials": initials_of(given), "suffix": suffix or None,
            "collective_name": None, "affiliations": []}


def group(name: str) -> dict:
    return {"last_name": None, "fore_name": None, "initials": None, "suffix": None,
            "collective_name": name, "affiliations": []}


def initials_of(given: str | None) -> str | None:
    """ "Ann B" -> "AB", "Jean-Luc" -> "JL", as PubMed abbreviates fore names."""
    if not given:
        return None
    return "".join(part[0] for part in re.split(r"[\s\-.]+", given) if part) or None


def number_authors(article: dict) -> dict:
    for position, author in enumerate(article["authors"], start=1):
        author["position"] = position
    return article


def split_terms(text: str | None) -> list[str]:
    """Keywords: semicolons when present (MeSH terms hold commas), else commas."""
    if not text:
        return []
    separator = ";" if ";" in text else ","
    return [t.strip() for t in text.split(separator) if t.strip()]
